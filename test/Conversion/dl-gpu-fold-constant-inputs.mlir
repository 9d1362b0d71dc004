// RUN: dl-opt %s --dl-gpu-fold-constant-inputs --split-input-file | FileCheck %s

// A rank-0 constant (a layer norm's epsilon) and a broadcast splat become
// scalar constants in the body; their inputs and maps go; the runtime
// scalar input stays; the op keeps its fusion plan's attributes.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @epsilon
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x32xf32>, %[[Y:[^:]*]]: tensor<f32>)
// CHECK-DAG:     %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG:     %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[S]], #[[ID]]]
// CHECK-SAME:      ins(%[[X]], %[[Y]] : tensor<?x32xf32>, tensor<f32>)
// CHECK-SAME:      attrs = {dl.kernel = 8 : i64}
// CHECK:         ^bb0(%[[A:[^:]*]]: f32, %[[C:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK:           %[[S1:.*]] = arith.addf %[[A]], %[[EPS]]
// CHECK:           %[[S2:.*]] = arith.mulf %[[S1]], %[[C]]
// CHECK:           arith.mulf %[[S2]], %[[TWO]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#s = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d1)>
func.func @epsilon(%x: tensor<?x32xf32>, %y: tensor<f32>) -> tensor<?x32xf32> {
  %eps = arith.constant dense<9.99999974E-6> : tensor<f32>
  %two = arith.constant dense<2.0> : tensor<32xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x32xf32>
  %e = tensor.empty(%d) : tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #s, #s, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %eps, %y, %two : tensor<?x32xf32>, tensor<f32>, tensor<f32>, tensor<32xf32>) outs(%e : tensor<?x32xf32>) attrs = {dl.kernel = 8 : i64} {
  ^bb0(%a: f32, %b: f32, %c: f32, %t: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.mulf %s, %c : f32
    %n = arith.mulf %m, %t : f32
    linalg.yield %n : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// A broadcast of a constant (a mean's gradient, 1/64 everywhere) reads no
// input any more: bufferized, a fill-like nest storing a constant.
// CHECK-LABEL: func.func @broadcast
// CHECK:         %[[V:.*]] = arith.constant 1.562500e-02 : f32
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:      outs(
// CHECK:           linalg.yield %[[V]] : f32
func.func @broadcast(%n: index) -> tensor<?x32x64xf32> {
  %k = arith.constant dense<1.562500e-02> : tensor<f32>
  %e = tensor.empty(%n) : tensor<?x32x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> ()>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%k : tensor<f32>) outs(%e : tensor<?x32x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x32x64xf32>
  return %r : tensor<?x32x64xf32>
}

// -----

// A constant that is not a splat, and a constant init, stay.
// CHECK-LABEL: func.func @kept
// CHECK:         %[[W:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK:         %[[I:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%arg0, %[[W]] : tensor<2xf32>, tensor<2xf32>) outs(%[[I]] : tensor<2xf32>)
func.func @kept(%x: tensor<2xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %i = arith.constant dense<0.0> : tensor<2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %w : tensor<2xf32>, tensor<2xf32>) outs(%i : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %t = arith.addf %s, %o : f32
    linalg.yield %t : f32
  } -> tensor<2xf32>
  return %r : tensor<2xf32>
}
