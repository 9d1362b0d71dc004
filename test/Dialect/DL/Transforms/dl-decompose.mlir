// RUN: dl-opt %s -split-input-file -dl-decompose | FileCheck %s

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<?x10xf32>)
// CHECK: %[[M:.*]] = dl.reduce_max %[[X]] along [1] keepdims : tensor<?x10xf32>
// CHECK: %[[Z:.*]] = dl.sub %[[X]], %[[M]] : tensor<?x10xf32>, tensor<?x1xf32>
// CHECK: %[[E:.*]] = dl.exp %[[Z]] : tensor<?x10xf32>
// CHECK: %[[S:.*]] = dl.reduce_sum %[[E]] along [1] keepdims : tensor<?x10xf32>
// CHECK: %[[P:.*]] = dl.div %[[E]], %[[S]] : tensor<?x10xf32>, tensor<?x1xf32>
// CHECK: return %[[P]]
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = dl.softmax %x axis 1 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax_axis0
// CHECK: %[[M:.*]] = dl.reduce_max %{{.*}} along [0] keepdims : tensor<3x4xf32>
// CHECK: %[[Z:.*]] = dl.sub %{{.*}}, %[[M]]
// CHECK: %[[E:.*]] = dl.exp %[[Z]]
// CHECK: %[[S:.*]] = dl.reduce_sum %[[E]] along [0] keepdims
// CHECK: %[[L:.*]] = dl.log %[[S]] : tensor<1x4xf32>
// CHECK: dl.sub %[[Z]], %[[L]] : tensor<3x4xf32>, tensor<1x4xf32>
func.func @log_softmax_axis0(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = dl.log_softmax %x axis 0 : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Cross-entropy becomes -mean(sum(one_hot(y) * log_softmax(x), 1)), and the
// composite log_softmax it creates is itself expanded.
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[X:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi64>)
// CHECK-NOT: dl.log_softmax
// CHECK: dl.log
// CHECK: %[[H:.*]] = dl.one_hot %[[Y]] : tensor<?xi64> -> tensor<?x10xf32>
// CHECK: %[[PICK:.*]] = dl.mul %[[H]], %{{.*}} : tensor<?x10xf32>, tensor<?x10xf32>
// CHECK: %[[ROW:.*]] = dl.reduce_sum %[[PICK]] along [1] : tensor<?x10xf32>
// CHECK: %[[MEAN:.*]] = dl.reduce_mean %[[ROW]] along [0] : tensor<?xf32>
// CHECK: %[[L:.*]] = dl.neg %[[MEAN]] : tensor<f32>
// CHECK: return %[[L]]
func.func @cross_entropy(%x: tensor<?x10xf32>, %y: tensor<?xi64>) -> tensor<f32> {
  %0 = dl.cross_entropy %x, %y : tensor<?x10xf32>, tensor<?xi64>
  return %0 : tensor<f32>
}

// -----

// Primitive ops are left alone.
// CHECK-LABEL: func.func @primitives
// CHECK-NEXT: dl.exp
// CHECK-NEXT: return
func.func @primitives(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dl.exp %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
