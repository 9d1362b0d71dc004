// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=16}))' | FileCheck %s
// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=8}))' | FileCheck %s --check-prefix=AVX2

// x @ W^T (the seed CNN's fc1: K = 12544) as dot products of rows. Cache
// blocks of 64 rows x 64 columns (one 2-D parallel loop), chunks of 896 of
// k (the largest multiple of 16 up to 1024 that divides 12544). Register
// blocks of 4 rows x 4 columns: 16 accumulator vectors along k, 8 row loads
// and 16 FMAs per step, no broadcasts; after the chunk each row's 4
// accumulators are summed across lanes by a tree of shuffles (pairs folded
// into one vector, then halves added: 16 -> 8 -> 4 lanes) and added to C's
// row. The batch is dynamic: rows left over from blocks of 4 go one at a
// time (4 accumulators).
// CHECK-LABEL: func.func @x_wt
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c128) step (%c64, %c64)
// CHECK: scf.for %{{.*}} = %c0 to %c12544 step %c896
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c4
// CHECK: scf.for
// CHECK: %[[SUMS:.*]]:16 = scf.for %{{.*}} = %c0 to %c896 step %c16 iter_args
// CHECK-COUNT-8: vector.load {{.*}} : memref<4x896xf32, strided<[12544, 1], offset: ?>>, vector<16xf32>
// CHECK-COUNT-16: vector.fma {{.*}} : vector<16xf32>
// CHECK: scf.yield
// CHECK: %[[LO01:.*]] = vector.shuffle %[[SUMS]]#0, %[[SUMS]]#1 [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
// CHECK: %[[HI01:.*]] = vector.shuffle %[[SUMS]]#0, %[[SUMS]]#1 [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]
// CHECK: arith.addf %[[LO01]], %[[HI01]] : vector<16xf32>
// CHECK: vector.shuffle %[[SUMS]]#2, %[[SUMS]]#3
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5, 8, 9, 12, 13] : vector<16xf32>, vector<16xf32>
// CHECK: %[[ROW:.*]] = arith.addf {{.*}} : vector<4xf32>
// CHECK: %[[OLD:.*]] = vector.load {{.*}} : memref<4x4xf32, strided<[128, 1], offset: ?>>, vector<4xf32>
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[ROW]] : vector<4xf32>
// CHECK: vector.store %[[NEW]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %c0 to %c896 step %c16 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4: vector.fma
// CHECK-NOT: linalg.matmul
// CHECK: return
// With 8 lanes: blocks of 4 x 2 (8 accumulators, 6 rows: 14 of 16 registers).
// AVX2-LABEL: func.func @x_wt
// AVX2: scf.for %{{.*}} = %c0 to %c896 step %c8 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2-COUNT-8: vector.fma {{.*}} : vector<8xf32>
func.func @x_wt(%x: memref<?x12544xf32>, %w: memref<128x12544xf32>, %c: memref<?x128xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x12544xf32>, memref<128x12544xf32>) outs(%c : memref<?x128xf32>)
  return
}

// -----

// A short reduction (K = 128) is not a dot product: it keeps the 8 x 32
// register blocks of broadcasts (here over a transposed copy, as
// dl-cpu-loop-order makes it).
// CHECK-LABEL: func.func @short
// CHECK-NOT: vector.reduction
// CHECK: vector<8x32xf32>
func.func @short(%x: memref<64x128xf32>, %wt: memref<128x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%x, %wt : memref<64x128xf32>, memref<128x64xf32>) outs(%c : memref<64x64xf32>)
  return
}
