// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-fold-unit-reshapes))' -split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A keepdims reduction's expand_shape, an elementwise op over [N, 1] (the
// log of cross-entropy's row sums) and a consumer's collapse_shape: the log
// runs over [N] and both reshapes fold away, so the consumer reads it
// directly (and fusion can join them).
// CHECK-LABEL: func.func @log_of_row_sums
// CHECK-SAME: (%[[S:.*]]: tensor<?xf32>, %[[X:.*]]: tensor<?x10xf32>)
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[L:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[S]] : tensor<?xf32>)
// CHECK: math.log
// CHECK: linalg.generic {{.*}}ins(%[[X]], %[[L]] : tensor<?x10xf32>, tensor<?xf32>)
func.func @log_of_row_sums(%s: tensor<?xf32>, %x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %s, %c0 : tensor<?xf32>
  %e = tensor.expand_shape %s [[0, 1]] output_shape [%n, 1] : tensor<?xf32> into tensor<?x1xf32>
  %init = tensor.empty(%n) : tensor<?x1xf32>
  %l = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<?x1xf32>) outs(%init : tensor<?x1xf32>) {
  ^bb0(%p: f32, %o: f32):
    %v = math.log %p : f32
    linalg.yield %v : f32
  } -> tensor<?x1xf32>
  %c = tensor.collapse_shape %l [[0, 1]] : tensor<?x1xf32> into tensor<?xf32>
  %init2 = tensor.empty(%n) : tensor<?x10xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %c : tensor<?x10xf32>, tensor<?xf32>) outs(%init2 : tensor<?x10xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %v = arith.subf %p, %q : f32
    linalg.yield %v : f32
  } -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A reshape of real dimensions ([12] into [3, 4]) is left alone: collapsing
// the op's loops would change the nests that the CPU passes tile.
// CHECK-LABEL: func.func @real_dimensions
// CHECK: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
func.func @real_dimensions(%s: tensor<12xf32>) -> tensor<3x4xf32> {
  %e = tensor.expand_shape %s [[0, 1]] output_shape [3, 4] : tensor<12xf32> into tensor<3x4xf32>
  %init = tensor.empty() : tensor<3x4xf32>
  %l = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<3x4xf32>) outs(%init : tensor<3x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %v = math.exp %p : f32
    linalg.yield %v : f32
  } -> tensor<3x4xf32>
  return %l : tensor<3x4xf32>
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>

// A reduction over the expanded value keeps its loops.
// CHECK-LABEL: func.func @reduction_consumer
// CHECK: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
func.func @reduction_consumer(%s: tensor<8xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.expand_shape %s [[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<8x1xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %v = arith.addf %p, %o : f32
    linalg.yield %v : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}
