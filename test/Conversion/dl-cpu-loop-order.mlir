// RUN: dl-opt %s -split-input-file -dl-cpu-loop-order | FileCheck %s

// x @ W^T with W [N, K]: no loop is contiguous in every operand, so W is
// copied transposed, and the output's columns become the innermost loop.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @x_wt
// CHECK: %[[T:.*]] = linalg.transpose ins(%{{.*}} : tensor<32x64xf32>) outs(%{{.*}} : tensor<64x32xf32>) permutation = [1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[WT]], #[[C]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}}, %[[T]] :
func.func @x_wt(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<?x64xf32>, tensor<32x64xf32>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// The same product with a long reduction (K = 12544, a multiple of 16): left
// as it is, for dl-cpu-vectorize's dot products of rows (CPUDot.h); no
// transposed copy of W, no loop moved.
// CHECK-LABEL: func.func @x_wt_long
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul {{.*}}ins(%arg0, %arg1 : tensor<?x12544xf32>, tensor<128x12544xf32>)
// CHECK-NOT: linalg.transpose
func.func @x_wt_long(%x: tensor<?x12544xf32>, %w: tensor<128x12544xf32>, %c: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<?x12544xf32>, tensor<128x12544xf32>) outs(%c : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// A long reduction whose columns do not come in blocks of 4 (10 classes):
// the transposed copy as before.
// CHECK-LABEL: func.func @x_wt_long_narrow
// CHECK: linalg.transpose ins(%{{.*}} : tensor<10x12544xf32>) outs(%{{.*}} : tensor<12544x10xf32>)
func.func @x_wt_long_narrow(%x: tensor<?x12544xf32>, %w: tensor<10x12544xf32>, %c: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<?x12544xf32>, tensor<10x12544xf32>) outs(%c : tensor<?x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// A weight gradient g^T @ h: the reduction over the batch moves out, the
// output's columns in; no copy is needed.
// CHECK-LABEL: func.func @gt_h
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
func.func @gt_h(%g: tensor<?x32xf32>, %h: tensor<?x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%g, %h : tensor<?x32xf32>, tensor<?x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// A stride-1 convolution: the output width is contiguous in the output and
// (as ow + kw) in the input, and the filter does not depend on it.
// CHECK-LABEL: func.func @conv
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
func.func @conv(%x: tensor<?x2x18x18xf32>, %f: tensor<4x2x3x3xf32>, %c: tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %f : tensor<?x2x18x18xf32>, tensor<4x2x3x3xf32>) outs(%c : tensor<?x4x16x16xf32>) -> tensor<?x4x16x16xf32>
  return %0 : tensor<?x4x16x16xf32>
}

// -----

// Too narrow to vectorise (3 columns): left as it is.
// CHECK-LABEL: func.func @narrow
// CHECK: linalg.matmul
func.func @narrow(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %c: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x3xf32>) outs(%c : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
