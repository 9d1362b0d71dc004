// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=16}))' | FileCheck %s

// A product with its planned epilogue (same dl.kernel: bias + ReLU): the
// epilogue's tile for each 8 x 32 block of the output runs right after the
// block's reduction loop, vectorised (one bias row broadcast, add, max), so
// the output is not read again in a pass of its own. The remainder rows
// (dynamic batch) get the remainder of both, as linalg ops.
// CHECK-LABEL: func.func @bias_relu
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} step %c8
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma
// CHECK: }
// CHECK: vector.transfer_write %[[ACC]]
// CHECK: %[[BLOCK:.*]] = vector.transfer_read {{.*}} vector<8x32xf32>
// CHECK: %[[BIAS:.*]] = vector.load {{.*}} vector<32xf32>
// CHECK: arith.addf %[[BLOCK]], {{.*}} : vector<8x32xf32>
// CHECK: arith.maximumf {{.*}} : vector<8x32xf32>
// CHECK: vector.transfer_write {{.*}} vector<8x32xf32>
// CHECK: }
// CHECK: scf.for
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: linalg.generic {{.*}}["parallel", "parallel"]
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_relu(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %bias: memref<128xf32>, %y: memref<?x128xf32>, %h: memref<?x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : memref<?x128xf32>, memref<128xf32>) outs(%h : memref<?x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The same pair in different kernels: the ReLU is a pass of its own, after
// the product's loop nest.
// CHECK-LABEL: func.func @not_planned
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK: scf.reduce
// CHECK: scf.parallel
// CHECK: arith.maximumf {{.*}} : vector<32xf32>
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @not_planned(%x: memref<64x64xf32>, %w: memref<64x128xf32>, %y: memref<64x128xf32>, %h: memref<64x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<64x64xf32>, memref<64x128xf32>) outs(%y : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<64x128xf32>) outs(%h : memref<64x128xf32>) attrs = {dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %o: f32):
    %r = arith.maximumf %p, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// An epilogue that writes an operand of the product (here its left-hand
// side) would change rows the product still reads: it stays after the
// product, whatever the plan says. So does one that an op in between
// reads from (moved, it would run before that op).
// CHECK-LABEL: func.func @writes_product_input
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK: scf.reduce
// CHECK: scf.parallel
// CHECK: arith.maximumf {{.*}} : vector<32xf32>
// CHECK-LABEL: func.func @read_in_between
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK: scf.reduce
// CHECK: memref.copy
// CHECK: scf.parallel
// CHECK: arith.maximumf {{.*}} : vector<32xf32>
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @writes_product_input(%x: memref<64x128xf32>, %w: memref<128x128xf32>, %y: memref<64x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<64x128xf32>, memref<128x128xf32>) outs(%y : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<64x128xf32>) outs(%x : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %o: f32):
    %r = arith.maximumf %p, %zero : f32
    linalg.yield %r : f32
  }
  return
}
func.func @read_in_between(%x: memref<64x64xf32>, %w: memref<64x128xf32>, %y: memref<64x128xf32>, %h: memref<64x128xf32>, %saved: memref<64x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<64x64xf32>, memref<64x128xf32>) outs(%y : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  memref.copy %h, %saved : memref<64x128xf32> to memref<64x128xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<64x128xf32>) outs(%h : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %o: f32):
    %r = arith.maximumf %p, %zero : f32
    linalg.yield %r : f32
  }
  return
}
