// RUN: dl-opt %s --dl-gpu-loop-order --split-input-file | FileCheck %s

// A bias gradient: the batch (a reduction) comes first; afterwards the
// channel (parallel) does, and the reduction is inside.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @bias_grad
// CHECK:         linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "reduction"]}
func.func @bias_grad(%dy: tensor<?x64xf32>, %init: tensor<64xf32>) -> tensor<64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                        affine_map<(d0, d1) -> (d1)>],
                       iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<?x64xf32>) outs(%init : tensor<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

// Already parallel first (a matmul): left alone, not even generalized.
// CHECK-LABEL: func.func @matmul
// CHECK:         linalg.matmul
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>, %c: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x2xf32>) outs(%c : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// A max-pooling gradient with 2 x 2 windows at stride 2 scatters dy[n, oh]
// (one spatial dim here) to dx[n, 2 oh + kh]: oh and kh are reductions in
// general, but no two iterations write the same element (kh < 2 and oh's
// coefficient is 2), so every dimension becomes parallel.
// CHECK-LABEL: func.func @pool_scatter
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
func.func @pool_scatter(%dy: tensor<?x14xf32>, %w: tensor<2xf32>, %dx: tensor<?x28xf32>) -> tensor<?x28xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(n, oh, kh) -> (n, oh)>,
                                        affine_map<(n, oh, kh) -> (kh)>,
                                        affine_map<(n, oh, kh) -> (n, oh * 2 + kh)>],
                       iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%dy, %w : tensor<?x14xf32>, tensor<2xf32>) outs(%dx : tensor<?x28xf32>) {
  ^bb0(%g: f32, %unused: f32, %acc: f32):
    %s = arith.addf %acc, %g : f32
    linalg.yield %s : f32
  } -> tensor<?x28xf32>
  return %0 : tensor<?x28xf32>
}

// -----

// 3-wide windows at stride 2 overlap (2 oh + kh = 2 (oh + 1) + kh - 2): the
// scatter stays a reduction, its parallel dimension first.
// CHECK-LABEL: func.func @overlapping_scatter
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]
func.func @overlapping_scatter(%dy: tensor<?x14xf32>, %w: tensor<3xf32>, %dx: tensor<?x29xf32>) -> tensor<?x29xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(n, oh, kh) -> (n, oh)>,
                                        affine_map<(n, oh, kh) -> (kh)>,
                                        affine_map<(n, oh, kh) -> (n, oh * 2 + kh)>],
                       iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%dy, %w : tensor<?x14xf32>, tensor<3xf32>) outs(%dx : tensor<?x29xf32>) {
  ^bb0(%g: f32, %unused: f32, %acc: f32):
    %s = arith.addf %acc, %g : f32
    linalg.yield %s : f32
  } -> tensor<?x29xf32>
  return %0 : tensor<?x29xf32>
}
