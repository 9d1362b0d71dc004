// RUN: dl-opt %s --dl-gpu-emulate --split-input-file | FileCheck %s

// No barrier: blocks are loops (z outermost, x innermost), and the block's
// threads one loop over blockDim (x fastest); device memory is host memory.
// CHECK-LABEL: func.func @elementwise
// CHECK:         %[[BUF:.*]] = memref.alloc(%arg1) : memref<?xf32>
// CHECK:         %[[THREADS:.*]] = arith.muli %c256
// CHECK:         scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} {
// CHECK:           scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} {
// CHECK:             scf.for %[[BX:.*]] = %c0 to %[[GRID:.*]] step %c1{{.*}} {
// CHECK:               scf.for %[[T:.*]] = %c0 to %[[THREADS]] step %c1{{.*}} {
// CHECK:                 %[[TX:.*]] = arith.remui %[[T]], %c256
// CHECK:                 %[[B:.*]] = arith.muli %[[BX]], %c256
// CHECK:                 arith.addi %[[B]], %[[TX]]
// CHECK:                 memref.store %{{.*}}, %[[BUF]]
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

// A barrier: every thread runs up to it (one thread loop), then every
// thread goes on (a second one). %i, computed before the barrier and used
// after it, is kept per thread; the shared buffer is one host buffer.
// CHECK-LABEL: func.func @reverse
// CHECK:         %[[SHARED:.*]] = memref.alloc() : memref<64xf32>
// CHECK:         %[[KEPT:.*]] = memref.alloc(%{{.*}}) : memref<?xindex>
// CHECK:         scf.for %[[BX:.*]] = %c0 to %c4
// CHECK:           scf.for %[[T:.*]] = %c0 to
// CHECK:             %[[TX:.*]] = arith.remui %[[T]], %c64
// CHECK:             %[[I:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK:             memref.store %[[I]], %[[KEPT]][%[[T]]]
// CHECK:             memref.store %{{.*}}, %[[SHARED]][%[[TX]]]
// CHECK:           }
// CHECK:           scf.for %[[T2:.*]] = %c0 to
// CHECK:             %[[TX2:.*]] = arith.remui %[[T2]], %c64
// CHECK:             %[[I2:.*]] = memref.load %[[KEPT]][%[[T2]]]
// CHECK:             %[[R:.*]] = arith.subi %c63, %[[TX2]]
// CHECK:             %[[W:.*]] = memref.load %[[SHARED]][%[[R]]]
// CHECK:             memref.store %[[W]], %arg1[%[[I2]]]
// CHECK:         memref.dealloc %[[SHARED]]
// CHECK-NOT:     gpu.barrier
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
// index, then (after a barrier) each thread reads its partner's: lane ^
// offset, in its own group of `width`.
// CHECK-LABEL: func.func @butterfly
// CHECK:         %[[SCRATCH:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:         scf.for %[[T:.*]] = %c0 to
// CHECK:           %[[V:.*]] = memref.load %arg0
// CHECK:           %[[LANE:.*]] = arith.remui %{{.*}}, %{{.*}}
// CHECK:           arith.xori %[[LANE]], %{{.*}}
// CHECK:           memref.store %[[V]], %[[SCRATCH]][%{{.*}}]
// CHECK:         }
// CHECK:         scf.for %[[T2:.*]] = %c0 to
// CHECK:           %[[AT:.*]] = arith.addi
// CHECK:           %[[OTHER:.*]] = memref.load %[[SCRATCH]][%[[AT]]]
// CHECK:         }
// CHECK:         scf.for %[[T3:.*]] = %c0 to
// CHECK:           arith.addf
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

// -----

// Barriers inside a loop (a tiled kernel's K loop): the loop runs once for
// all threads around its fissioned body; its iteration argument (a
// per-thread accumulator) lives in an array: filled per thread before the
// loop, read and written per thread in it, read after it.
// CHECK-LABEL: func.func @accumulate
// CHECK:         %[[ACC:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:         scf.for %[[T0:[^ ]*]] = %c0{{.*}} to %{{[0-9]+}} step
// CHECK:           memref.store %cst, %[[ACC]][%[[T0]]]
// CHECK:         scf.for %[[K:.*]] = %c0 to %c8 step %c1
// CHECK:           scf.for %[[T1:[^ ]*]] = %c0{{.*}} to %{{[0-9]+}} step
// CHECK:             memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<64xf32>
// CHECK:           }
// CHECK:           scf.for %[[T2:[^ ]*]] = %c0{{.*}} to %{{[0-9]+}} step
// CHECK:             %[[OLD:.*]] = memref.load %[[ACC]][%[[T2]]]
// CHECK:             %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK:             memref.store %[[NEW]], %{{.*}}[%[[T2]]]
// CHECK:           }
// CHECK:           scf.for %[[T3:[^ ]*]] = %c0{{.*}} to %{{[0-9]+}} step
// CHECK:             memref.store %{{.*}}, %[[ACC]][%[[T3]]]
// CHECK:         }
// CHECK:         scf.for %[[T4:[^ ]*]] = %c0{{.*}} to %{{[0-9]+}} step
// CHECK:           %[[SUM:.*]] = memref.load %[[ACC]][%[[T4]]]
// CHECK:           memref.store %[[SUM]], %arg1
func.func @accumulate(%in: memref<8x64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1)
             workgroup(%row : memref<64xf32, #gpu.address_space<workgroup>>) {
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %in[%k, %tx] : memref<8x64xf32>
      memref.store %v, %row[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %r = arith.subi %c63, %tx : index
      %w = memref.load %row[%r] : memref<64xf32, #gpu.address_space<workgroup>>
      %next = arith.addf %acc, %w : f32
      gpu.barrier
      scf.yield %next : f32
    }
    memref.store %sum, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

