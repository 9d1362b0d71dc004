// dl-gpu-emulate{reverse=true} runs blocks and threads last to first. One
// order hides a race through global memory that the other shows: here an
// in-place shift, thread t writing x[t] = x[t + 1] (2 blocks of 4 threads),
// races with thread t + 1. First to last, every thread reads its neighbour
// before the neighbour writes; last to first, after (the 8 travels down).
// compare-targets --emulate-reversed runs a model's kernels in this order.
// RUN: dl-opt %s --pass-pipeline='builtin.module(dl-gpu-emulate,%host_llvm)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils | FileCheck %s --check-prefix=FORWARD
// RUN: dl-opt %s --pass-pipeline='builtin.module(dl-gpu-emulate{reverse=true},%host_llvm)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils | FileCheck %s --check-prefix=REVERSE
// FORWARD: [1,  2,  3,  4,  5,  6,  7,  8,  8]
// REVERSE: [8,  8,  8,  8,  8,  8,  8,  8,  8]
module attributes {gpu.container_module} {
  func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c9 = arith.constant 9 : index
    %x = memref.alloc() : memref<9xf32>
    scf.for %i = %c0 to %c9 step %c1 {
      %ii = arith.index_cast %i : index to i32
      %v = arith.sitofp %ii : i32 to f32
      memref.store %v, %x[%i] : memref<9xf32>
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %base = arith.muli %bx, %sx : index
      %t = arith.addi %base, %tx : index
      %n = arith.addi %t, %c1 : index
      %v = memref.load %x[%n] : memref<9xf32>
      memref.store %v, %x[%t] : memref<9xf32>
      gpu.terminator
    }
    %u = memref.cast %x : memref<9xf32> to memref<*xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    memref.dealloc %x : memref<9xf32>
    return
  }
}
