// RUN: dl-opt %s -split-input-file -dl-materialize-optimizer -verify-diagnostics

// expected-error @+1 {{unknown optimizer 'rmsprop' (expected sgd, adam or adamw)}}
func.func @bad(%w: tensor<2xf32> {dl.param = "w"}) -> tensor<f32> attributes {dl.train = {optimizer = "rmsprop"}} {
  %0 = dl.reduce_sum %w along [0] : tensor<2xf32>
  return %0 : tensor<f32>
}

// -----

// expected-error @+1 {{'frozen' has no float parameter to train}}
func.func @frozen(%x: tensor<2xf32>) -> tensor<f32> attributes {dl.train = {optimizer = "sgd"}} {
  %0 = dl.reduce_sum %x along [0] : tensor<2xf32>
  return %0 : tensor<f32>
}
