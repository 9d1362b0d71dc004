// RUN: dl-opt %s --dl-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: dl-opt %s --dl-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// Elementwise fusion: add + relu + mul collapse into one generic after the
// matmul.
// LINALG-LABEL: func.func @layer
// LINALG: linalg.matmul
// LINALG: linalg.generic
// LINALG-SAME: dl.members = ["generic(arith.addf) {{.*}}", "generic(arith.maximumf) {{.*}}", "generic(arith.mulf) {{.*}}"]
// LINALG: = arith.addf
// LINALG-NEXT: = arith.maximumf
// LINALG-NEXT: = arith.mulf
// LINALG-NOT: linalg.generic

// Fully lowered: only the LLVM dialect remains; the result is allocated for
// the caller by the runtime's caching allocator (dlrt/HostMemory.h), and the
// temporary between two matmuls is freed.
// LLVM-NOT: linalg.
// LLVM-NOT: memref.
// LLVM-LABEL: llvm.func @layer
// LLVM: llvm.call @_mlir_memref_to_llvm_alloc
// LLVM-LABEL: llvm.func @two_layers
// LLVM: llvm.call @_mlir_memref_to_llvm_alloc
// LLVM: llvm.call @_mlir_memref_to_llvm_alloc
// LLVM: llvm.call @_mlir_memref_to_llvm_free
func.func @layer(%w: tensor<4x3xf32>, %b: tensor<3xf32>, %x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = dl.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = dl.add %0, %b : tensor<?x3xf32>, tensor<3xf32>
  %2 = dl.relu %1 : tensor<?x3xf32>
  %3 = dl.mul %2, %2 : tensor<?x3xf32>, tensor<?x3xf32>
  return %3 : tensor<?x3xf32>
}

func.func @two_layers(%w: tensor<4x4xf32>, %x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = dl.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32>
  %1 = dl.matmul %0, %w : tensor<?x4xf32>, tensor<4x4xf32>
  return %1 : tensor<?x4xf32>
}
