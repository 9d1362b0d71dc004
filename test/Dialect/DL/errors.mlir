// RUN: dl-opt %s -split-input-file -verify-diagnostics

func.func @broadcast_mismatch(%a: tensor<3x4xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{shapes 3x4 and 5 do not broadcast: trailing dimension 0 is 4 vs 5}}
  %0 = dl.add %a, %b : tensor<3x4xf32>, tensor<5xf32>
  return
}

// -----

func.func @element_types_differ(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{element types differ: 'f32' vs 'f64'}}
  %0 = dl.mul %a, %b : tensor<4xf32>, tensor<4xf64>
  return
}

// -----

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'dl.matmul' contraction sizes differ: 2x3 @ 4x5 (3 vs 4)}}
  %0 = dl.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'dl.matmul' expects [..., M, K] @ [K, N] or equal-rank batches, got 3 and 3x5}}
  %0 = dl.matmul %a, %b : tensor<3xf32>, tensor<3x5xf32>
  return
}

// -----

func.func @matmul_batches(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) {
  // expected-error @+1 {{'dl.matmul' batch dimensions differ: 2x3x4 @ 3x4x5}}
  %0 = dl.matmul %a, %b : tensor<2x3x4xf32>, tensor<3x4x5xf32>
  return
}

// -----

func.func @wrong_result_type(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'dl.add' op result type 'tensor<4xf32>' does not match the broadcast type 'tensor<3xf32>'}}
  %0 = "dl.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @relu_bool(%a: tensor<3xi1>) {
  // expected-error @+1 {{'dl.relu' op operand #0 must be ranked tensor of floating-point or 32-bit signless integer or 64-bit signless integer values}}
  %0 = dl.relu %a : tensor<3xi1>
  return
}

// -----

// Integer division is not defined (division by zero would have no result).
func.func @div_integer(%a: tensor<3xi32>, %b: tensor<3xi32>) {
  // expected-error @+1 {{'dl.div' op operand #0 must be ranked tensor of floating-point values}}
  %0 = "dl.div"(%a, %b) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return
}

// -----

func.func @unranked(%a: tensor<*xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'dl.add' op operand #0 must be ranked tensor of floating-point or 32-bit signless integer or 64-bit signless integer values}}
  %0 = "dl.add"(%a, %b) : (tensor<*xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @reduce_axis_range(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{reduction axis 2 is out of range for rank 2}}
  %0 = dl.reduce_sum %x along [2] : tensor<3x4xf32>
  return
}

// -----

func.func @reduce_axes_unsorted(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{reduction axes [1, 0] must be sorted and distinct}}
  %0 = dl.reduce_sum %x along [1, 0] : tensor<3x4xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'dl.reshape' op cannot reshape [3, 4] (12 elements) into [5, 2] (10 elements)}}
  %0 = dl.reshape %x : tensor<3x4xf32> -> tensor<5x2xf32>
  return
}

// -----

func.func @reshape_two_dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'dl.reshape' op at most one result dimension can be dynamic, got [?, ?]}}
  %0 = dl.reshape %x : tensor<?x4xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @bad_permutation(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{invalid permutation [0, 0]}}
  %0 = dl.transpose %x [0, 0] : tensor<3x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{conv2d input has 3 channels but the filter expects 2 x 1 groups}}
  %0 = dl.conv2d %x, %w <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>}> : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<1x1x2x2xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+1 {{window of 3 does not fit in 2 (padded to 2)}}
  %0 = dl.conv2d %x, %w <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>}> : tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+1 {{padding [2, 2] must be at most half the kernel [2, 2]}}
  %0 = dl.max_pool2d %x <{kernel = array<i64: 2, 2>, padding = array<i64: 2, 2>, stride = array<i64: 2, 2>}> : tensor<1x1x8x8xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'dl.softmax' op axis 2 is out of range for rank 2}}
  %0 = dl.softmax %x axis 2 : tensor<3x4xf32>
  return
}

// -----

func.func @cross_entropy_rows(%x: tensor<3x4xf32>, %y: tensor<5xi64>) {
  // expected-error @+1 {{cross_entropy: 3 rows of logits but 5 labels}}
  %0 = dl.cross_entropy %x, %y : tensor<3x4xf32>, tensor<5xi64>
  return
}

// -----

func.func @one_hot_rank(%y: tensor<3xi64>) {
  // expected-error @+1 {{'dl.one_hot' op result rank must be the labels' rank plus one}}
  %0 = dl.one_hot %y : tensor<3xi64> -> tensor<3xf32>
  return
}

// -----

func.func @bad_predicate(%a: tensor<3xf32>) {
  // expected-error @+1 {{'dl.compare' op unknown predicate 'lte' (expected eq, ne, lt, le, gt or ge)}}
  %0 = dl.compare "lte" %a, %a : tensor<3xf32>, tensor<3xf32>
  return
}

// -----

func.func @convert_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{'dl.convert' op changes the shape}}
  %0 = dl.convert %a : tensor<3xf32> -> tensor<4xi32>
  return
}

// -----

func.func @argmax_axis(%a: tensor<3xf32>) {
  // expected-error @+1 {{argmax axis 1 is out of range for rank 1}}
  %0 = dl.argmax %a axis 1 : tensor<3xf32>
  return
}

// -----

func.func @slice_range(%a: tensor<4xf32>) {
  // expected-error @+1 {{slice [2, 6) is empty or outside [0, 4)}}
  %0 = dl.slice %a axis 0 [2, 6] : tensor<4xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+1 {{concat inputs differ in dimension 0: [2, 3] vs [3, 3]}}
  %0 = dl.concat %a, %b axis 1 : tensor<2x3xf32>, tensor<3x3xf32>
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<2x3x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{weight, bias and running statistics must be 'tensor<3xf32>', got 'tensor<4xf32>'}}
  %y, %m, %v = dl.batch_norm %x, %s, %s, %s, %s <{eps = 1.0e-05 : f64, momentum = 0.1 : f64}> : tensor<2x3x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @batch_norm_momentum(%x: tensor<2x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{momentum must be in [0, 1], got 1.5}}
  %y, %m, %v = dl.batch_norm %x, %s, %s, %s, %s <{eps = 1.0e-05 : f64, momentum = 1.5 : f64}> : tensor<2x3xf32>, tensor<3xf32>
  return
}

// -----

func.func @dropout_p(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{p must be in [0, 1), got 1}}
  %y = dl.dropout %x <{p = 1.0 : f64, stream = 0 : i64}> : tensor<2x3xf32>
  return
}
