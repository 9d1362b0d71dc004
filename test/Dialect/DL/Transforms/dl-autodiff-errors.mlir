// RUN: dl-opt %s -split-input-file -dl-autodiff -verify-diagnostics

// expected-error @+1 {{only functions returning one float scalar can be differentiated; 'vector' returns 'tensor<3xf32>'}}
func.func @vector(%w: tensor<3xf32> {dl.param = "w"}) -> tensor<3xf32> attributes {dl.differentiate} {
  return %w : tensor<3xf32>
}

// -----

// Every op without a rule is reported, not just the first. (The adjoint
// ops of conv2d have none: there is no second-order differentiation yet.)
func.func @two(%w: tensor<1x1x3x3xf32> {dl.param = "w"}, %g: tensor<1x1x3x3xf32>) -> tensor<f32> attributes {dl.differentiate} {
  // expected-error @+1 {{'dl.conv2d_input_grad' has no derivative rule (needed for the gradient of 'two')}}
  %0 = dl.conv2d_input_grad %g, %w <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x3x3xf32>
  %1 = dl.reduce_sum %0 along [0, 1, 2, 3] : tensor<1x1x3x3xf32>
  // expected-error @+1 {{'dl.conv2d_input_grad' has no derivative rule (needed for the gradient of 'two')}}
  %2 = dl.conv2d_input_grad %w, %w <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x3x3xf32>
  %3 = dl.reduce_sum %2 along [0, 1, 2, 3] : tensor<1x1x3x3xf32>
  %4 = dl.add %1, %3 : tensor<f32>, tensor<f32>
  return %4 : tensor<f32>
}
