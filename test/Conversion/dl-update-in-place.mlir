// RUN: dl-opt %s -dl-update-in-place | FileCheck %s
// RUN: dl-opt %s -pass-pipeline='builtin.module(dl-update-in-place,eliminate-empty-tensors,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize,dl-drop-in-place-results)' | FileCheck %s --check-prefix=BUF

// The new values are written into the arguments they replace; an argument
// returned unchanged (a frozen parameter) stays as it is.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[W:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[F:.*]]: tensor<4xf32>, %[[G:.*]]: tensor<4xf32>)
// CHECK: %[[NW:.*]] = linalg.generic
// CHECK: %[[NM:.*]] = linalg.generic
// CHECK: %[[IW:.*]] = bufferization.materialize_in_destination %[[NW]] in %[[W]]
// CHECK: %[[IM:.*]] = bufferization.materialize_in_destination %[[NM]] in %[[M]]
// CHECK: return %{{.*}}, %[[IW]], %[[IM]], %[[F]]

// After bufferization the update kernels write into the argument buffers,
// and the step returns the loss alone.
// BUF-LABEL: func.func @step
// BUF-SAME: (%[[W:.*]]: memref<4xf32>, %[[M:.*]]: memref<4xf32>, %{{.*}}: memref<4xf32>, %[[G:.*]]: memref<4xf32>) -> memref<f32>
// BUF-NOT: dl.in_place
// BUF: linalg.generic {{.*}} ins(%[[W]], %[[G]] : memref<4xf32>, memref<4xf32>) outs(%[[W]] : memref<4xf32>)
// BUF: linalg.generic {{.*}} ins(%[[M]], %[[G]] : memref<4xf32>, memref<4xf32>) outs(%[[M]] : memref<4xf32>)
// BUF-NOT: memref.copy
// BUF: return %{{.*}} : memref<f32>
#map = affine_map<(d0) -> (d0)>
func.func @step(%w: tensor<4xf32>, %m: tensor<4xf32>, %frozen: tensor<4xf32>, %g: tensor<4xf32>)
    -> (tensor<f32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
    attributes {dl.in_place = array<i64: 0, 1, 2>} {
  %loss = arith.constant dense<1.0> : tensor<f32>
  %e0 = tensor.empty() : tensor<4xf32>
  %nw = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%w, %g : tensor<4xf32>, tensor<4xf32>) outs(%e0 : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<4xf32>
  %nm = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%m, %g : tensor<4xf32>, tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.addf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  return %loss, %nw, %nm, %frozen : tensor<f32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
