// RUN: dl-opt %s --dl-gpu-fold-transposes --split-input-file | FileCheck %s

// A Linear layer over a batch of sequences, x @ W^T: the contraction reads
// W through the transposed map; the transposed copy goes.
// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<?x32x64xf32>, %[[W:[^:]*]]: tensor<192x64xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[WT]], #{{.*}}]
// CHECK-SAME:      ins(%[[X]], %[[W]] : tensor<?x32x64xf32>, tensor<192x64xf32>)
// CHECK-SAME:      attrs = {dl.kernel = 2 : i64}
#x = affine_map<(b, t, k, n) -> (b, t, k)>
#w = affine_map<(b, t, k, n) -> (k, n)>
#y = affine_map<(b, t, k, n) -> (b, t, n)>
func.func @linear(%x: tensor<?x32x64xf32>, %w: tensor<192x64xf32>, %init: tensor<?x32x192xf32>) -> tensor<?x32x192xf32> {
  %e = tensor.empty() : tensor<64x192xf32>
  %t = linalg.transpose ins(%w : tensor<192x64xf32>) outs(%e : tensor<64x192xf32>) permutation = [1, 0] {dl.kernel = 1 : i64}
  %y = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%x, %t : tensor<?x32x64xf32>, tensor<64x192xf32>) outs(%init : tensor<?x32x192xf32>) attrs = {dl.kernel = 2 : i64} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32x192xf32>
  return %y : tensor<?x32x192xf32>
}

// -----

// Attention's heads: [B, T, H, D] -> [B, H, T, D] read by an elementwise
// op; the result index (b, h, t, d) reads the source at (b, t, h, d).
// A transpose also returned stays, for its other use only.
// CHECK-DAG: #[[HEADS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
// CHECK-LABEL: func.func @heads
// CHECK-SAME:    (%[[Q:[^:]*]]: tensor<?x32x4x16xf32>
// CHECK:         %[[T:.*]] = linalg.transpose
// CHECK:         linalg.generic {indexing_maps = [#[[HEADS]], #{{.*}}]
// CHECK-SAME:      ins(%[[Q]] : tensor<?x32x4x16xf32>)
// CHECK:         return %[[T]],
#id = affine_map<(b, h, t, d) -> (b, h, t, d)>
func.func @heads(%q: tensor<?x32x4x16xf32>, %e: tensor<?x4x32x16xf32>) -> (tensor<?x4x32x16xf32>, tensor<?x4x32x16xf32>) {
  %t = linalg.transpose ins(%q : tensor<?x32x4x16xf32>) outs(%e : tensor<?x4x32x16xf32>) permutation = [0, 2, 1, 3]
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%t : tensor<?x4x32x16xf32>) outs(%e : tensor<?x4x32x16xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<?x4x32x16xf32>
  return %t, %s : tensor<?x4x32x16xf32>, tensor<?x4x32x16xf32>
}

// -----

// A named consumer is generalized first, keeping its kernel: k^T in
// q @ k^T as a batch matmul reading k through (b, m, n, k) -> (b, n, k).
// CHECK-DAG: #[[KT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @named
// CHECK-SAME:    (%[[Q:[^:]*]]: tensor<8x32x16xf32>, %[[K:[^:]*]]: tensor<8x32x16xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[KT]], #{{.*}}]
// CHECK-SAME:      ins(%[[Q]], %[[K]] :
// CHECK-SAME:      dl.kernel = 3
func.func @named(%q: tensor<8x32x16xf32>, %k: tensor<8x32x16xf32>, %init: tensor<8x32x32xf32>) -> tensor<8x32x32xf32> {
  %e = tensor.empty() : tensor<8x16x32xf32>
  %t = linalg.transpose ins(%k : tensor<8x32x16xf32>) outs(%e : tensor<8x16x32xf32>) permutation = [0, 2, 1]
  %s = linalg.batch_matmul {dl.kernel = 3 : i64} ins(%q, %t : tensor<8x32x16xf32>, tensor<8x16x32xf32>) outs(%init : tensor<8x32x32xf32>) -> tensor<8x32x32xf32>
  return %s : tensor<8x32x32xf32>
}

// -----

// A consumer reading the transpose twice (x^T * x^T) reads the source
// through the permuted map in both places. A transpose of the transpose is
// left alone (and folds into its own consumers).
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @twice
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<4x8xf32>
// CHECK:         %[[T1:.*]] = linalg.transpose ins(%[[X]]
// CHECK:         linalg.generic {indexing_maps = [#[[T]], #[[T]], #{{.*}}]
// CHECK-SAME:      ins(%[[X]], %[[X]] :
// CHECK:         linalg.generic {indexing_maps = [#[[T]], #{{.*}}]
// CHECK-SAME:      ins(%[[T1]] :
#id2 = affine_map<(i, j) -> (i, j)>
func.func @twice(%x: tensor<4x8xf32>, %e: tensor<8x4xf32>, %f: tensor<4x8xf32>) -> (tensor<8x4xf32>, tensor<4x8xf32>) {
  %t = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%e : tensor<8x4xf32>) permutation = [1, 0]
  %p = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%t, %t : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<8x4xf32>
  %tt = linalg.transpose ins(%t : tensor<8x4xf32>) outs(%f : tensor<4x8xf32>) permutation = [1, 0]
  %q = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%tt : tensor<4x8xf32>) outs(%f : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  return %p, %q : tensor<8x4xf32>, tensor<4x8xf32>
}

// -----

// Attention's heads merged back ([B, H, T, D] -> [B, T, H, D]) before a
// reshape, which cannot read through a map: the producer (a contraction
// accumulating into a fill) writes the merged layout itself, into a fill of
// the transpose's empty tensor, through its output map composed with the
// permutation.
// CHECK-DAG: #[[MERGED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3)>
// CHECK-LABEL: func.func @merge_heads
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x32x4x16xf32>
// CHECK:         %[[F:.*]] = linalg.fill {dl.kernel = 7 : i64} ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x32x4x16xf32>)
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[MERGED]]]
// CHECK-SAME:      outs(%[[F]] : tensor<?x32x4x16xf32>)
// CHECK:         } -> tensor<?x32x4x16xf32>
// CHECK:         tensor.collapse_shape %[[Y]]
#p = affine_map<(b, h, t, d, s) -> (b, h, t, s)>
#v = affine_map<(b, h, t, d, s) -> (b, h, s, d)>
#o = affine_map<(b, h, t, d, s) -> (b, h, t, d)>
func.func @merge_heads(%p: tensor<?x4x32x32xf32>, %v: tensor<?x4x32x16xf32>) -> tensor<?x32x64xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %p, %c0 : tensor<?x4x32x32xf32>
  %e = tensor.empty(%n) : tensor<?x4x32x16xf32>
  %f = linalg.fill {dl.kernel = 7 : i64} ins(%zero : f32) outs(%e : tensor<?x4x32x16xf32>) -> tensor<?x4x32x16xf32>
  %y = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<?x4x32x32xf32>, tensor<?x4x32x16xf32>) outs(%f : tensor<?x4x32x16xf32>) attrs = {dl.kernel = 7 : i64} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4x32x16xf32>
  %e2 = tensor.empty(%n) : tensor<?x32x4x16xf32>
  %t = linalg.transpose ins(%y : tensor<?x4x32x16xf32>) outs(%e2 : tensor<?x32x4x16xf32>) permutation = [0, 2, 1, 3] {dl.kernel = 8 : i64}
  %r = tensor.collapse_shape %t [[0], [1], [2, 3]] : tensor<?x32x4x16xf32> into tensor<?x32x64xf32>
  return %r : tensor<?x32x64xf32>
}

// -----

// A producer whose result is also used elsewhere keeps its layout: the
// transpose stays.
// CHECK-LABEL: func.func @producer_shared
// CHECK:         %[[Y:.*]] = linalg.generic
// CHECK:         linalg.transpose ins(%[[Y]]
// CHECK:         tensor.collapse_shape
func.func @producer_shared(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<6xf32>) {
  %e = tensor.empty() : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<2x3xf32>
  %e2 = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%y : tensor<2x3xf32>) outs(%e2 : tensor<3x2xf32>) permutation = [1, 0]
  %r = tensor.collapse_shape %t [[0, 1]] : tensor<3x2xf32> into tensor<6xf32>
  return %y, %r : tensor<2x3xf32>, tensor<6xf32>
}

// -----

// A weight's gradient coming transposed out of its matmul, read by the
// optimizer's update: the matmul writes the weight's layout itself (its
// output map permuted) and the update is left as it was, reading all its
// operands through the same map, so that it can join the other updates in
// one launch (dl-merge-horizontal); reading the gradient through the
// transposed map instead would keep it apart.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d1, d0)>
// CHECK-LABEL: func.func @gradient_for_update
// CHECK-SAME:    (%[[X:[^:]*]]: tensor<8x4xf32>, %[[DY:[^:]*]]: tensor<8x6xf32>, %[[W:[^:]*]]: tensor<6x4xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[OUT]]]
// CHECK-SAME:      ins(%[[X]], %[[DY]] :
// CHECK-SAME:      outs(%{{.*}} : tensor<6x4xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]]
// CHECK-SAME:      ins(%[[W]], %[[G]] : tensor<6x4xf32>, tensor<6x4xf32>)
#x = affine_map<(i, o, n) -> (n, i)>
#dy = affine_map<(i, o, n) -> (n, o)>
#g = affine_map<(i, o, n) -> (i, o)>
#id = affine_map<(i, j) -> (i, j)>
func.func @gradient_for_update(%x: tensor<8x4xf32>, %dy: tensor<8x6xf32>, %w: tensor<6x4xf32>) -> tensor<6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %g = linalg.generic {indexing_maps = [#x, #dy, #g], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %dy : tensor<8x4xf32>, tensor<8x6xf32>) outs(%f : tensor<4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x6xf32>
  %e2 = tensor.empty() : tensor<6x4xf32>
  %t = linalg.transpose ins(%g : tensor<4x6xf32>) outs(%e2 : tensor<6x4xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<6x4xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %t : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e3 : tensor<6x4xf32>) {
  ^bb0(%p: f32, %d: f32, %o: f32):
    %s = arith.subf %p, %d : f32
    linalg.yield %s : f32
  } -> tensor<6x4xf32>
  return %u : tensor<6x4xf32>
}
