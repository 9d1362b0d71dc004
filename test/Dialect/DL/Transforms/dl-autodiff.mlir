// RUN: dl-opt %s -split-input-file -dl-autodiff -canonicalize -cse | FileCheck %s
// RUN: dl-opt %s -split-input-file -dl-autodiff -mlir-print-debuginfo | FileCheck %s --check-prefix=LOC

// matmul + relu: the relu mask (from the result, as PyTorch) selects the
// adjoint, then the two matmul rules.
// CHECK-LABEL: func.func @layer.grad
// CHECK-SAME: (%[[W:.*]]: tensor<4x3xf32> {dl.param = "w"}, %[[X:.*]]: tensor<?x4xf32>) -> (tensor<f32>, tensor<4x3xf32>)
// CHECK: %[[Z:.*]] = dl.matmul %[[X]], %[[W]]
// CHECK: %[[R:.*]] = dl.relu %[[Z]]
// CHECK: %[[S:.*]] = dl.reduce_sum %[[R]] along [0, 1]
// CHECK: %[[G:.*]] = dl.broadcast_to %{{.*}}, %[[R]] axes [0, 1]
// CHECK: %[[POS:.*]] = dl.compare "gt" %[[R]], %{{.*}}
// CHECK: %[[GZ:.*]] = dl.select %[[POS]], %[[G]], %{{.*}}
// CHECK: %[[XT:.*]] = dl.transpose %[[X]] [1, 0]
// CHECK: %[[GW:.*]] = dl.matmul %[[XT]], %[[GZ]] : tensor<4x?xf32>, tensor<?x3xf32>
// CHECK: return %[[S]], %[[GW]]
func.func @layer(%w: tensor<4x3xf32> {dl.param = "w"}, %x: tensor<?x4xf32>) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = dl.relu %0 : tensor<?x3xf32>
  %2 = dl.reduce_sum %1 along [0, 1] : tensor<?x3xf32>
  return %2 : tensor<f32>
}

// -----

// A broadcast bias: its adjoint is summed over the broadcast axis. The data
// input %x gets no adjoint (activity analysis).
// CHECK-LABEL: func.func @bias.grad
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32>)
// CHECK: %[[G:.*]] = dl.broadcast_to
// CHECK: %[[GB:.*]] = dl.reduce_sum %[[G]] along [0] : tensor<?x3xf32>
// CHECK: return %{{.*}}, %[[GB]]
func.func @bias(%b: tensor<3xf32> {dl.param = "b"}, %x: tensor<?x3xf32>) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.add %x, %b : tensor<?x3xf32>, tensor<3xf32>
  %1 = dl.reduce_sum %0 along [0, 1] : tensor<?x3xf32>
  return %1 : tensor<f32>
}

// -----

// Fan-out accumulates: w is used twice.
// CHECK-LABEL: func.func @fanout.grad
// CHECK: dl.broadcast_to
// CHECK-NEXT: %[[A:.*]] = dl.mul %{{.*}}, %{{.*}}
// CHECK: dl.add %[[A]], %[[A]]
func.func @fanout(%w: tensor<2xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.mul %w, %w : tensor<2xf32>, tensor<2xf32>
  %1 = dl.reduce_sum %0 along [0] : tensor<2xf32>
  return %1 : tensor<f32>
}

// -----

// Backward ops carry the location of the forward op they come from.
// LOC-LABEL: func.func @located.grad
// LOC: dl.compare "gt" {{.*}} loc(#[[RELU:loc[0-9]*]])
// LOC: #[[RELU]] = loc("model.dl":7:3)
func.func @located(%w: tensor<2xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.relu %w : tensor<2xf32> loc("model.dl":7:3)
  %1 = dl.reduce_sum %0 along [0] : tensor<2xf32>
  return %1 : tensor<f32>
}

// -----

// dl.grad becomes a call of a private gradient function of the callee with
// respect to the one operand, shared by every use.
// CHECK-LABEL: func.func @scale(
// CHECK-LABEL: func.func private @scale.d1
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32>)
// CHECK-LABEL: func.func @user
// CHECK: %[[C:.*]]:2 = call @scale.d1(%{{.*}}, %{{.*}})
// CHECK: return %[[C]]#1
func.func @scale(%w: tensor<3xf32> {dl.param = "w"}, %x: tensor<3xf32>) -> tensor<f32> {
  %0 = dl.mul %w, %x : tensor<3xf32>, tensor<3xf32>
  %1 = dl.reduce_sum %0 along [0] : tensor<3xf32>
  return %1 : tensor<f32>
}
func.func @user(%w: tensor<3xf32> {dl.param = "w"}, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = dl.grad @scale(%w, %x) wrt 1 : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
