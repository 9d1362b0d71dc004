// RUN: dl-opt %s -split-input-file -dl-materialize-optimizer -inline -symbol-dce -canonicalize -cse | FileCheck %s

// Plain SGD: w - lr * dw, with lr an argument of the step.
// CHECK-LABEL: func.func @loss.step
// CHECK-SAME: (%[[W:.*]]: tensor<3xf32> {dl.param = "w"}, %[[LR:.*]]: tensor<f32>, %[[X:.*]]: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
// CHECK: dl.broadcast_to
// CHECK-NEXT: %[[G:.*]] = dl.mul %{{.*}}, %[[X]]
// CHECK: %[[U:.*]] = dl.mul %[[G]], %[[LR]] : tensor<3xf32>, tensor<f32>
// CHECK: %[[NEW:.*]] = dl.sub %[[W]], %[[U]]
// CHECK: return %{{.*}}, %[[NEW]]
func.func @loss(%w: tensor<3xf32> {dl.param = "w"}, %x: tensor<3xf32>) -> tensor<f32> attributes {dl.train = {optimizer = "sgd", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  %0 = dl.mul %w, %x : tensor<3xf32>, tensor<3xf32>
  %1 = dl.reduce_sum %0 along [0] : tensor<3xf32>
  return %1 : tensor<f32>
}

// -----

// Adam: two moment buffers per parameter and three coefficients (lr,
// lr / (1 - beta1^t), sqrt(1 - beta2^t)); the step returns the new moments.
// CHECK-LABEL: func.func @adam.step
// CHECK-SAME: (%[[W:.*]]: tensor<2xf32> {dl.param = "w"}, %[[M:.*]]: tensor<2xf32>, %[[V:.*]]: tensor<2xf32>, %{{.*}}: tensor<f32>, %[[SS:.*]]: tensor<f32>, %[[BC2:.*]]: tensor<f32>, %{{.*}}: tensor<2xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK-DAG: dl.mul %[[M]], %{{.*}}
// CHECK-DAG: dl.mul %[[V]], %{{.*}}
// CHECK: dl.sqrt
// CHECK: dl.div %{{.*}}, %[[BC2]]
// CHECK: dl.mul %{{.*}}, %[[SS]]
func.func @adam(%w: tensor<2xf32> {dl.param = "w"}, %x: tensor<2xf32>) -> tensor<f32> attributes {dl.train = {optimizer = "adam", beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64}} {
  %0 = dl.mul %w, %x : tensor<2xf32>, tensor<2xf32>
  %1 = dl.reduce_sum %0 along [0] : tensor<2xf32>
  return %1 : tensor<f32>
}

