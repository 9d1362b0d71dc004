// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=16}))' | FileCheck %s
// RUN: dl-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(dl-cpu-vectorize{vector-width=8}))' | FileCheck %s --check-prefix=AVX2

// 2x2 max-pooling through the view [n, c, oh, kh, ow, kw] of its input
// (dl-cpu-im2col): per output row, each kh reads its (ow, kw) pairs as one
// contiguous vector of 28 floats, split by shuffles into the even and odd
// lanes (kw = 0, 1), and the row of 14 maxima stays in a register across
// the kh loop, in kh-major, kw-minor order as the loops had it.
// CHECK-LABEL: func.func @max_pool
// CHECK: scf.parallel
// CHECK: %[[START:.*]] = vector.load %{{.*}} : memref<14xf32, {{.*}}>, vector<14xf32>
// CHECK: %[[ROW:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[START]]) -> (vector<14xf32>)
// CHECK: %[[PAIRS:.*]] = vector.load %{{.*}} : memref<28xf32, strided<[1], offset: ?>>, vector<28xf32>
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[PAIRS]], %[[PAIRS]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]
// CHECK: %[[ODD:.*]] = vector.shuffle %[[PAIRS]], %[[PAIRS]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27]
// CHECK: %[[M0:.*]] = arith.maximumf %[[ACC]], %[[EVEN]] : vector<14xf32>
// CHECK: %[[M1:.*]] = arith.maximumf %[[M0]], %[[ODD]] : vector<14xf32>
// CHECK: scf.yield %[[M1]]
// CHECK: vector.store %[[ROW]], %{{.*}} : memref<14xf32, {{.*}}>, vector<14xf32>
// CHECK-NOT: linalg.generic
// With 8 lanes the row of 14 still fits two registers: the same code.
// AVX2-LABEL: func.func @max_pool
// AVX2: vector.load {{.*}} vector<28xf32>
// AVX2: arith.maximumf {{.*}} : vector<14xf32>
// AVX2-NOT: linalg.generic
// AVX2: return
#view = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, kh, ow, kw)>
#win = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#out = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
func.func @max_pool(%x: memref<?x64x14x2x14x2xf32>, %y: memref<?x64x14x14xf32>) {
  %w = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#view, #win, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<?x64x14x2x14x2xf32>, memref<2x2xf32>) outs(%y : memref<?x64x14x14xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  memref.dealloc %w : memref<2x2xf32>
  return
}

// -----

// The training step's max-pooling: the value and the index of the first
// maximum (kh * 2 + kw, a constant per unrolled kw) as two register rows.
// CHECK-LABEL: func.func @argmax
// CHECK: scf.for {{.*}} -> (vector<14xf32>, vector<14xi32>)
// CHECK: vector.load {{.*}} vector<28xf32>
// CHECK-COUNT-2: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<14xi1>, vector<14xf32>
// CHECK: scf.yield
// CHECK: vector.store {{.*}} vector<14xf32>
// CHECK: vector.store {{.*}} vector<14xi32>
// CHECK-NOT: linalg.generic
#view = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, kh, ow, kw)>
#win = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#out = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
func.func @argmax(%x: memref<?x64x14x2x14x2xf32>, %best: memref<?x64x14x14xf32>, %idx: memref<?x64x14x14xi32>) {
  %w = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#view, #win, #out, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<?x64x14x2x14x2xf32>, memref<2x2xf32>) outs(%best, %idx : memref<?x64x14x14xf32>, memref<?x64x14x14xi32>) {
  ^bb0(%in: f32, %unused: f32, %cur: f32, %curIdx: i32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %flat32 = arith.index_cast %flat : index to i32
    %gt = arith.cmpf ugt, %in, %cur : f32
    %ord = arith.cmpf ord, %cur, %cur : f32
    %take = arith.andi %gt, %ord : i1
    %v = arith.select %take, %in, %cur : f32
    %i = arith.select %take, %flat32, %curIdx : i32
    linalg.yield %v, %i : f32, i32
  }
  memref.dealloc %w : memref<2x2xf32>
  return
}

// -----

// Its gradient written through the view: per kh, one vector per kw (the
// gradient where the index matches, else 0), interleaved by one shuffle
// into the row's 28 elements and stored at once.
// CHECK-LABEL: func.func @scatter
// CHECK: %[[G:.*]] = vector.load {{.*}} vector<14xf32>
// CHECK: %[[I:.*]] = vector.load {{.*}} vector<14xi32>
// CHECK: arith.cmpi eq, %{{.*}}, %[[I]] : vector<14xi32>
// CHECK: %[[A:.*]] = arith.select {{.*}} : vector<14xi1>, vector<14xf32>
// CHECK: arith.cmpi eq, %{{.*}}, %[[I]] : vector<14xi32>
// CHECK: %[[B:.*]] = arith.select {{.*}} : vector<14xi1>, vector<14xf32>
// CHECK: %[[BOTH:.*]] = vector.shuffle %[[A]], %[[B]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]
// CHECK: %[[ROW:.*]] = vector.shuffle %[[BOTH]], %[[BOTH]] [0, 14, 1, 15, 2, 16, 3, 17, 4, 18, 5, 19, 6, 20, 7, 21, 8, 22, 9, 23, 10, 24, 11, 25, 12, 26, 13, 27]
// CHECK: vector.store %[[ROW]], %{{.*}} : memref<28xf32, strided<[1], offset: ?>>, vector<28xf32>
// CHECK-NOT: linalg.generic
#in = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
#win = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#view = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, kh, ow, kw)>
func.func @scatter(%g: memref<?x64x14x14xf32>, %idx: memref<?x64x14x14xi32>, %dx: memref<?x64x14x2x14x2xf32>) {
  %w = memref.alloc() : memref<2x2xf32>
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#in, #in, #win, #view],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%g, %idx, %w : memref<?x64x14x14xf32>, memref<?x64x14x14xi32>, memref<2x2xf32>) outs(%dx : memref<?x64x14x2x14x2xf32>) {
  ^bb0(%gv: f32, %i: i32, %unused: f32, %out: f32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %flat32 = arith.index_cast %flat : index to i32
    %hit = arith.cmpi eq, %flat32, %i : i32
    %r = arith.select %hit, %gv, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %w : memref<2x2xf32>
  return
}

// -----

// Rows longer than two registers (a 40-pixel output row): vectors of 16
// and, peeled, the static remainder as a vector of 8.
// CHECK-LABEL: func.func @wide_rows
// CHECK: scf.for {{.*}} step %c16
// CHECK: vector.load {{.*}} vector<32xf32>
// CHECK: arith.maximumf {{.*}} : vector<16xf32>
// CHECK: vector.load {{.*}} vector<16xf32>
// CHECK: arith.maximumf {{.*}} : vector<8xf32>
// CHECK-NOT: linalg.generic
#view = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, kh, ow, kw)>
#win = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#out = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
func.func @wide_rows(%x: memref<?x8x40x2x40x2xf32>, %y: memref<?x8x40x40xf32>) {
  %w = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#view, #win, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<?x8x40x2x40x2xf32>, memref<2x2xf32>) outs(%y : memref<?x8x40x40xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  memref.dealloc %w : memref<2x2xf32>
  return
}

// -----

// Not taken: the body uses the index along the vector loop (a vector of
// indices), or the input's pairs are not contiguous (a strided view), or
// the offset loop is long (16: a plain vector along it is better).
// CHECK-LABEL: func.func @not_interleaved
// CHECK-NOT: vector.shuffle
// CHECK: return
#view = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, kh, ow, kw)>
#win = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#out = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
func.func @not_interleaved(%x: memref<?x64x14x2x14x2xf32>, %y: memref<?x64x14x14xf32>,
                           %s: memref<?x64x14x2x14x2xf32, strided<[?, ?, ?, ?, 4, 1]>>,
                           %long: memref<?x64x14x2x14x16xf32>) {
  %w = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#view, #win, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<?x64x14x2x14x2xf32>, memref<2x2xf32>) outs(%y : memref<?x64x14x14xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %ow = linalg.index 3 : index
    %i = arith.index_cast %ow : index to i32
    %f = arith.sitofp %i : i32 to f32
    %a = arith.addf %in, %f : f32
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#view, #win, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%s, %w : memref<?x64x14x2x14x2xf32, strided<[?, ?, ?, ?, 4, 1]>>, memref<2x2xf32>) outs(%y : memref<?x64x14x14xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  %w16 = memref.alloc() : memref<2x16xf32>
  linalg.generic {indexing_maps = [#view, #win, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%long, %w16 : memref<?x64x14x2x14x16xf32>, memref<2x16xf32>) outs(%y : memref<?x64x14x14xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  memref.dealloc %w : memref<2x2xf32>
  memref.dealloc %w16 : memref<2x16xf32>
  return
}
