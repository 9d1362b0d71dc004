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

// -----

// Softmax-like ops and cross-entropy have rules of their own (not the
// derivative of their max-shifted expansion). softmax: y * (g - sum(g * y)).
// CHECK-LABEL: func.func @softmax_rule.grad
// CHECK: %[[Y:.*]] = dl.softmax %[[X:.*]] axis 1 : tensor<2x5xf32>
// CHECK: %[[G:.*]] = dl.broadcast_to
// CHECK: %[[GY:.*]] = dl.mul %[[G]], %[[Y]]
// CHECK: %[[D:.*]] = dl.reduce_sum %[[GY]] along [1] keepdims
// CHECK: %[[C:.*]] = dl.sub %[[G]], %[[D]] : tensor<2x5xf32>, tensor<2x1xf32>
// CHECK: %[[DX:.*]] = dl.mul %[[Y]], %[[C]]
// CHECK-NOT: dl.reduce_max
// CHECK: return %{{.*}}, %[[DX]]
func.func @softmax_rule(%w: tensor<2x5xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.softmax %w axis 1 : tensor<2x5xf32>
  %1 = dl.reduce_sum %0 along [0, 1] : tensor<2x5xf32>
  return %1 : tensor<f32>
}

// -----

// log_softmax: g - softmax(x) * sum(g).
// CHECK-LABEL: func.func @log_softmax_rule.grad
// CHECK-SAME: (%[[W:.*]]: tensor<3x4xf32>
// CHECK: %[[G:.*]] = dl.broadcast_to
// CHECK: %[[P:.*]] = dl.softmax %[[W]] axis 0 : tensor<3x4xf32>
// CHECK: %[[S:.*]] = dl.reduce_sum %[[G]] along [0] keepdims
// CHECK: %[[PS:.*]] = dl.mul %[[P]], %[[S]] : tensor<3x4xf32>, tensor<1x4xf32>
// CHECK: %[[DX:.*]] = dl.sub %[[G]], %[[PS]]
// CHECK: return %{{.*}}, %[[DX]]
func.func @log_softmax_rule(%w: tensor<3x4xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.log_softmax %w axis 0 : tensor<3x4xf32>
  %1 = dl.reduce_sum %0 along [0, 1] : tensor<3x4xf32>
  return %1 : tensor<f32>
}

// -----

// cross_entropy: (softmax(x) * valid - one_hot(y)) * g / N, valid being
// 0 <= y < C per row; the labels get no adjoint.
// CHECK-LABEL: func.func @cross_entropy_rule.grad
// CHECK-SAME: (%[[W:.*]]: tensor<?x10xf32> {dl.param = "w"}, %[[Y:.*]]: tensor<?xi64>)
// CHECK: %[[L:.*]] = dl.cross_entropy %[[W]], %[[Y]]
// CHECK: %[[P:.*]] = dl.softmax %[[W]] axis 1 : tensor<?x10xf32>
// CHECK: %[[H:.*]] = dl.one_hot %[[Y]] : tensor<?xi64> -> tensor<?x10xf32>
// CHECK: %[[GE:.*]] = dl.compare "ge" %[[Y]]
// CHECK: %[[LT:.*]] = dl.compare "lt" %[[Y]], %[[C:.*]] : tensor<?xi64>, tensor<i64>
// CHECK: %[[LTF:.*]] = dl.convert %[[LT]] : tensor<?xi1> -> tensor<?xf32>
// CHECK: %[[IN:.*]] = dl.select %[[GE]], %[[LTF]], %{{.*}} : tensor<?xi1>, tensor<?xf32>, tensor<f32>
// CHECK: %[[V:.*]] = dl.broadcast_to %[[IN]], %[[W]] axes [1]
// CHECK: %[[N:.*]] = dl.numel %[[W]] <{axes = array<i64: 0>}>
// CHECK: %[[PV:.*]] = dl.mul %[[P]], %[[V]]
// CHECK: %[[D:.*]] = dl.sub %[[PV]], %[[H]]
// CHECK: %[[S:.*]] = dl.div %{{.*}}, %[[N]] : tensor<f32>, tensor<f32>
// CHECK: %[[DX:.*]] = dl.mul %[[D]], %[[S]] : tensor<?x10xf32>, tensor<f32>
// CHECK: return %[[L]], %[[DX]]
func.func @cross_entropy_rule(%w: tensor<?x10xf32> {dl.param = "w"}, %y: tensor<?xi64>) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.cross_entropy %w, %y : tensor<?x10xf32>, tensor<?xi64>
  return %0 : tensor<f32>
}

// -----

// reduce_mean over a dynamic axis: the adjoint divided by the count (numel
// over the reduced axes, read at run time), broadcast back; no tensor of
// ones is summed for the count.
// CHECK-LABEL: func.func @mean_rule.grad
// CHECK-SAME: (%[[W:.*]]: tensor<?x32x64xf32> {dl.param = "w"})
// CHECK-NOT: dl.reduce_sum
// CHECK: %[[N:.*]] = dl.numel %[[W]] <{axes = array<i64: 0, 1, 2>}>
// CHECK-NOT: dl.reduce_sum
// CHECK: %[[S:.*]] = dl.div %{{.*}}, %[[N]] : tensor<f32>, tensor<f32>
// CHECK: %[[DX:.*]] = dl.broadcast_to %[[S]], %[[W]] axes [0, 1, 2]
// CHECK: return %{{.*}}, %[[DX]]
func.func @mean_rule(%w: tensor<?x32x64xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.differentiate} {
  %0 = dl.reduce_mean %w along [0, 1, 2] : tensor<?x32x64xf32>
  return %0 : tensor<f32>
}
