// RUN: dl-opt %s -split-input-file -dl-decompose | FileCheck %s
// RUN: dl-opt %s -split-input-file -dl-decompose=keep-differentiable | FileCheck %s --check-prefix=WHOLE

// With keep-differentiable (the run before dl-autodiff), the composites
// that have derivative rules of their own stay whole.
// WHOLE-LABEL: func.func @softmax
// WHOLE-NEXT: dl.softmax
// WHOLE-LABEL: func.func @log_softmax_axis0
// WHOLE-NEXT: dl.log_softmax
// WHOLE-LABEL: func.func @cross_entropy
// WHOLE-NEXT: dl.cross_entropy
// Batch norm is differentiated through its expansion: expanded either way.
// WHOLE-LABEL: func.func @batch_norm_eval
// WHOLE-NOT: dl.batch_norm
// WHOLE: dl.rsqrt

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

// Cross-entropy becomes -mean(sum(log_softmax(x) * one_hot(y), 1)) (the
// log-probabilities first: the product's batch extent is x's), and the
// composite log_softmax it creates is itself expanded.
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[X:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi64>)
// CHECK-NOT: dl.log_softmax
// CHECK: dl.log
// CHECK: %[[LOGP:.*]] = dl.sub {{.*}} : tensor<?x10xf32>, tensor<?x1xf32>
// CHECK: %[[H:.*]] = dl.one_hot %[[Y]] : tensor<?xi64> -> tensor<?x10xf32>
// CHECK: %[[PICK:.*]] = dl.mul %[[LOGP]], %[[H]] : tensor<?x10xf32>, tensor<?x10xf32>
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

// -----

// Evaluation mode: the running statistics, reshaped to broadcast over
// [N, C, H, W]; they come back unchanged.

// CHECK-LABEL: func.func @batch_norm_eval
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4x4xf32>, %[[W:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[RM:.*]]: tensor<3xf32>, %[[RV:.*]]: tensor<3xf32>)
// CHECK-NOT: dl.reduce
// CHECK: %[[M:.*]] = dl.reshape %[[RM]] : tensor<3xf32> -> tensor<1x3x1x1xf32>
// CHECK: %[[V:.*]] = dl.reshape %[[RV]] : tensor<3xf32> -> tensor<1x3x1x1xf32>
// CHECK: %[[C:.*]] = dl.sub %[[X]], %[[M]]
// CHECK: %[[E:.*]] = dl.add %[[V]], %{{.*}} : tensor<1x3x1x1xf32>, tensor<f32>
// CHECK: dl.rsqrt %[[E]]
// CHECK: return %{{.*}}, %[[RM]], %[[RV]]
func.func @batch_norm_eval(%x: tensor<?x3x4x4xf32>, %w: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = dl.batch_norm %x, %w, %b, %rm, %rv <{eps = 1.0e-05 : f64, momentum = 0.1 : f64}> : tensor<?x3x4x4xf32>, tensor<3xf32>
  return %y, %m, %v : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Training mode: batch mean and biased variance over N, H, W; the running
// variance takes the unbiased one, n / (n - 1) with n = numel over N, H, W.

// CHECK-LABEL: func.func @batch_norm_train
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4x4xf32>, %{{.*}}: tensor<3xf32>, %{{.*}}: tensor<3xf32>, %[[RM:.*]]: tensor<3xf32>, %[[RV:.*]]: tensor<3xf32>)
// CHECK: %[[MEAN:.*]] = dl.reduce_mean %[[X]] along [0, 2, 3] keepdims
// CHECK: %[[C:.*]] = dl.sub %[[X]], %[[MEAN]]
// CHECK: %[[SQ:.*]] = dl.mul %[[C]], %[[C]]
// CHECK: %[[VAR:.*]] = dl.reduce_mean %[[SQ]] along [0, 2, 3] keepdims
// CHECK: %[[N:.*]] = dl.numel %[[X]] <{axes = array<i64: 0, 2, 3>}>
// CHECK: %[[NM1:.*]] = dl.sub %[[N]], %{{.*}} : tensor<f32>, tensor<f32>
// CHECK: %[[UNBIAS:.*]] = dl.div %[[N]], %[[NM1]]
// CHECK: dl.mul %[[RM]], %{{.*}} : tensor<3xf32>, tensor<f32>
// CHECK: %[[NEWM:.*]] = dl.add
// CHECK: dl.mul %[[VAR]], %[[UNBIAS]]
// CHECK: %[[NEWV:.*]] = dl.add
// CHECK: return %{{.*}}, %[[NEWM]], %[[NEWV]]
func.func @batch_norm_train(%x: tensor<?x3x4x4xf32>, %w: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = dl.batch_norm %x, %w, %b, %rm, %rv <{eps = 1.0e-05 : f64, momentum = 0.1 : f64, training}> : tensor<?x3x4x4xf32>, tensor<3xf32>
  return %y, %m, %v : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Dropout: the identity without a key; with one, x * (u >= p) / (1 - p).

// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[KEY:.*]]: tensor<i64>)
// CHECK-DAG: %[[S:.*]] = dl.constant dense<1.33333337> : tensor<f32>
// CHECK-DAG: %[[P:.*]] = dl.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[U:.*]] = dl.random_uniform %[[KEY]], %[[X]] <{stream = 3 : i64}>
// CHECK: %[[KEEP:.*]] = dl.compare "ge" %[[U]], %[[P]]
// CHECK: %[[MASK:.*]] = dl.convert %[[KEEP]] : tensor<?x8xi1> -> tensor<?x8xf32>
// CHECK: %[[SCALED:.*]] = dl.mul %[[MASK]], %[[S]]
// CHECK: %[[Y:.*]] = dl.mul %[[X]], %[[SCALED]]
// CHECK: return %[[X]], %[[Y]]
func.func @dropout(%x: tensor<?x8xf32>, %key: tensor<i64>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %eval = dl.dropout %x <{p = 0.25 : f64, stream = 0 : i64}> : tensor<?x8xf32>
  %train = dl.dropout %x, %key <{p = 0.25 : f64, stream = 3 : i64}> : tensor<?x8xf32>, tensor<i64>
  return %eval, %train : tensor<?x8xf32>, tensor<?x8xf32>
}
