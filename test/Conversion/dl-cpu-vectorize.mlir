// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=16}))' | FileCheck %s
// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=8}))' | FileCheck %s --check-prefix=AVX2
// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=0}))' | FileCheck %s --check-prefix=OFF

// With 8 lanes (AVX2) the blocks are 4 x 16; with 0 nothing changes.
// AVX2-LABEL: func.func @matmul
// AVX2: scf.for {{.*}} step %c4
// AVX2: iter_args({{.*}}) -> (vector<4x16xf32>)
// AVX2-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// OFF-LABEL: func.func @matmul
// OFF-NOT: vector
// OFF: linalg.generic

// A product x @ W with a dynamic batch: 8 x 32 blocks of the output (two
// 16-lane registers wide), the column blocks in an scf.parallel (OpenMP with
// threads), the block read before the reduction loop, carried through it and
// written after it, eight FMAs (outer products) per step; the batch rows
// that do not fill a block stay a linalg op (scalar loops later). Each step
// also prefetches W's row for the next column block (its two cache lines, the
// column clamped to the last block, 128 - 32).
// CHECK-LABEL: func.func @matmul
// CHECK: scf.parallel (%[[J:.*]]) = (%{{.*}}) to (%{{.*}}) step (%c32)
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c8
// CHECK: %[[ACC0:.*]] = vector.transfer_read {{.*}} vector<8x32xf32>
// CHECK: %[[ACC:.*]] = scf.for %[[K:.*]] = {{.*}} iter_args(%{{.*}} = %[[ACC0]]) -> (vector<8x32xf32>)
// CHECK: %[[NEXT:.*]] = arith.addi %[[J]], %c32
// CHECK: %[[AT:.*]] = arith.minsi %[[NEXT]], %c96
// CHECK: memref.prefetch %{{.*}}[%[[K]], %[[AT]]], read, locality<3>, data : memref<64x128xf32>
// CHECK: %[[AT16:.*]] = arith.addi %[[AT]], %c16
// CHECK: memref.prefetch %{{.*}}[%[[K]], %[[AT16]]], read
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.yield
// CHECK: vector.transfer_write %[[ACC]]
// CHECK: scf.for
// CHECK: linalg.generic
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
func.func @matmul(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %y: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A convolution after dl-cpu-im2col: the parallel loops go first, the image
// (28 x 28) and the filter taps (1 x 3 x 3) collapse into runs of 784 and 9,
// and the output channels (read from the filter as scalars) form 8 x 16
// blocks over the 9-step reduction. 784 = 49 x 16: no remainder.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3], [4, 5]] : memref<1x3x3x?x28x28xf32> into memref<9x?x784xf32>
// CHECK-DAG: memref.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : memref<64x1x3x3xf32> into memref<64x9xf32>
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} to %c784 step %c16
// CHECK: scf.for {{.*}} to %c64 step %c8
// CHECK: scf.for {{.*}} to %c9 step %c1 iter_args({{.*}}) -> (vector<8x16xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: linalg.generic
#copy = affine_map<(n, f, oh, ow, c, kh, kw) -> (c, kh, kw, n, oh, ow)>
#filter = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
func.func @conv(%cols: memref<1x3x3x?x28x28xf32>, %w: memref<64x1x3x3xf32>, %y: memref<?x64x28x28xf32>) {
  linalg.generic {indexing_maps = [#copy, #filter, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%cols, %w : memref<1x3x3x?x28x28xf32>, memref<64x1x3x3xf32>) outs(%y : memref<?x64x28x28xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Elementwise: all four dimensions collapse into one loop cut into 32-lane
// vectors (LLVM's own vectorizer made gathers of the 4-deep nest), the
// remainder stays scalar.
// CHECK-LABEL: func.func @relu
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : memref<?x64x28x28xf32> into memref<?xf32>
// CHECK: scf.parallel {{.*}} step (%c32)
// CHECK: vector.load {{.*}} vector<32xf32>
// CHECK: arith.maximumf {{.*}} : vector<32xf32>
// CHECK: vector.store
// CHECK: scf.for
// CHECK: linalg.generic
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @relu(%x: memref<?x64x28x28xf32>, %y: memref<?x64x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x64x28x28xf32>) outs(%y : memref<?x64x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %zero : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// i1 buffers hold a byte per element, vector<32xi1> a bit: left alone.
// CHECK-LABEL: func.func @bool_outputs_stay_scalar
// CHECK-NOT: vector
// CHECK: linalg.generic
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @bool_outputs_stay_scalar(%x: memref<?x64xf32>, %y: memref<?x64xi1>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x64xf32>) outs(%y : memref<?x64xi1>) {
  ^bb0(%in: f32, %out: i1):
    %0 = arith.cmpf ogt, %in, %zero : f32
    linalg.yield %0 : i1
  }
  return
}

// -----

// A reduction into an output block (max-pool with its argmax over a window
// copy): the output in 32-lane vectors, both accumulators (value and index)
// carried through the 4-step window loop, linalg.index of the window folded
// into the loop counter.
// CHECK-LABEL: func.func @argmax_pool
// CHECK: scf.parallel
// CHECK: %[[BEST:.*]] = vector.load {{.*}} vector<32xf32>
// CHECK: %[[IDX:.*]] = vector.load {{.*}} vector<32xi64>
// CHECK: %[[R:.*]]:2 = scf.for %[[K:.*]] = %{{.*}} to %c4 step %c1 iter_args(%{{.*}} = %[[BEST]], %{{.*}} = %[[IDX]])
// CHECK: arith.index_cast %[[K]] : index to i64
// CHECK: arith.cmpf ogt, {{.*}} : vector<32xf32>
// CHECK: arith.select {{.*}} : vector<32xi1>, vector<32xi64>
// CHECK: vector.store %[[R]]#0
// CHECK: vector.store %[[R]]#1
#win = affine_map<(n, c, p, k) -> (k, n, c, p)>
#res = affine_map<(n, c, p, k) -> (n, c, p)>
func.func @argmax_pool(%cols: memref<4x?x64x196xf32>, %best: memref<?x64x196xf32>, %idx: memref<?x64x196xi64>) {
  linalg.generic {indexing_maps = [#win, #res, #res], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%cols : memref<4x?x64x196xf32>) outs(%best, %idx : memref<?x64x196xf32>, memref<?x64x196xi64>) {
  ^bb0(%v: f32, %cur: f32, %curIdx: i64):
    %k = linalg.index 3 : index
    %k64 = arith.index_cast %k : index to i64
    %gt = arith.cmpf ogt, %v, %cur : f32
    %m = arith.select %gt, %v, %cur : f32
    %i = arith.select %gt, %k64, %curIdx : i64
    linalg.yield %m, %i : f32, i64
  }
  return
}

// -----

// A transpose (W^T for x @ W^T): 16 x 16 blocks read as rows, transposed in
// registers with shuffles, written as rows (LLVM made scatters of the row
// loop); the 8 rows left over at the end stay scalar.
// CHECK-LABEL: func.func @transpose
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c992) step (%c16)
// CHECK: scf.for {{.*}} to %c128 step %c16
// CHECK: vector.transfer_read {{.*}} : memref<16x16xf32, strided<[1000, 1], offset: ?>>, vector<16x16xf32>
// CHECK: vector.shuffle
// CHECK: vector.transfer_write {{.*}} : vector<16x16xf32>, memref<16x16xf32, strided<[128, 1], offset: ?>>
// CHECK: linalg.transpose
// AVX2-LABEL: func.func @transpose
// AVX2-NOT: vector.shuffle
// AVX2: vector.transfer_write {{.*}} : vector<16x16xf32>
func.func @transpose(%w: memref<128x1000xf32>, %wt: memref<1000x128xf32>) {
  linalg.transpose ins(%w : memref<128x1000xf32>) outs(%wt : memref<1000x128xf32>) permutation = [1, 0]
  return
}

// -----

// A sum into few outputs (a convolution's bias gradient): the image's pixels
// collapse into one contiguous reduction cut into vectors, added lane by
// lane into partial sums that stay in a register across both reduction
// loops (batch and pixels); the lanes are summed once (a tree, reassoc),
// onto the output's value, after both.
// CHECK-LABEL: func.func @bias_grad
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<?x64x28x28xf32> into memref<?x64x784xf32>
// CHECK: scf.parallel
// CHECK: %[[ACC0:.*]] = vector.load {{.*}} vector<f32>
// CHECK: %[[LANES:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROS:.*]]) -> (vector<16xf32>)
// CHECK: scf.for {{.*}} to %c784 step %c16 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// CHECK: %[[V:.*]] = vector.load {{.*}} vector<16xf32>
// CHECK: arith.addf %{{.*}}, %[[V]] : vector<16xf32>
// CHECK-NOT: vector.reduction
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: %[[INIT:.*]] = vector.extract %[[ACC0]][] : f32 from vector<f32>
// CHECK: vector.reduction <add>, %[[LANES]], %[[INIT]] fastmath<reassoc> : vector<16xf32> into f32
// CHECK: vector.store {{.*}} vector<f32>
func.func @bias_grad(%g: memref<?x64x28x28xf32>, %db: memref<64xf32>) {
  linalg.reduce ins(%g : memref<?x64x28x28xf32>) outs(%db : memref<64xf32>) dimensions = [0, 2, 3]
    (%a: f32, %acc: f32) {
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    }
  return
}
