// RUN: dl-opt %s -split-input-file -dl-autodiff -verify-diagnostics

// expected-error @+1 {{only functions returning one float scalar can be differentiated; 'vector' returns 'tensor<3xf32>'}}
func.func @vector(%w: tensor<3xf32> {dl.param = "w"}) -> tensor<3xf32> attributes {dl.differentiate} {
  return %w : tensor<3xf32>
}

// -----

// Every op without a rule is reported, not just the first.
func.func @two(%w: tensor<3xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.differentiate} {
  // expected-error @+1 {{'dl.gelu' op has no derivative rule yet}}
  %0 = dl.gelu %w : tensor<3xf32>
  %1 = dl.reduce_sum %0 along [0] : tensor<3xf32>
  // expected-error @+1 {{'dl.gelu' op has no derivative rule yet}}
  %2 = dl.gelu %w : tensor<3xf32>
  %3 = dl.reduce_sum %2 along [0] : tensor<3xf32>
  %4 = dl.add %1, %3 : tensor<f32>, tensor<f32>
  return %4 : tensor<f32>
}
