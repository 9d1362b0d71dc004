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
  // expected-error @+1 {{'dl.matmul' op contraction sizes differ: 2x3 @ 4x5 (3 vs 4)}}
  %0 = dl.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'dl.matmul' expects rank-2 operands, got 2x3x4 and 4x5}}
  %0 = dl.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32>
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
