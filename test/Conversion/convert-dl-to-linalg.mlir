// RUN: dl-opt %s -split-input-file -convert-dl-to-linalg | FileCheck %s

// A bias broadcast over rows becomes a generic reading the bias by column.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[E:.*]] = tensor.empty(%[[D0]]) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: arith.addf
// CHECK-NOT: dl.
func.func @add_bias(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = dl.add %x, %b : tensor<?x4xf32>, tensor<4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Stretched size-1 dimensions are collapsed away, so maps stay projections.
// CHECK-LABEL: func.func @outer
// CHECK: %[[A:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<3x1xf32> into tensor<3xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<1x5xf32> into tensor<5xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<3xf32>, tensor<5xf32>)
// CHECK: arith.mulf
func.func @outer(%a: tensor<3x1xf32>, %b: tensor<1x5xf32>) -> tensor<3x5xf32> {
  %0 = dl.mul %a, %b : tensor<3x1xf32>, tensor<1x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// A rank-0 operand collapses to a scalar tensor read at no index.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @scale
// CHECK: %[[C:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #{{.*}}]
// CHECK: arith.divf
func.func @scale(%x: tensor<6xf32>) -> tensor<6xf32> {
  %c = dl.constant dense<2.0> : tensor<f32>
  %0 = dl.div %x, %c : tensor<6xf32>, tensor<f32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<3x?xf32>)
// CHECK-DAG: %[[M:.*]] = tensor.dim %[[A]], %c0
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[B]], %c1
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x?xf32>)
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<?x3xf32>, tensor<3x?xf32>) outs(%[[F]] : tensor<?x?xf32>)
func.func @matmul(%a: tensor<?x3xf32>, %b: tensor<3x?xf32>) -> tensor<?x?xf32> {
  %0 = dl.matmul %a, %b : tensor<?x3xf32>, tensor<3x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK: linalg.generic
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: arith.maximumf %{{.*}}, %[[Z]] : f64
// CHECK: linalg.generic
// CHECK: arith.negf %{{.*}} : f64
func.func @unary(%x: tensor<2x2xf64>) -> tensor<2x2xf64> {
  %0 = dl.relu %x : tensor<2x2xf64>
  %1 = dl.neg %0 : tensor<2x2xf64>
  return %1 : tensor<2x2xf64>
}

// -----

// Integer element types pick the integer arith ops.
// CHECK-LABEL: func.func @integers
// CHECK: arith.addi
// CHECK: arith.muli
// CHECK: arith.maxsi
// CHECK: arith.subi
func.func @integers(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %0 = dl.add %a, %b : tensor<4xi64>, tensor<4xi64>
  %1 = dl.mul %0, %b : tensor<4xi64>, tensor<4xi64>
  %2 = dl.relu %1 : tensor<4xi64>
  %3 = dl.neg %2 : tensor<4xi64>
  return %3 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @math
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.sqrt
// CHECK: math.rsqrt
// CHECK: math.tanh
// CHECK: math.absf
// CHECK: math.erf
// CHECK: math.powf
func.func @math(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dl.exp %x : tensor<4xf32>
  %1 = dl.log %0 : tensor<4xf32>
  %2 = dl.sqrt %1 : tensor<4xf32>
  %3 = dl.rsqrt %2 : tensor<4xf32>
  %4 = dl.tanh %3 : tensor<4xf32>
  %5 = dl.abs %4 : tensor<4xf32>
  %6 = dl.gelu %5 : tensor<4xf32>
  %7 = dl.pow %6, %x : tensor<4xf32>, tensor<4xf32>
  return %7 : tensor<4xf32>
}

// -----

// Sigmoid is 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @sigmoid
// CHECK: arith.negf
// CHECK-NEXT: math.exp
// CHECK-NEXT: arith.addf
// CHECK-NEXT: arith.divf
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dl.sigmoid %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_sum_keepdims
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x5xf32>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x5xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x5xf32>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<?x4x5xf32>) outs(%[[F]] : tensor<?x5xf32>) dimensions = [1]
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[R]] {{\[\[}}0, 1], [2]] output_shape [%{{.*}}, 1, 5] : tensor<?x5xf32> into tensor<?x1x5xf32>
func.func @reduce_sum_keepdims(%x: tensor<?x4x5xf32>) -> tensor<?x1x5xf32> {
  %0 = dl.reduce_sum %x along [1] keepdims : tensor<?x4x5xf32>
  return %0 : tensor<?x1x5xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_max_mean
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: linalg.reduce
// CHECK: arith.maximumf
// CHECK: linalg.reduce
// CHECK: arith.addf
// CHECK: arith.sitofp
// CHECK: linalg.generic
// CHECK: arith.divf
func.func @reduce_max_mean(%x: tensor<3x4xf32>) -> (tensor<3xf32>, tensor<4xf32>) {
  %0 = dl.reduce_max %x along [1] : tensor<3x4xf32>
  %1 = dl.reduce_mean %x along [0] : tensor<3x4xf32>
  return %0, %1 : tensor<3xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_transpose
// CHECK: %[[SHAPE:.*]] = tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xindex>
// CHECK: %[[R:.*]] = tensor.reshape %{{.*}}(%[[SHAPE]]) : (tensor<?x3x4xf32>, tensor<2xindex>) -> tensor<?x12xf32>
// CHECK: linalg.transpose ins(%[[R]] : tensor<?x12xf32>) outs(%{{.*}} : tensor<12x?xf32>) permutation = [1, 0]
func.func @reshape_transpose(%x: tensor<?x3x4xf32>) -> tensor<12x?xf32> {
  %0 = dl.reshape %x : tensor<?x3x4xf32> -> tensor<?x12xf32>
  %1 = dl.transpose %0 [1, 0] : tensor<?x12xf32>
  return %1 : tensor<12x?xf32>
}

// -----

// Padding happens once, outside the convolution; the bias initialises the
// accumulator.
// CHECK-LABEL: func.func @conv
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<8xf32>) outs(%{{.*}} : tensor<?x8x6x6xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%[[PAD]], %{{.*}} : tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>) outs(%[[INIT]] : tensor<?x8x6x6xf32>)
func.func @conv(%x: tensor<?x3x6x6xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<?x8x6x6xf32> {
  %0 = dl.conv2d %x, %w, %b <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<?x3x6x6xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

// CHECK-LABEL: func.func @grouped_conv
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]]
// CHECK: linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] : tensor<2x2x3x2x2xf32> into tensor<2x6x2x2xf32>
func.func @grouped_conv(%x: tensor<2x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<2x6x2x2xf32> {
  %0 = dl.conv2d %x, %w <{dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}> : tensor<2x4x5x5xf32>, tensor<6x2x3x3xf32>
  return %0 : tensor<2x6x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @pools
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK: tensor.pad
// CHECK: linalg.pooling_nchw_sum
// CHECK: arith.constant 9.000000e+00 : f32
// CHECK: arith.divf
func.func @pools(%x: tensor<?x2x7x7xf32>) -> (tensor<?x2x3x3xf32>, tensor<?x2x7x7xf32>) {
  %0 = dl.max_pool2d %x <{kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}> : tensor<?x2x7x7xf32>
  %1 = dl.avg_pool2d %x <{kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<?x2x7x7xf32>
  return %0, %1 : tensor<?x2x3x3xf32>, tensor<?x2x7x7xf32>
}

// -----

// CHECK-LABEL: func.func @one_hot
// CHECK: linalg.generic
// CHECK: %[[C:.*]] = linalg.index 1 : index
// CHECK: %[[CI:.*]] = arith.index_cast %[[C]] : index to i64
// CHECK: arith.cmpi eq, %{{.*}}, %[[CI]] : i64
// CHECK: arith.select
func.func @one_hot(%y: tensor<?xi64>) -> tensor<?x10xf32> {
  %0 = dl.one_hot %y : tensor<?xi64> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Batched products read the batch dimensions directly: no reshapes.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @sequence_matmul
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @sequence_matmul(%x: tensor<?x7x4xf32>, %w: tensor<4x5xf32>) -> tensor<?x7x5xf32> {
  %0 = dl.matmul %x, %w : tensor<?x7x4xf32>, tensor<4x5xf32>
  return %0 : tensor<?x7x5xf32>
}

// -----

// CHECK-LABEL: func.func @batch3
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x6x8xf32>, tensor<?x8x6xf32>)
func.func @batch3(%q: tensor<?x6x8xf32>, %k: tensor<?x8x6xf32>) -> tensor<?x6x6xf32> {
  %0 = dl.matmul %q, %k : tensor<?x6x8xf32>, tensor<?x8x6xf32>
  return %0 : tensor<?x6x6xf32>
}

// -----

// Rank-4 batches (attention's [B, H, T, D]).
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-LABEL: func.func @attention_scores
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[K]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
func.func @attention_scores(%q: tensor<2x4x6x8xf32>, %k: tensor<2x4x8x6xf32>) -> tensor<2x4x6x6xf32> {
  %0 = dl.matmul %q, %k : tensor<2x4x6x8xf32>, tensor<2x4x8x6xf32>
  return %0 : tensor<2x4x6x6xf32>
}

// -----

// CHECK-LABEL: func.func @logic
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf une
// CHECK: arith.cmpi sge
// CHECK: arith.select
// CHECK: arith.uitofp %{{.*}} : i1 to f32
// CHECK: arith.fptosi %{{.*}} : f32 to i64
func.func @logic(%a: tensor<3xf32>, %b: tensor<3xf32>, %i: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi64>) {
  %lt = dl.compare "lt" %a, %b : tensor<3xf32>, tensor<3xf32>
  %ne = dl.compare "ne" %a, %b : tensor<3xf32>, tensor<3xf32>
  %ge = dl.compare "ge" %i, %i : tensor<3xi32>, tensor<3xi32>
  %s = dl.select %lt, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf32>
  %f = dl.convert %ne : tensor<3xi1> -> tensor<3xf32>
  %n = dl.convert %s : tensor<3xf32> -> tensor<3xi64>
  return %f, %n : tensor<3xf32>, tensor<3xi64>
}

// -----

// argmax: a reduction with two accumulators, the value and its index.
// CHECK-LABEL: func.func @argmax
// CHECK: %[[V:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<?x10xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xi64>)
// CHECK: linalg.index 1
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf uno
// CHECK: return %[[V]]#1
func.func @argmax(%x: tensor<?x10xf32>) -> tensor<?xi64> {
  %0 = dl.argmax %x axis 1 : tensor<?x10xf32>
  return %0 : tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @slice_concat
// CHECK: tensor.extract_slice %{{.*}}[0, 2] [%{{.*}}, 3] [1, 1] : tensor<?x8xf32> to tensor<?x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x11xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %{{.*}} into %[[E]][0, 0] [%{{.*}}, 3] [1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %[[A]][0, 3] [%{{.*}}, 8] [1, 1]
func.func @slice_concat(%x: tensor<?x8xf32>) -> tensor<?x11xf32> {
  %0 = dl.slice %x axis 1 [2, 5] : tensor<?x8xf32>
  %1 = dl.concat %0, %x axis 1 : tensor<?x3xf32>, tensor<?x8xf32>
  return %1 : tensor<?x11xf32>
}

// -----

// Embedding: a safe (clamped) read, replaced by NaN when out of range.
// CHECK-LABEL: func.func @embedding
// CHECK: linalg.generic
// CHECK: arith.index_cast %{{.*}} : i64 to index
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<10x4xf32>
// CHECK: arith.constant 0x7FC00000 : f32
// CHECK: arith.select
func.func @embedding(%t: tensor<10x4xf32>, %ids: tensor<?x3xi64>) -> tensor<?x3x4xf32> {
  %0 = dl.embedding %t, %ids : tensor<10x4xf32>, tensor<?x3xi64>
  return %0 : tensor<?x3x4xf32>
}

// -----

// x @ transpose(W), as every Linear layer computes: W is read through a
// transposed map; no transpose is materialised.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[IN:.*]]: tensor<?x4xf32>, %[[WT:.*]]: tensor<3x4xf32>)
// CHECK: linalg.matmul indexing_maps = [#[[X]], #[[W]], #{{.*}}] ins(%[[IN]], %[[WT]] : tensor<?x4xf32>, tensor<3x4xf32>)
// CHECK-NOT: linalg.transpose
func.func @linear(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  %t = dl.transpose %w [1, 0] : tensor<3x4xf32>
  %0 = dl.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// random_uniform: a generic over the shape of `like`, hashing the key, the
// stream and the row-major position (SplitMix64), top 24 bits to [0, 1).

// CHECK-LABEL: func.func @random_uniform
// CHECK-SAME: (%[[KEY:.*]]: tensor<i64>, %[[X:.*]]: tensor<?x5xf32>)
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[INIT:.*]] = tensor.empty(%[[D0]]) : tensor<?x5xf32>
// CHECK: linalg.generic {{.*}} ins(%[[KEY]] : tensor<i64>) outs(%[[INIT]] : tensor<?x5xf32>)
// CHECK: ^bb0(%[[K:.*]]: i64, %{{.*}}: f32):
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.index_cast %{{.*}} : index to i64
// CHECK: arith.addi %[[K]]
// CHECK-COUNT-3: arith.shrui
// CHECK: %[[TOP:.*]] = arith.shrui %{{.*}}, %c40_i64
// CHECK: %[[F:.*]] = arith.uitofp %[[TOP]] : i64 to f32
// CHECK: %[[U:.*]] = arith.mulf %[[F]], %cst{{.*}} : f32
// CHECK: linalg.yield %[[U]]
func.func @random_uniform(%key: tensor<i64>, %x: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %u = dl.random_uniform %key, %x <{stream = 2 : i64}> : tensor<i64>, tensor<?x5xf32>
  return %u : tensor<?x5xf32>
}

// -----

// numel: the product of the sizes, read at run time where dynamic.

// CHECK-LABEL: func.func @numel
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4xf64>)
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[P:.*]] = arith.muli %[[D0]], %c4
// CHECK: %[[I:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[F:.*]] = arith.sitofp %[[I]] : i64 to f64
// CHECK: tensor.from_elements %[[F]] : tensor<f64>
func.func @numel(%x: tensor<?x3x4xf64>) -> tensor<f64> {
  %n = dl.numel %x <{axes = array<i64: 0, 2>}> : tensor<?x3x4xf64>
  return %n : tensor<f64>
}

// -----

// Max-pooling's input adjoint: the flat index of each window's first
// maximum (a NaN counts as the maximum: unordered-greater, unless the
// maximum so far is already NaN; PyTorch's rule), then the gradient
// scattered there. The batch comes from the forward input, so the argmax
// can move next to the forward pooling (dl-plan-fusion).
// CHECK-LABEL: func.func @max_pool_grad
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: %[[B:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x2x4x4xf32>
// CHECK-NEXT: tensor.empty(%[[B]]) : tensor<?x2x2x2xf32>
// CHECK: %[[A:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: %[[UGT:.*]] = arith.cmpf ugt
// CHECK: %[[ORD:.*]] = arith.cmpf ord
// CHECK: %[[TAKE:.*]] = arith.andi %[[UGT]], %[[ORD]]
// CHECK: arith.select %[[TAKE]]
// CHECK: linalg.generic {{.*}}ins(%arg1, %[[A]]#1
// CHECK: arith.cmpi eq
func.func @max_pool_grad(%x: tensor<?x2x4x4xf32>, %g: tensor<?x2x2x2xf32>) -> tensor<?x2x4x4xf32> {
  %0 = dl.pool2d_grad "max" %x, %g <{kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}> : tensor<?x2x4x4xf32>, tensor<?x2x2x2xf32>
  return %0 : tensor<?x2x4x4xf32>
}
