// RUN: dl-opt %s -split-input-file -dl-cpu-im2col -mlir-print-local-scope | FileCheck %s

// A convolution: the windows are copied out as [c, kh, kw, n, oh, ow] and
// the convolution reads the copy through a projection (a contraction).
// CHECK-LABEL: func.func @conv
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<1x3x3x?x28x28xf32>
// CHECK: %[[COPY:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d1 + d4, d2 + d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<?x1x30x30xf32>) outs(%[[E]] :
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>]{{.*}} ins(%[[COPY]], %{{.*}} : tensor<1x3x3x?x28x28xf32>, tensor<64x1x3x3xf32>)
// CHECK-NOT: linalg.conv_2d
func.func @conv(%x: tensor<?x1x30x30xf32>, %w: tensor<64x1x3x3xf32>, %init: tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x1x30x30xf32>, tensor<64x1x3x3xf32>) outs(%init : tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32>
  return %0 : tensor<?x64x28x28xf32>
}

// -----

// The filter gradient: the copy is [n, oh, ow, c, kh, kw], so that the
// gradient's (c, kh, kw) is one contiguous run in it.
// CHECK-LABEL: func.func @filter_grad
// CHECK: tensor.empty(%{{.*}}) : tensor<?x28x28x1x3x3xf32>
// CHECK: %[[COPY:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 + d4, d2 + d5)>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d1, d2, d3)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>]{{.*}} ins(%[[COPY]], %{{.*}} :
#x = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw)>
#g = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>
#w = affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>
func.func @filter_grad(%x: tensor<?x1x30x30xf32>, %g: tensor<?x64x28x28xf32>, %init: tensor<64x1x3x3xf32>) -> tensor<64x1x3x3xf32> {
  %0 = linalg.generic {indexing_maps = [#x, #g, #w], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : tensor<?x1x30x30xf32>, tensor<?x64x28x28xf32>) outs(%init : tensor<64x1x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %1 = arith.mulf %a, %b : f32
    %2 = arith.addf %acc, %1 : f32
    linalg.yield %2 : f32
  } -> tensor<64x1x3x3xf32>
  return %0 : tensor<64x1x3x3xf32>
}

// -----

// Max-pooling with stride = window over images that the windows tile: no
// copy, the input is read through a view that splits each image dimension
// into (window, offset): [n, c, oh, kh, ow, kw].
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: linalg.generic
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [%{{.*}}, 64, 14, 2, 14, 2] : tensor<?x64x28x28xf32> into tensor<?x64x14x2x14x2xf32>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[VIEW]], %{{.*}} :
// CHECK-NOT: linalg.generic
func.func @max_pool(%x: tensor<?x64x28x28xf32>, %init: tensor<?x64x14x14xf32>) -> tensor<?x64x14x14xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %window : tensor<?x64x28x28xf32>, tensor<2x2xf32>) outs(%init : tensor<?x64x14x14xf32>) -> tensor<?x64x14x14xf32>
  return %0 : tensor<?x64x14x14xf32>
}

// -----

// Stride = window, but the windows leave the last row and column out (29 =
// 14 * 2 + 1): no view covers the image; the copy is no larger than the
// input and walks it image by image ([n, c, kh, kw, oh, ow]).
// CHECK-LABEL: func.func @max_pool_uncovered
// CHECK: tensor.empty(%{{.*}}) : tensor<?x64x2x2x14x14xf32>
// CHECK: %[[COPY:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2, d5 * 2 + d3)>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5, d2, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>]{{.*}} ins(%[[COPY]], %{{.*}} :
func.func @max_pool_uncovered(%x: tensor<?x64x29x29xf32>, %init: tensor<?x64x14x14xf32>) -> tensor<?x64x14x14xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %window : tensor<?x64x29x29xf32>, tensor<2x2xf32>) outs(%init : tensor<?x64x14x14xf32>) -> tensor<?x64x14x14xf32>
  return %0 : tensor<?x64x14x14xf32>
}

// -----

// Max-pooling's gradient scatters into windows that tile the image: written
// through the view, each element once, so every loop is parallel and the
// zeros it started from become the constant (no fill to read); the result
// is collapsed back to the image's shape.
// CHECK-LABEL: func.func @pool_scatter
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x64x28x28xf32>
// CHECK: %[[FILLED:.*]] = linalg.fill
// CHECK-NOT: %[[FILLED]]
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %[[EMPTY]]
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4, d3, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: outs(%[[VIEW]] :
// CHECK: ^bb0(%[[G:.*]]: f32, %{{.*}}: i32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK: %[[SUM:.*]] = arith.addf %[[G]], %[[ZERO:.*]] : f32
// CHECK: arith.select %{{.*}}, %[[SUM]], %[[ZERO]] : f32
// CHECK: tensor.collapse_shape %[[OUT]] {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<?x64x14x2x14x2xf32> into tensor<?x64x28x28xf32>
func.func @pool_scatter(%g: tensor<?x64x14x14xf32>, %idx: tensor<?x64x14x14xi32>) -> tensor<?x64x28x28xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %g, %c0 : tensor<?x64x14x14xf32>
  %empty = tensor.empty(%n) : tensor<?x64x28x28xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.generic {indexing_maps = [
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>],
      iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%g, %idx, %window : tensor<?x64x14x14xf32>, tensor<?x64x14x14xi32>, tensor<2x2xf32>)
      outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%gv: f32, %i: i32, %w: f32, %out: f32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %flat32 = arith.index_cast %flat : index to i32
    %hit = arith.cmpi eq, %flat32, %i : i32
    %sum = arith.addf %gv, %out : f32
    %r = arith.select %hit, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<?x64x28x28xf32>
  return %0 : tensor<?x64x28x28xf32>
}

// -----

// The scatter's only reader is elementwise (ReLU's gradient, masked by the
// ReLU's result): it moves onto the same view (its other image-shaped
// operand expanded alike, the constant kept) and the scatter is fused into
// it, so the scattered gradient is never written out and read back.
// CHECK-LABEL: func.func @pool_scatter_relu
// CHECK: %[[R:.*]] = tensor.expand_shape %arg2 {{\[}}[0], [1], [2, 3], [4, 5]]
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[R]], %{{.*}}, %arg0, %arg1, %{{.*}} : tensor<?x64x14x2x14x2xf32>, tensor<f32>, tensor<?x64x14x14xf32>, tensor<?x64x14x14xi32>, tensor<2x2xf32>)
// CHECK: arith.cmpi eq
// CHECK: %[[G:.*]] = arith.select
// CHECK: %[[POS:.*]] = arith.cmpf ogt
// CHECK: arith.select %[[POS]], %[[G]]
// CHECK: tensor.collapse_shape %[[OUT]] {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<?x64x14x2x14x2xf32> into tensor<?x64x28x28xf32>
// CHECK-NOT: linalg.generic
func.func @pool_scatter_relu(%g: tensor<?x64x14x14xf32>, %idx: tensor<?x64x14x14xi32>, %r: tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %zeroT = arith.constant dense<0.0> : tensor<f32>
  %n = tensor.dim %g, %c0 : tensor<?x64x14x14xf32>
  %empty = tensor.empty(%n) : tensor<?x64x28x28xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %s = linalg.generic {indexing_maps = [
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>],
      iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%g, %idx, %window : tensor<?x64x14x14xf32>, tensor<?x64x14x14xi32>, tensor<2x2xf32>)
      outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%gv: f32, %i: i32, %w: f32, %out: f32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %flat32 = arith.index_cast %flat : index to i32
    %hit = arith.cmpi eq, %flat32, %i : i32
    %sum = arith.addf %gv, %out : f32
    %res = arith.select %hit, %sum, %out : f32
    linalg.yield %res : f32
  } -> tensor<?x64x28x28xf32>
  %mask = linalg.generic {indexing_maps = [
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>,
      affine_map<(d0, d1, d2, d3) -> ()>,
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>,
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%r, %zeroT, %s : tensor<?x64x28x28xf32>, tensor<f32>, tensor<?x64x28x28xf32>)
      outs(%empty : tensor<?x64x28x28xf32>) {
  ^bb0(%rv: f32, %z: f32, %sv: f32, %o: f32):
    %pos = arith.cmpf ogt, %rv, %z : f32
    %v = arith.select %pos, %sv, %z : f32
    linalg.yield %v : f32
  } -> tensor<?x64x28x28xf32>
  return %mask : tensor<?x64x28x28xf32>
}

// -----

// The same scatter adding into an existing gradient (not a fill): the view
// of that gradient is the output, read and written.
// CHECK-LABEL: func.func @pool_scatter_accumulate
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %arg2 {{\[}}[0], [1], [2, 3], [4, 5]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} {{.*}} outs(%[[VIEW]] :
// CHECK: arith.addf %{{.*}}, %[[OUT:.*]] : f32
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[OUT]] : f32
func.func @pool_scatter_accumulate(%g: tensor<?x64x14x14xf32>, %idx: tensor<?x64x14x14xi32>, %init: tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.generic {indexing_maps = [
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>,
      affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>],
      iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%g, %idx, %window : tensor<?x64x14x14xf32>, tensor<?x64x14x14xi32>, tensor<2x2xf32>)
      outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%gv: f32, %i: i32, %w: f32, %out: f32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %flat32 = arith.index_cast %flat : index to i32
    %hit = arith.cmpi eq, %flat32, %i : i32
    %sum = arith.addf %gv, %out : f32
    %r = arith.select %hit, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<?x64x28x28xf32>
  return %0 : tensor<?x64x28x28xf32>
}

// -----

// Overlapping windows (3 x 3, stride 1) would copy the input 9 times for a
// max: not worth it, the pooling keeps reading its input directly.
// CHECK-LABEL: func.func @overlapping_pool
// CHECK-NOT: tensor.empty(%{{.*}}) : tensor<?x64x
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
func.func @overlapping_pool(%x: tensor<?x64x28x28xf32>, %init: tensor<?x64x26x26xf32>) -> tensor<?x64x26x26xf32> {
  %window = tensor.empty() : tensor<3x3xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %window : tensor<?x64x28x28xf32>, tensor<3x3xf32>) outs(%init : tensor<?x64x26x26xf32>) -> tensor<?x64x26x26xf32>
  return %0 : tensor<?x64x26x26xf32>
}
