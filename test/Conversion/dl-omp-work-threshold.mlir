// RUN: dl-opt %s -dl-omp-work-threshold=min-work=1000 | FileCheck %s

// The loop's work: its iterations (from its bounds, at run time) times what
// one iteration executes (an inner loop of 16 trips of 4 operations: load,
// add, store, yield; plus the loop itself and the scf.reduce: 16 * 4 + 2 =
// 66). The parallel version runs only when that reaches min-work; the other
// is the same body in plain loops, which never enter libomp.
// CHECK-LABEL: func.func @kernel
// CHECK-SAME: (%[[N:.*]]: index, %[[A:.*]]: memref<?x16xf32>)
// CHECK: %[[PER:.*]] = arith.constant 66 : index
// CHECK: %[[WORK:.*]] = arith.muli %[[N]], %[[PER]] : index
// CHECK: %[[MIN:.*]] = arith.constant 1000 : index
// CHECK: %[[ENOUGH:.*]] = arith.cmpi sge, %[[WORK]], %[[MIN]] : index
// CHECK: scf.if %[[ENOUGH]] {
// CHECK:   scf.parallel (%[[I:.*]]) =
// CHECK:     scf.for
// CHECK:       memref.load %[[A]][%[[I]],
// CHECK: } else {
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %[[N]]
// CHECK:     scf.for
// CHECK:       memref.load %[[A]][%[[J]],
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @kernel(%n: index, %a: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c16 step %c1 {
      %v = memref.load %a[%i, %j] : memref<?x16xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i, %j] : memref<?x16xf32>
    }
    scf.reduce
  }
  return
}

// Work known at compile time: 4 iterations of 3 operations never reach
// 1000: plain loops only. 4096 x 3 does: the parallel loop only.
// CHECK-LABEL: func.func @static
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK-NOT: scf.if
// CHECK: scf.parallel
// CHECK-NOT: scf.if
// CHECK: return
func.func @static(%a: memref<4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4096 = arith.constant 4096 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %a[%i] : memref<4096xf32>
    memref.store %v, %a[%i] : memref<4096xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
    %v = memref.load %a[%i] : memref<4096xf32>
    memref.store %v, %a[%i] : memref<4096xf32>
    scf.reduce
  }
  return
}

// Work sized at run time but enough with a batch of one: one iteration of
// the batch loop runs 4096 x 4 operations, and 512 columns each run an
// inner loop of at least one trip (4 operations, plus 2): at least 3072.
// The run-time check could only pick the parallel loop: no plain copy.
// CHECK-LABEL: func.func @enough_for_one
// CHECK-NOT: scf.if
// CHECK: scf.parallel
// CHECK-NOT: scf.if
// CHECK: scf.parallel
// CHECK-NOT: scf.if
// CHECK: return
func.func @enough_for_one(%n: index, %a: memref<?x4096xf32>, %b: memref<?x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %c4096 = arith.constant 4096 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c4096 step %c1 {
      %v = memref.load %a[%i, %j] : memref<?x4096xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i, %j] : memref<?x4096xf32>
    }
    scf.reduce
  }
  scf.parallel (%j) = (%c0) to (%c512) step (%c1) {
    scf.for %k = %c0 to %n step %c1 {
      %v = memref.load %b[%k, %j] : memref<?x512xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %b[%k, %j] : memref<?x512xf32>
    }
    scf.reduce
  }
  return
}
