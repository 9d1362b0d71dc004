// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-plan-fusion))' -split-input-file | FileCheck %s
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-plan-fusion{fuse=false}))' -split-input-file | FileCheck %s --check-prefix=NOFUSE
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-plan-fusion{epilogues=false}))' -split-input-file | FileCheck %s --check-prefix=NOEPI

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Bias + ReLU after a matmul: the two elementwise ops are one kernel, and
// that kernel is the matmul's epilogue (the same number: computed per block
// of the product on the CPU). Its initial value, a zero fill read by
// nothing else, is its prologue (the same number again: written into each
// block before the block's reduction). Without epilogues (the GPU's plan)
// the fill and the matmul are kernels of their own.
// CHECK-LABEL: func.func @bias_relu
// CHECK: linalg.fill {dl.kernel = 1 : i64}
// CHECK: linalg.matmul {dl.kernel = 1 : i64}
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK: arith.maximumf
// NOEPI-LABEL: func.func @bias_relu
// NOEPI: linalg.fill {dl.kernel = 1 : i64}
// NOEPI: linalg.matmul {dl.kernel = 2 : i64}
// NOEPI: linalg.generic {{.*}}dl.kernel = 3 : i64
// NOEPI: linalg.generic {{.*}}dl.kernel = 3 : i64
// NOFUSE-LABEL: func.func @bias_relu
// NOFUSE: dl.kernel = 1
// NOFUSE: dl.kernel = 2
// NOFUSE: dl.kernel = 3
// NOFUSE: dl.kernel = 4
func.func @bias_relu(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<8x3xf32>, tensor<3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.maximumf %p, %zero : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// exp feeds two ops: fused, it would be computed twice; it stays apart.
// CHECK-LABEL: func.func @shared_producer
// CHECK: dl.kernel = 1 : i64
// CHECK: math.exp
// CHECK: dl.kernel = 2 : i64
// CHECK: arith.addf
// CHECK: dl.kernel = 3 : i64
// CHECK: arith.mulf
func.func @shared_producer(%x: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %e = tensor.empty() : tensor<8x3xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.mulf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %a, %m : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A cheap producer (a subtraction of a broadcast row value: one operand of
// its size) feeding two ops: each gets a copy of its own and fuses it (as
// XLA duplicates cheap producers), so no kernel writes the shifted values.
// With fuse=false nothing is copied.
// CHECK-LABEL: func.func @cheap_shared_producer
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64, dl.recomputed
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK: linalg.generic {{.*}}dl.kernel = 2 : i64, dl.recomputed
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.exp
// CHECK: linalg.generic {{.*}}dl.kernel = 2 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// NOFUSE-LABEL: func.func @cheap_shared_producer
// NOFUSE-COUNT-1: arith.subf
func.func @cheap_shared_producer(%x: tensor<8x3xf32>, %m: tensor<8xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %e = tensor.empty() : tensor<8x3xf32>
  %z = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<8x3xf32>, tensor<8xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.subf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.mulf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %a, %b : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A subtraction of two operands of its size: a copy in each consumer would
// read both, more than the one result it reads now; it stays apart.
// CHECK-LABEL: func.func @two_operands_of_its_size
// CHECK: dl.kernel = 1 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK: dl.kernel = 2 : i64
// CHECK: dl.kernel = 3 : i64
// CHECK-NOT: arith.subf
func.func @two_operands_of_its_size(%x: tensor<8x3xf32>, %y: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %e = tensor.empty() : tensor<8x3xf32>
  %z = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<8x3xf32>, tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.subf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.mulf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %a, %b : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A producer with a math function read through a broadcast runs once per
// element of the consumer: fused where that is at most 16 times per element
// of its own (a log of row sums over 10 classes), not beyond (layer norm's
// rsqrt over 64 features).
// CHECK-LABEL: func.func @math_through_broadcasts
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.log
// CHECK: linalg.generic {{.*}}dl.kernel = 2 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.rsqrt
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK: linalg.generic {{.*}}dl.kernel = 3 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
func.func @math_through_broadcasts(%s: tensor<8xf32>, %x: tensor<8x10xf32>, %v: tensor<8xf32>, %y: tensor<8x64xf32>) -> (tensor<8x10xf32>, tensor<8x64xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %l = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%s : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %r = math.log %p : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %i = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%v : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %r = math.rsqrt %p : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %e10 = tensor.empty() : tensor<8x10xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %l : tensor<8x10xf32>, tensor<8xf32>) outs(%e10 : tensor<8x10xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.subf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<8x10xf32>
  %e64 = tensor.empty() : tensor<8x64xf32>
  %b = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %i : tensor<8x64xf32>, tensor<8xf32>) outs(%e64 : tensor<8x64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.mulf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<8x64xf32>
  return %a, %b : tensor<8x10xf32>, tensor<8x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A consumer of a product that also reads the product's row maximum (computed
// after the product, from it) is no epilogue: the maximum is not known when
// each block of the product is.
// CHECK-LABEL: func.func @epilogue_needs_a_later_value
// CHECK: linalg.matmul {dl.kernel = 1 : i64}
// CHECK: linalg.generic {{.*}}dl.kernel = 3 : i64
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}}dl.kernel = 4 : i64
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
func.func @epilogue_needs_a_later_value(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %e1 = tensor.empty() : tensor<8xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8xf32>) -> tensor<8xf32>
  %max = linalg.reduce ins(%m : tensor<8x3xf32>) outs(%f1 : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.maximumf %in, %acc : f32
      linalg.yield %s : f32
    }
  %z = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %max : tensor<8x3xf32>, tensor<8xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.subf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %z : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An elementwise producer read once per element by a reduction (softmax's
// exp into its row sum) joins the reduction's kernel; linalg.reduce is
// planned as the generic it is.
// CHECK-LABEL: func.func @exp_into_row_sum
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK: math.exp
// CHECK: linalg.fill {{.*}}dl.kernel = 2 : i64
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}dl.kernel = 1 : i64
// CHECK-NOT: linalg.reduce
func.func @exp_into_row_sum(%x: tensor<8x3xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %e1 = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%exp : tensor<8x3xf32>) outs(%f : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %sum : tensor<8xf32>
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// A contraction reads each element of its left operand once per output
// column: its elementwise producer stays a kernel of its own.
// CHECK-LABEL: func.func @producer_of_contraction
// CHECK: dl.kernel = 1 : i64
// CHECK: math.tanh
// CHECK: dl.kernel = 2 : i64
// CHECK: arith.mulf
func.func @producer_of_contraction(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %acc: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %e = tensor.empty() : tensor<8x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.tanh %p : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  %m = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%t, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%acc : tensor<8x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.mulf %p, %q : f32
    %r = arith.addf %o, %s : f32
    linalg.yield %r : f32
  } -> tensor<8x3xf32>
  return %m : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A plan already in the IR is kept (here: a user split a chain the planner
// would fuse); ops without a number get fresh ones.
// CHECK-LABEL: func.func @given_plan
// CHECK: dl.kernel = 7 : i64
// CHECK: math.exp
// CHECK: dl.kernel = 8 : i64
// CHECK: arith.addf
// CHECK: dl.kernel = 9 : i64
// CHECK: arith.mulf
func.func @given_plan(%x: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %e = tensor.empty() : tensor<8x3xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 7 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 8 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.mulf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %m : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// An optimizer moment: the new moment is returned (written back in place)
// and read by the update. The return is not a kernel, so the moment joins
// the update's kernel, which writes it out as a second result.
// CHECK-LABEL: func.func @moment_and_update
// CHECK: dl.kernel = 1 : i64
// CHECK: arith.mulf
// CHECK: dl.kernel = 1 : i64
// CHECK: arith.subf
func.func @moment_and_update(%g: tensor<8xf32>, %p: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%p, %m : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.subf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %u, %m : tensor<8xf32>, tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
#pix = affine_map<(n, c, h, w) -> (n, c, h, w)>

// Not epilogues: a consumer whose kernel ends in a reduction (the product
// is complete only after it, the sum only after the whole row), and the
// division after a sum pooling (no product: on the CPU a plain reduction
// without register blocks). Only the first elementwise consumer of a product
// becomes its epilogue; a second one stays a kernel of its own.
// CHECK-LABEL: func.func @not_epilogues
// CHECK: linalg.matmul {dl.kernel = [[MM:[0-9]+]] : i64}
// CHECK: linalg.generic {{.*}}dl.kernel = [[EXP:[0-9]+]] : i64
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}dl.kernel = [[EXP]] : i64
// CHECK: linalg.pooling_nchw_sum {{.*}}dl.kernel = [[POOL:[0-9]+]] : i64
// CHECK-NOT: dl.kernel = [[POOL]] :
// CHECK: return
func.func @not_epilogues(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %img: tensor<2x3x4x4xf32>) -> (tensor<8xf32>, tensor<2x3x2x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %four = arith.constant 4.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %e8 = tensor.empty() : tensor<8xf32>
  %f8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%exp : tensor<8x3xf32>) outs(%f8 : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %ep = tensor.empty() : tensor<2x3x2x2xf32>
  %fp = linalg.fill ins(%zero : f32) outs(%ep : tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32>
  %pool = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%img, %win : tensor<2x3x4x4xf32>, tensor<2x2xf32>) outs(%fp : tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32>
  %avg = linalg.generic {indexing_maps = [#pix, #pix], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%pool : tensor<2x3x2x2xf32>) outs(%ep : tensor<2x3x2x2xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.divf %p, %four : f32
    linalg.yield %s : f32
  } -> tensor<2x3x2x2xf32>
  return %sum, %avg : tensor<8xf32>, tensor<2x3x2x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Two elementwise consumers of one product: the first (in program order)
// is its epilogue, the second a kernel of its own.
// CHECK-LABEL: func.func @two_consumers
// CHECK: linalg.matmul {dl.kernel = [[MM:[0-9]+]] : i64}
// CHECK: linalg.generic {{.*}}dl.kernel = [[MM]] : i64
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}dl.kernel = [[OTHER:[0-9]+]] : i64
// CHECK-NOT: dl.kernel = [[MM]] :
// CHECK: math.tanh
func.func @two_consumers(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.tanh %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %a, %b : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A consumer reading another operand of the product's size (an optimizer
// update reads the parameter and its moments) would read it in the
// product's block order, 8 rows at a time: no epilogue.
// CHECK-LABEL: func.func @full_size_operand
// CHECK: linalg.matmul {dl.kernel = [[MM:[0-9]+]] : i64}
// CHECK-NOT: dl.kernel = [[MM]] :
// CHECK: return
func.func @full_size_operand(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %p: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %m : tensor<8x3xf32>, tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %s = arith.subf %a, %g : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %u : tensor<8x3xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#s2 = affine_map<(d0, d1) -> ()>
#id1 = affine_map<(d0) -> (d0)>
#s1 = affine_map<(d0) -> ()>

// The optimizer's updates: elementwise kernels whose results are only
// returned, of different shapes, each reading a scalar (the learning rate).
// They become one horizontal kernel (the first one's number on every op of
// each); the kernel whose result is read in the function (%d) and the
// scalar one (%z) do not join. Without fusion nothing is horizontal.
// CHECK-LABEL: func.func @updates
// CHECK: linalg.generic {{.*}} {dl.horizontal = [[H:[0-9]+]] : i64, dl.kernel = [[H]] : i64}
// CHECK: linalg.generic {{.*}} {dl.horizontal = [[H]] : i64, dl.kernel = [[K2:[0-9]+]] : i64}
// CHECK: linalg.generic {{.*}} {dl.horizontal = [[H]] : i64, dl.kernel = [[K2]] : i64}
// CHECK: linalg.generic {{.*}} {dl.kernel = {{[0-9]+}} : i64}
// CHECK: linalg.generic {{.*}} {dl.kernel = {{[0-9]+}} : i64}
// CHECK: return
// NOFUSE-LABEL: func.func @updates
// NOFUSE-NOT: dl.horizontal
func.func @updates(%w: tensor<4x3xf32>, %gw: tensor<4x3xf32>, %b: tensor<3xf32>, %gb: tensor<3xf32>, %lr: tensor<f32>, %s: tensor<f32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>) {
  %ew = tensor.empty() : tensor<4x3xf32>
  %eb = tensor.empty() : tensor<3xf32>
  %nw = linalg.generic {indexing_maps = [#id2, #id2, #s2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %gw, %lr : tensor<4x3xf32>, tensor<4x3xf32>, tensor<f32>) outs(%ew : tensor<4x3xf32>) {
  ^bb0(%p: f32, %g: f32, %l: f32, %o: f32):
    %t = arith.mulf %g, %l : f32
    %n = arith.subf %p, %t : f32
    linalg.yield %n : f32
  } -> tensor<4x3xf32>
  %t = linalg.generic {indexing_maps = [#id1, #s1, #id1], iterator_types = ["parallel"]}
      ins(%gb, %lr : tensor<3xf32>, tensor<f32>) outs(%eb : tensor<3xf32>) {
  ^bb0(%g: f32, %l: f32, %o: f32):
    %m = arith.mulf %g, %l : f32
    linalg.yield %m : f32
  } -> tensor<3xf32>
  %nb = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %t : tensor<3xf32>, tensor<3xf32>) outs(%eb : tensor<3xf32>) {
  ^bb0(%p: f32, %m: f32, %o: f32):
    %n = arith.subf %p, %m : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  %d = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%gb : tensor<3xf32>) outs(%eb : tensor<3xf32>) {
  ^bb0(%g: f32, %o: f32):
    %n = arith.negf %g : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  %r = tensor.extract_slice %d[0] [3] [1] : tensor<3xf32> to tensor<3xf32>
  %z = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%s : tensor<f32>) outs(%s : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  return %nw, %nb, %r, %z : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>
}

// -----

#id1 = affine_map<(d0) -> (d0)>

// A single returned elementwise kernel has no partner: no horizontal kernel.
// CHECK-LABEL: func.func @single_update
// CHECK-NOT: dl.horizontal
// CHECK: return
func.func @single_update(%b: tensor<3xf32>, %g: tensor<3xf32>) -> tensor<3xf32> {
  %e = tensor.empty() : tensor<3xf32>
  %n = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %g : tensor<3xf32>, tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.subf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %n : tensor<3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Prologues: the broadcast bias a product starts from joins the product's
// kernel (written into each block before the block's reduction on the CPU);
// a fill read by two products, and an initial value computed from an operand
// of the output's size, stay kernels of their own. No prologue without
// epilogues (the GPU's plan).
// CHECK-LABEL: func.func @prologues
// CHECK: linalg.generic {{.*}} {dl.kernel = 1 : i64}
// CHECK: linalg.matmul {dl.kernel = 1 : i64}
// CHECK: linalg.fill {dl.kernel = 2 : i64}
// CHECK: linalg.matmul {dl.kernel = 3 : i64}
// CHECK: linalg.matmul {dl.kernel = 4 : i64}
// CHECK: linalg.generic {{.*}} {dl.kernel = 5 : i64}
// CHECK: linalg.matmul {dl.kernel = 6 : i64}
// CHECK: return
// NOEPI-LABEL: func.func @prologues
// NOEPI: linalg.generic {{.*}} {dl.kernel = 1 : i64}
// NOEPI: linalg.matmul {dl.kernel = 2 : i64}
func.func @prologues(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>, %c: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %bb = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<8x3xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%bb : tensor<8x3xf32>) -> tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m1 = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m2 = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %d = arith.addf %v, %v : f32
    linalg.yield %d : f32
  } -> tensor<8x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%s : tensor<8x3xf32>) -> tensor<8x3xf32>
  return %m, %m1, %m2, %p : tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}
