// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-gpu-merge-fills))' --split-input-file | FileCheck %s

// A weight gradient's zeros and a bias gradient's, each before the sum that
// adds into it: the bias fill (and its allocation) moves up past the weight
// gradient's sum, which touches other buffers, and the two fills become one
// nest over %n + 8 x 4 elements (the bias fill, hoisted first, now before
// the other): each iteration finds its fill by its offset and stores at the
// delinearised index (the last dimension fastest).
// CHECK-LABEL: func.func @two_fills
// CHECK-SAME:    (%[[X:[^:]*]]: memref<?x4xf32>, %[[N:[^:]*]]: index
// CHECK-DAG:     %[[DW:.*]] = memref.alloc() : memref<8x4xf32>
// CHECK-DAG:     %[[DB:.*]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK:         %[[S1:.*]] = arith.muli %c1{{.*}}, %[[N]]
// CHECK:         %[[O1:.*]] = arith.addi %c0{{.*}}, %[[S1]]
// CHECK:         %[[S2:.*]] = arith.muli %c1{{.*}}, %c8
// CHECK:         %[[S3:.*]] = arith.muli %[[S2]], %c4
// CHECK:         %[[END:.*]] = arith.addi %[[O1]], %[[S3]]
// CHECK:         scf.parallel (%[[I:.*]]) = (%c0{{.*}}) to (%[[END]]) step (%c1{{.*}}) {
// CHECK:           scf.if
// CHECK:             %[[J:.*]] = arith.subi %[[I]], %c0
// CHECK-NEXT:        memref.store %cst, %[[DB]][%[[J]]]
// CHECK:           scf.if
// CHECK:             %[[R:.*]] = arith.subi %[[I]], %[[O1]]
// CHECK-NEXT:        %[[COL:.*]] = arith.remui %[[R]], %c4
// CHECK-NEXT:        %[[ROW:.*]] = arith.divui %[[R]], %c4
// CHECK-NEXT:        memref.store %cst, %[[DW]][%[[ROW]], %[[COL]]]
// CHECK:           scf.reduce
// CHECK:         }
// CHECK-NEXT:    scf.parallel
// CHECK:           memref.store {{.*}} %[[DW]]
// CHECK:         scf.parallel
// CHECK:           memref.store {{.*}} %[[DB]]
// CHECK-NOT:     scf.parallel
func.func @two_fills(%x: memref<?x4xf32>, %n: index) -> (memref<8x4xf32>, memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %dw = memref.alloc() : memref<8x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
    memref.store %zero, %dw[%i, %j] : memref<8x4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x4xf32>
    %a = memref.load %dw[%i, %j] : memref<8x4xf32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %dw[%i, %j] : memref<8x4xf32>
    scf.reduce
  }
  %db = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %db[%i] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %x[%i, %c0] : memref<?x4xf32>
    %a = memref.load %db[%i] : memref<?xf32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %db[%i] : memref<?xf32>
    scf.reduce
  }
  return %dw, %db : memref<8x4xf32>, memref<?xf32>
}

// -----

// A fill stops at an op that touches its buffer, through a view too: the
// second fill cannot pass the nest reading a subview of its buffer, nor
// join the first.
// CHECK-LABEL: func.func @blocked
// CHECK:         scf.parallel
// CHECK-NEXT:      memref.store %cst, %arg0
// CHECK:         scf.parallel
// CHECK:           memref.load %{{.*}} : memref<4xf32, strided<[1], offset: 4>>
// CHECK:         scf.parallel
// CHECK-NEXT:      memref.store %cst, %arg1
func.func @blocked(%a: memref<4xf32>, %b: memref<8xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %a[%i] : memref<4xf32>
    scf.reduce
  }
  %view = memref.subview %b[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %view[%i] : memref<4xf32, strided<[1], offset: 4>>
    memref.store %v, %out[%i] : memref<4xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %zero, %b[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A fill of a buffer with a unit dimension stores at its constant 0 there
// (a convolution's filter gradient, [64, 1, 3, 3]): still a fill, merged
// with its neighbour, the constant index kept.
// CHECK-LABEL: func.func @unit_dim
// CHECK:         scf.parallel
// CHECK-DAG:       memref.store %cst, %arg0[%{{.*}}, %c0, %{{.*}}]
// CHECK-DAG:       memref.store %cst, %arg1[%{{.*}}]
// CHECK:           scf.reduce
// CHECK-NOT:     scf.parallel
func.func @unit_dim(%w: memref<4x1x3xf32>, %b: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c3) step (%c1, %c1) {
    memref.store %zero, %w[%i, %c0, %j] : memref<4x1x3xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %b[%i] : memref<4xf32>
    scf.reduce
  }
  return
}
