// RUN: dl-opt %s --dl-gpu-emulate --split-input-file | FileCheck %s

// No synchronisation: blocks and threads are loops (z outermost, x
// innermost); device memory is host memory.
// CHECK-LABEL: func.func @elementwise
// CHECK:         %[[BUF:.*]] = memref.alloc(%arg1) : memref<?xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} {
// CHECK:           scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} {
// CHECK:             scf.for %[[BX:.*]] = %c0 to %[[GRID:.*]] step %c1{{.*}} {
// CHECK:               scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} {
// CHECK:                 scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} {
// CHECK:                   scf.for %[[TX:.*]] = %c0 to %c256 step %c1{{.*}} {
// CHECK:                     %[[B:.*]] = arith.muli %[[BX]], %c256
// CHECK:                     arith.addi %[[B]], %[[TX]]
// CHECK:                     memref.store %{{.*}}, %[[BUF]]
// CHECK:         memref.copy %[[BUF]], %arg0
// CHECK:         memref.dealloc %[[BUF]]
// CHECK-NOT:     gpu.
func.func @elementwise(%out: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %cst = arith.constant 1.0 : f32
  %grid = arith.ceildivui %n, %c256 : index
  %buf = gpu.alloc (%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %b = arith.muli %bx, %sx : index
    %i = arith.addi %b, %tx : index
    %in = arith.cmpi ult, %i, %n : index
    scf.if %in {
      memref.store %cst, %buf[%i] : memref<?xf32>
    }
    gpu.terminator
  }
  gpu.memcpy %out, %buf : memref<?xf32>, memref<?xf32>
  gpu.dealloc %buf : memref<?xf32>
  return
}

// -----

// A barrier: each block runs as a team of blockDim OpenMP threads; the
// shared buffer is one host buffer for the team, the thread index comes from
// omp_get_thread_num.
// CHECK:       func.func private @omp_get_thread_num() -> i32
// CHECK-LABEL: func.func @reverse
// CHECK:         %[[SHARED:.*]] = memref.alloc() : memref<64xf32>
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for %[[BX:.*]] = %c0 to %c4 step %c1{{.*}} {
// CHECK:               omp.parallel num_threads(%{{.*}} : i32) {
// CHECK:                 %[[T:.*]] = func.call @omp_get_thread_num() : () -> i32
// CHECK:                 %[[TID:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK:                 %[[TX:.*]] = arith.remui %[[TID]], %c64
// CHECK:                 memref.store %{{.*}}, %[[SHARED]][%[[TX]]]
// CHECK:                 omp.barrier
// CHECK:                 memref.load %[[SHARED]]
// CHECK:                 omp.terminator
// CHECK:         memref.dealloc %[[SHARED]]
func.func @reverse(%in: memref<256xf32>, %out: memref<256xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<64xf32, #gpu.address_space<workgroup>>) {
    %b = arith.muli %bx, %c64 : index
    %i = arith.addi %b, %tx : index
    %v = memref.load %in[%i] : memref<256xf32>
    memref.store %v, %tile[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %r = arith.subi %c63, %tx : index
    %w = memref.load %tile[%r] : memref<64xf32, #gpu.address_space<workgroup>>
    memref.store %w, %out[%i] : memref<256xf32>
    gpu.terminator
  }
  return
}

// -----

// A xor shuffle: the value goes to a per-block buffer at the thread's
// index, the team waits, the thread reads its partner's (lane ^ offset, in
// its own group of `width`), the team waits again.
// CHECK-LABEL: func.func @butterfly
// CHECK:         %[[THREADS:.*]] = arith.muli %c64
// CHECK:         %[[SCRATCH:.*]] = memref.alloc(%[[THREADS]]) : memref<?xf32>
// CHECK:         omp.parallel
// CHECK:           %[[TID:.*]] = arith.index_cast
// CHECK:           %[[LANE:.*]] = arith.remui %[[TID]], %{{[0-9]+}}
// CHECK:           %[[FIRST:.*]] = arith.subi %[[TID]], %[[LANE]]
// CHECK:           %[[SRC:.*]] = arith.xori %[[LANE]], %{{.*}}
// CHECK:           memref.store %{{.*}}, %[[SCRATCH]][%[[TID]]]
// CHECK:           omp.barrier
// CHECK:           %[[AT:.*]] = arith.addi %[[FIRST]], %{{.*}}
// CHECK:           %[[OTHER:.*]] = memref.load %[[SCRATCH]][%[[AT]]]
// CHECK:           omp.barrier
// CHECK:           arith.addf %{{.*}}, %[[OTHER]]
// CHECK:         memref.dealloc %[[SCRATCH]]
func.func @butterfly(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %in[%tx] : memref<64xf32>
    %offset = arith.constant 1 : i32
    %width = arith.constant 32 : i32
    %o, %valid = gpu.shuffle xor %v, %offset, %width : f32
    %s = arith.addf %v, %o : f32
    memref.store %s, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
