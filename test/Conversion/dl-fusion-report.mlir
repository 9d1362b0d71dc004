// RUN: dl-opt %s --dl-fusion-report -o /dev/null | FileCheck %s

// A producer read by two kernels stays a kernel of its own.
// CHECK: @shared: 3 kernels
// CHECK:   #1 generic [1 parallel]
// CHECK-NEXT: source: 12:3
// CHECK-NEXT: body: math.exp
// CHECK:   #2 generic [1 parallel]
// CHECK-NEXT: source: 13:3
// CHECK-NEXT: body: arith.addf
// CHECK-NEXT: <- #1: the producer feeds 2 ops (fused, it would be computed once per consumer)
#map = affine_map<(d0) -> (d0)>
func.func @shared(%x: tensor<4xf32>, %out: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%out : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32> loc("t.dl":12:3)
  %s = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%e : tensor<4xf32>) outs(%out : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32> loc("t.dl":13:3)
  %m = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%e : tensor<4xf32>) outs(%out : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32> loc("t.dl":14:3)
  return %s, %m : tensor<4xf32>, tensor<4xf32>
}
