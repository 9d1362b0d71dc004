// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-fuse-planned))' -split-input-file -verify-diagnostics | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Ops planned into one kernel become one generic that keeps the number and
// lists its members; an op of another kernel is left alone even though it
// could be fused (the plan decides, not the pass).
// CHECK-LABEL: func.func @carry_out
// CHECK: %[[F:.*]] = linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<8x3xf32>, tensor<3xf32>)
// CHECK-SAME: dl.kernel = 3 : i64, dl.members = ["generic(arith.addf) 1:1 {{[^"]*}}", "generic(arith.maximumf) 2:1 {{[^"]*}}"]
// CHECK: arith.addf
// CHECK-NEXT: arith.maximumf
// CHECK: linalg.generic {{.*}}ins(%[[F]] : tensor<8x3xf32>){{.*}}dl.kernel = 4 : i64
// CHECK-NOT: dl.members
// CHECK: math.exp
func.func @carry_out(%m: tensor<8x3xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<8x3xf32>, tensor<3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 3 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32> loc("t.dl":1:1)
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 3 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = arith.maximumf %p, %zero : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32> loc("t.dl":2:1)
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 4 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32> loc("t.dl":3:1)
  return %x : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// x * x: the repeated input is merged first, so the producer's body is
// inlined once.
// CHECK-LABEL: func.func @square
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK-NOT: math.exp
// CHECK: arith.mulf
func.func @square(%x: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %e = tensor.empty() : tensor<8x3xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %m = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %exp : tensor<8x3xf32>, tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.mulf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %m : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>

// A plan that cannot be carried out is an error, not a silent split.
func.func @reduction_producer(%x: tensor<8x3xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %sum = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x3xf32>) outs(%acc : tensor<8xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %e = tensor.empty() : tensor<8xf32>
  // expected-error @+1 {{the fusion plan puts this op and its input #0 (linalg.generic) into kernel 1, but they cannot be fused: the producer is a reduction}}
  %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%sum : tensor<8xf32>) outs(%e : tensor<8xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = arith.negf %p : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %n : tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

func.func @unrelated_ops(%x: tensor<8x3xf32>, %y: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %e = tensor.empty() : tensor<8x3xf32>
  // expected-remark @+1 {{first op of kernel 5}}
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 5 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  // expected-error @+1 {{the fusion plan puts this op into kernel 5 with an op it neither produces for nor consumes from}}
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 5 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.log %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %a, %b : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// A producer that is also returned is fused and kept as a second result of
// the kernel (computed once).
// CHECK-LABEL: func.func @preserved_result
// CHECK: %[[K:.*]]:2 = linalg.generic
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK-NOT: linalg.generic
// CHECK: return %[[K]]#1, %[[K]]#0
func.func @preserved_result(%g: tensor<8xf32>, %p: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%g : tensor<8xf32>) outs(%e : tensor<8xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%p, %m : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.subf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %u, %m : tensor<8xf32>, tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// A product and its epilogue (bias + ReLU, planned into its kernel) stay two
// ops on tensors, the elementwise pair fused into one: dl-cpu-vectorize
// computes it per block of the product. The product's result has no other
// reader: the epilogue writes over it (its initial value), one buffer.
// CHECK-LABEL: func.func @epilogue
// CHECK: %[[M:.*]] = linalg.matmul {dl.kernel = 2 : i64}
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[M]], %{{.*}} : tensor<8x3xf32>, tensor<3xf32>) outs(%[[M]] : tensor<8x3xf32>)
// CHECK-SAME: dl.kernel = 2 : i64
// CHECK-SAME: dl.members = ["generic(arith.addf) {{.*}}", "generic(arith.maximumf) {{.*}}"]
// CHECK-NOT: linalg.generic
func.func @epilogue(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill {dl.kernel = 1 : i64} ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul {dl.kernel = 2 : i64} ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<8x3xf32>, tensor<3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = arith.maximumf %p, %zero : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A product has one epilogue: a second consumer in its kernel is an error.
func.func @two_epilogues(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %acc: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %e = tensor.empty() : tensor<8x3xf32>
  // expected-remark @+1 {{first op of kernel 2}}
  %m = linalg.matmul {dl.kernel = 2 : i64} ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%acc : tensor<8x3xf32>) -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  // expected-error @+1 {{the fusion plan puts this op into kernel 2 with an op it neither produces for nor consumes from}}
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %o: f32):
    %s = math.tanh %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %a, %b : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// An epilogue made of several members, one of them computed from indices
// (a mask, as recomputed by the planner in each of its readers): fusing
// the bias add first leaves an op that reads the product and the mask (an
// operand of the output's size, for the moment); the product is never
// fused, and the finished op is its epilogue.
// CHECK-LABEL: func.func @epilogue_in_steps
// CHECK: linalg.matmul {dl.kernel = 1 : i64}
// CHECK-NEXT: %[[E:.*]] = linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<8x3xf32>, tensor<3xf32>)
// CHECK-SAME: dl.kernel = 1 : i64
// CHECK: linalg.index
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK: return %[[E]]
func.func @epilogue_in_steps(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>, %acc: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %m = linalg.matmul {dl.kernel = 1 : i64} ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%acc : tensor<8x3xf32>) -> tensor<8x3xf32>
  %mask = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c = arith.cmpi ult, %j, %i : index
    %s = arith.select %c, %one, %zero : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<8x3xf32>, tensor<3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %mask : tensor<8x3xf32>, tensor<8x3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.mulf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// A product with its prologue (the zero fill it starts from) and its
// epilogue (bias + ReLU): one planned kernel of three ops, left as they are
// (the CPU code generator computes the prologue and the epilogue per block).
// CHECK-LABEL: func.func @prologue_product_epilogue
// CHECK: linalg.fill {dl.kernel = 1 : i64}
// CHECK: linalg.matmul {dl.kernel = 1 : i64}
// CHECK: linalg.generic {{.*}}dl.kernel = 1 : i64
// CHECK: return
func.func @prologue_product_epilogue(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill {dl.kernel = 1 : i64} ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %m = linalg.matmul {dl.kernel = 1 : i64} ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) -> tensor<8x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<8x3xf32>, tensor<3xf32>) outs(%e : tensor<8x3xf32>) attrs = {dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}
