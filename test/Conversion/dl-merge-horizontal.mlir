// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-merge-horizontal))' -split-input-file | FileCheck %s
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-merge-horizontal{chunk=4096}))' -split-input-file | FileCheck %s --check-prefix=SMALL
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-merge-horizontal{chunk=1}))' -split-input-file | FileCheck %s --check-prefix=GPU
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-merge-horizontal{chunk=1 max-operands=4}))' -split-input-file | FileCheck %s --check-prefix=LIMIT

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#s2 = affine_map<(d0, d1) -> ()>
#id1 = affine_map<(d0) -> (d0)>

// Two updates of one horizontal kernel: a 100 x 100 weight (10000
// elements: chunks 0 and 1 of 8192, the second one partial) and a bias of 3
// (chunk 2, its whole view). One parallel loop over the 3 chunks finds each
// chunk's member and runs its op on 1-D views of the chunk, in place of
// the last member. With chunks of 4096 the weight has 3 (4 in all).
// CHECK-LABEL: func.func @updates
// CHECK-DAG: %[[W:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1]] : memref<100x100xf32> into memref<10000xf32>
// CHECK-DAG: %[[G:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1]]
// CHECK: scf.parallel (%[[C:.*]]) = (%{{.*}}) to (%c3) step (%{{.*}}) {
// CHECK: %[[AFTER:.*]] = arith.cmpi sge, %[[C]], %c2
// CHECK: %[[WHICH:.*]] = arith.select %[[AFTER]]
// CHECK: scf.index_switch %{{.*}}
// CHECK: case 0 {
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c8192
// CHECK: %[[SIZE:.*]] = arith.minsi
// CHECK: memref.subview %[[W]][%[[FIRST]]] [%[[SIZE]]] [1] : memref<10000xf32> to memref<?xf32, strided<[1], offset: ?>>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins({{.*}}, %arg2 : memref<?xf32, strided<[1], offset: ?>>, memref<?xf32, strided<[1], offset: ?>>, memref<f32>) outs({{.*}} : memref<?xf32, strided<[1], offset: ?>>) attrs = {dl.kernel = 1 : i64}
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: default {
// CHECK: linalg.generic {{.*}} ins(%arg3, %arg4 : memref<3xf32>, memref<3xf32>) outs(%arg3 : memref<3xf32>) attrs = {dl.kernel = 2 : i64}
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-NOT: dl.horizontal
// SMALL-LABEL: func.func @updates
// SMALL: scf.parallel {{.*}} to (%c4)
// SMALL: arith.cmpi sge, %{{.*}}, %c3
// The GPU's form: a chunk per element (dl-gpu-map-kernels gives each a
// thread), 10003 in all; the bias's elements start at 10000.
// GPU-LABEL: func.func @updates
// GPU: scf.parallel {{.*}} to (%c10003)
// GPU: arith.cmpi sge, %{{.*}}, %c10000
// At most 4 distinct buffers per loop (a GPU kernel's parameter space): the
// members have 3 and 2 (w is read and written), so each stays a kernel of
// its own.
// LIMIT-LABEL: func.func @updates
// LIMIT-NOT: scf.parallel
// LIMIT: linalg.generic
// LIMIT: linalg.generic
// LIMIT-NOT: dl.horizontal
func.func @updates(%w: memref<100x100xf32>, %gw: memref<100x100xf32>, %lr: memref<f32>, %b: memref<3xf32>, %gb: memref<3xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2, #s2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %gw, %lr : memref<100x100xf32>, memref<100x100xf32>, memref<f32>) outs(%w : memref<100x100xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %g: f32, %l: f32, %o: f32):
    %t = arith.mulf %g, %l : f32
    %n = arith.subf %p, %t : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %gb : memref<3xf32>, memref<3xf32>) outs(%b : memref<3xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  return
}

// -----

#id1 = affine_map<(d0) -> (d0)>

// An op between the members writes what the first one reads: it cannot
// move to the second, and both stay kernels of their own.
// CHECK-LABEL: func.func @written_in_between
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK-NOT: dl.horizontal
// CHECK: return
func.func @written_in_between(%a: memref<16xf32>, %ga: memref<16xf32>, %b: memref<8xf32>, %gb: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%a, %ga : memref<16xf32>, memref<16xf32>) outs(%a : memref<16xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  linalg.fill ins(%zero : f32) outs(%ga : memref<16xf32>)
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %gb : memref<8xf32>, memref<8xf32>) outs(%b : memref<8xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  return
}

// -----

#id1 = affine_map<(d0) -> (d0)>

// A plan edited by hand: the second member reads what the first writes.
// They are not independent: nothing is merged.
// CHECK-LABEL: func.func @dependent
// CHECK-NOT: scf.parallel
// CHECK-NOT: dl.horizontal
// CHECK: return
func.func @dependent(%a: memref<16xf32>, %ga: memref<16xf32>, %b: memref<16xf32>) {
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%a, %ga : memref<16xf32>, memref<16xf32>) outs(%a : memref<16xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %a : memref<16xf32>, memref<16xf32>) outs(%b : memref<16xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  return
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>

// Members computing the same thing (the same body on operands of the same
// kinds: a network's equal layers) share one chunk op: a second switch picks
// the member's first chunk, size and views (as memref<?xf32>), so the body
// is generated once however many parameters use it.
// CHECK-LABEL: func.func @same_update
// CHECK: scf.parallel (%[[C:.*]]) = (%{{.*}}) to (%c3) step
// CHECK: %[[K:.*]] = arith.addi
// CHECK: %[[PICK:.*]]:5 = scf.index_switch %[[K]] -> index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>
// CHECK: case 0 {
// CHECK: memref.cast %{{.*}} : memref<10000xf32> to memref<?xf32>
// CHECK: scf.yield %c0{{.*}}, %c10000{{.*}}
// CHECK: default {
// CHECK: memref.cast %arg2 : memref<3xf32> to memref<?xf32>
// CHECK: scf.yield %c2{{.*}}, %c3{{.*}}
// CHECK: arith.subi %[[C]], %[[PICK]]#0
// CHECK: memref.subview %[[PICK]]#2
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @same_update(%w: memref<100x100xf32>, %gw: memref<100x100xf32>, %b: memref<3xf32>, %gb: memref<3xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %gw : memref<100x100xf32>, memref<100x100xf32>) outs(%w : memref<100x100xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 1 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %gb : memref<3xf32>, memref<3xf32>) outs(%b : memref<3xf32>) attrs = {dl.horizontal = 1 : i64, dl.kernel = 2 : i64} {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %n = arith.subf %p, %g : f32
    linalg.yield %n : f32
  }
  return
}
