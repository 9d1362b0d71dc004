// RUN: dl-opt %s --dl-gpu-emulate -split-input-file -verify-diagnostics

// A tile's K loop without its closing barrier: on a GPU a fast thread's
// next staging overwrites what a slow thread still reads. The emulator runs
// every thread to the end of an iteration first, so it would hide the race;
// it refuses the loop instead.
func.func @missing_closing_barrier(%in: memref<8x64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1)
             workgroup(%row : memref<64xf32, #gpu.address_space<workgroup>>) {
    // expected-error @+1 {{a race between iterations}}
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %in[%k, %tx] : memref<8x64xf32>
      memref.store %v, %row[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %r = arith.subi %c63, %tx : index
      %w = memref.load %row[%r] : memref<64xf32, #gpu.address_space<workgroup>>
      %next = arith.addf %acc, %w : f32
      scf.yield %next : f32
    }
    memref.store %sum, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

// A barrier inside a conditional is not emulated (and would deadlock a GPU
// unless the condition is the same for the whole block).
func.func @barrier_in_if(%out: memref<64xf32>, %flag: i1) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{a barrier inside this op is not emulated}}
    scf.if %flag {
      gpu.barrier
    }
    memref.store %zero, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
