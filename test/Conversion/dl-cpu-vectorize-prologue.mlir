// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=16}))' | FileCheck %s

// A product with its planned prologue (same dl.kernel: the broadcast bias it
// starts from). The prologue moves past the unrelated fill to the product,
// and its tile for each 8 x 32 block of the output is computed right before
// the block's reduction loop (a bias row in each of 8 rows); the block it
// would write is the accumulator the reduction reads, so the vector goes
// straight into the loop (store-to-load forwarding) and the write is dead:
// the block starts from the bias in registers, and the output is written
// once, after the reduction.
// CHECK-LABEL: func.func @bias_init
// CHECK: vector.store %{{.*}}, %arg4
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} step %c8
// CHECK: %[[BIAS:.*]] = vector.load {{.*}} vector<32xf32>
// CHECK: %[[BLOCK:.*]] = vector.insert %[[BIAS]], {{.*}} [7] : vector<32xf32> into vector<8x32xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[BLOCK]]) -> (vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma
// CHECK: }
// CHECK: vector.transfer_write %[[ACC]]
// The remainder rows: the prologue's and the product's remainders.
// CHECK: scf.for
// CHECK: linalg.generic {{.*}}["parallel", "parallel"]
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK-NOT: linalg.generic
// CHECK: return
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_init(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %bias: memref<128xf32>, %y: memref<?x128xf32>, %t: memref<16xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<128xf32>) outs(%y : memref<?x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  }
  linalg.fill ins(%one : f32) outs(%t : memref<16xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A zero fill as the prologue: each block starts from zeros in registers.
// CHECK-LABEL: func.func @zero_init
// CHECK: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} step %c8
// CHECK-NOT: vector.transfer_write
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROS]]) -> (vector<8x32xf32>)
// CHECK: vector.transfer_write
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: return
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
func.func @zero_init(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %y: memref<?x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill {dl.kernel = 1 : i64} ins(%zero : f32) outs(%y : memref<?x128xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An op between them reads the output's buffer (it must see the bias): the
// prologue stays where it is, a vectorised pass of its own before that op.
// CHECK-LABEL: func.func @read_in_between
// CHECK: scf.parallel
// CHECK: vector.store
// CHECK: scf.reduce
// CHECK: memref.copy
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK: return
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @read_in_between(%x: memref<64x64xf32>, %w: memref<64x128xf32>, %bias: memref<128xf32>, %y: memref<64x128xf32>, %saved: memref<64x128xf32>) {
  linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<128xf32>) outs(%y : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  }
  memref.copy %y, %saved : memref<64x128xf32> to memref<64x128xf32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<64x64xf32>, memref<64x128xf32>) outs(%y : memref<64x128xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
