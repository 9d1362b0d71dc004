// RUN: dl-opt %s -dl-serialize-nested-parallel | FileCheck %s

// The outer scf.parallel stays (it becomes the OpenMP loop); the one nested
// below the reduction loop becomes a plain scf.for.
// CHECK-LABEL: func.func @nest
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK:   scf.for %[[K:.*]] =
// CHECK:     scf.for %[[J:.*]] =
// CHECK:       memref.load %{{.*}}[%[[I]], %[[K]]]
// CHECK-NOT: scf.parallel
func.func @nest(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      scf.parallel (%j) = (%c0) to (%c16) step (%c1) {
        %x = memref.load %a[%i, %k] : memref<4x8xf32>
        %y = memref.load %b[%k, %j] : memref<8x16xf32>
        %z = memref.load %c[%i, %j] : memref<4x16xf32>
        %p = arith.mulf %x, %y : f32
        %s = arith.addf %z, %p : f32
        memref.store %s, %c[%i, %j] : memref<4x16xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// A multi-dimensional scf.parallel keeps the leading dimensions that give
// 64 work-sharing iterations (a dynamic one counts as 64 elements over its
// step: enough with step 1; 4 x 16 is enough too);
// the rest become scf.for loops: OpenMP would collapse every dimension into
// one loop that recomputes each index with a division per iteration.
// CHECK-LABEL: func.func @leading_dims
// CHECK: scf.parallel (%[[N:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK:   scf.for %[[C:.*]] =
// CHECK:     scf.for %[[P:.*]] =
// CHECK:       memref.load %{{.*}}[%[[N]], %[[C]], %[[P]]]
// CHECK: scf.parallel (%[[A:.*]], %[[B:.*]]) = (%{{.*}}, %{{.*}}) to (%c4, %c16)
// CHECK:   scf.for %[[D:.*]] =
// CHECK:     memref.load %{{.*}}[%[[A]], %[[B]], %[[D]]]
func.func @leading_dims(%x: memref<?x64x196xf32>, %y: memref<?x64x196xf32>, %s: memref<4x16x8xf32>, %t: memref<4x16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c196 = arith.constant 196 : index
  %n = memref.dim %x, %c0 : memref<?x64x196xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c64, %c196) step (%c1, %c1, %c1) {
    %v = memref.load %x[%i, %j, %k] : memref<?x64x196xf32>
    memref.store %v, %y[%i, %j, %k] : memref<?x64x196xf32>
    scf.reduce
  }
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c4, %c16, %c8) step (%c1, %c1, %c1) {
    %v = memref.load %s[%i, %j, %k] : memref<4x16x8xf32>
    memref.store %v, %t[%i, %j, %k] : memref<4x16x8xf32>
    scf.reduce
  }
  return
}

// Blocks of 64 rows of a dynamic batch count as one iteration (a batch of
// 64): the column blocks stay parallel too, or a batch of 64 would run on
// one thread (fc1's product did).
// CHECK-LABEL: func.func @row_blocks
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %c128) step (%c64, %c64) {
// CHECK-NOT: scf.for
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]]
func.func @row_blocks(%x: memref<?x128xf32>, %y: memref<?x128xf32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %n = memref.dim %x, %c0 : memref<?x128xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c128) step (%c64, %c64) {
    %v = memref.load %x[%i, %j] : memref<?x128xf32>
    memref.store %v, %y[%i, %j] : memref<?x128xf32>
    scf.reduce
  }
  return
}
