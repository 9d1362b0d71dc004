// RUN: dl-opt %s -split-input-file -canonicalize | FileCheck %s

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identities(%x: tensor<3xf32>) -> tensor<3xf32> {
  %one = dl.constant dense<1.0> : tensor<f32>
  %nzero = dl.constant dense<-0.0> : tensor<f32>
  %zero = dl.constant dense<0.0> : tensor<f32>
  %0 = dl.mul %x, %one : tensor<3xf32>, tensor<f32>
  %1 = dl.mul %one, %0 : tensor<f32>, tensor<3xf32>
  %2 = dl.add %1, %nzero : tensor<3xf32>, tensor<f32>
  %3 = dl.sub %2, %zero : tensor<3xf32>, tensor<f32>
  %4 = dl.div %3, %one : tensor<3xf32>, tensor<f32>
  return %4 : tensor<3xf32>
}

// -----

// x + 0.0 is not x for x = -0.0 (the sum is +0.0), so it stays; for
// integers x + 0 folds. Broadcasting adds stay: they change the shape.
// CHECK-LABEL: func.func @kept
// CHECK: dl.add %{{.*}}, %{{.*}} : tensor<3xf32>, tensor<f32>
// CHECK: dl.mul %{{.*}}, %{{.*}} : tensor<f32>, tensor<3xf32>
// CHECK-NOT: dl.add %{{.*}} : tensor<3xi32>
func.func @kept(%x: tensor<3xf32>, %s: tensor<f32>, %i: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xi32>) {
  %zero = dl.constant dense<0.0> : tensor<f32>
  %one = dl.constant dense<1.0> : tensor<3xf32>
  %izero = dl.constant dense<0> : tensor<i32>
  %0 = dl.add %x, %zero : tensor<3xf32>, tensor<f32>
  %1 = dl.mul %s, %one : tensor<f32>, tensor<3xf32>
  %2 = dl.add %i, %izero : tensor<3xi32>, tensor<i32>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @transposes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = dl.transpose %[[X]] [2, 0, 1] : tensor<2x3x4xf32>
// CHECK-NEXT: return %[[X]], %[[T]]
func.func @transposes(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = dl.transpose %x [1, 0, 2] : tensor<2x3x4xf32>
  %1 = dl.transpose %0 [1, 0, 2] : tensor<3x2x4xf32>
  %2 = dl.transpose %0 [2, 1, 0] : tensor<3x2x4xf32>
  %3 = dl.transpose %x [0, 1, 2] : tensor<2x3x4xf32>
  return %1, %2 : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshapes
// CHECK-NEXT: dl.reshape %{{.*}} : tensor<2x6xf32> -> tensor<12xf32>
// CHECK-NEXT: return
func.func @reshapes(%x: tensor<2x6xf32>) -> tensor<12xf32> {
  %0 = dl.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
  %1 = dl.reshape %0 : tensor<3x4xf32> -> tensor<12xf32>
  return %1 : tensor<12xf32>
}

// -----

// The weight gradient of x @ W^T comes out of autodiff as (x^T @ g)^T: it
// becomes g^T @ x (the transposes of x cancel), so neither x nor the
// [in, out] product is transposed.
// CHECK-LABEL: func.func @transposed_weight_gradient
// CHECK-SAME: (%[[X:.*]]: tensor<?x12xf32>, %[[G:.*]]: tensor<?x5xf32>)
// CHECK-NEXT: %[[GT:.*]] = dl.transpose %[[G]] [1, 0] : tensor<?x5xf32>
// CHECK-NEXT: %[[P:.*]] = dl.matmul %[[GT]], %[[X]] : tensor<5x?xf32>, tensor<?x12xf32>
// CHECK-NEXT: return %[[P]]
func.func @transposed_weight_gradient(%x: tensor<?x12xf32>, %g: tensor<?x5xf32>) -> tensor<5x12xf32> {
  %xt = dl.transpose %x [1, 0] : tensor<?x12xf32>
  %p = dl.matmul %xt, %g : tensor<12x?xf32>, tensor<?x5xf32>
  %t = dl.transpose %p [1, 0] : tensor<12x5xf32>
  return %t : tensor<5x12xf32>
}

// -----

// Without a transpose among the operands nothing is gained: left alone.
// CHECK-LABEL: func.func @plain_product_transposed
// CHECK-NEXT: dl.matmul
// CHECK-NEXT: dl.transpose
func.func @plain_product_transposed(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<5x3xf32> {
  %p = dl.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf32>
  %t = dl.transpose %p [1, 0] : tensor<3x5xf32>
  return %t : tensor<5x3xf32>
}
