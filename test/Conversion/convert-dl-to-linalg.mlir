// RUN: dl-opt %s -split-input-file -convert-dl-to-linalg | FileCheck %s

// A bias broadcast over rows becomes a generic reading the bias by column.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[E:.*]] = tensor.empty(%[[D0]]) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: arith.addf
// CHECK-NOT: dl.
func.func @add_bias(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = dl.add %x, %b : tensor<?x4xf32>, tensor<4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Stretched size-1 dimensions are collapsed away, so maps stay projections.
// CHECK-LABEL: func.func @outer
// CHECK: %[[A:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<3x1xf32> into tensor<3xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<1x5xf32> into tensor<5xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<3xf32>, tensor<5xf32>)
// CHECK: arith.mulf
func.func @outer(%a: tensor<3x1xf32>, %b: tensor<1x5xf32>) -> tensor<3x5xf32> {
  %0 = dl.mul %a, %b : tensor<3x1xf32>, tensor<1x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// A rank-0 operand collapses to a scalar tensor read at no index.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @scale
// CHECK: %[[C:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #{{.*}}]
// CHECK: arith.divf
func.func @scale(%x: tensor<6xf32>) -> tensor<6xf32> {
  %c = dl.constant dense<2.0> : tensor<f32>
  %0 = dl.div %x, %c : tensor<6xf32>, tensor<f32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<3x?xf32>)
// CHECK-DAG: %[[M:.*]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[B]], %c1
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x?xf32>)
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<?x3xf32>, tensor<3x?xf32>) outs(%[[F]] : tensor<?x?xf32>)
func.func @matmul(%a: tensor<?x3xf32>, %b: tensor<3x?xf32>) -> tensor<?x?xf32> {
  %0 = dl.matmul %a, %b : tensor<?x3xf32>, tensor<3x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK: linalg.generic
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: arith.maximumf %{{.*}}, %[[Z]] : f64
// CHECK: linalg.generic
// CHECK: arith.negf %{{.*}} : f64
func.func @unary(%x: tensor<2x2xf64>) -> tensor<2x2xf64> {
  %0 = dl.relu %x : tensor<2x2xf64>
  %1 = dl.neg %0 : tensor<2x2xf64>
  return %1 : tensor<2x2xf64>
}

// -----

// Integer element types pick the integer arith ops.
// CHECK-LABEL: func.func @integers
// CHECK: arith.addi
// CHECK: arith.muli
// CHECK: arith.maxsi
// CHECK: arith.subi
func.func @integers(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %0 = dl.add %a, %b : tensor<4xi64>, tensor<4xi64>
  %1 = dl.mul %0, %b : tensor<4xi64>, tensor<4xi64>
  %2 = dl.relu %1 : tensor<4xi64>
  %3 = dl.neg %2 : tensor<4xi64>
  return %3 : tensor<4xi64>
}
