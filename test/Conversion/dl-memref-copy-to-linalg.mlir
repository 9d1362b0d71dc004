// RUN: dl-opt %s -dl-memref-copy-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @strided
// CHECK-SAME: (%[[S:.*]]: memref<2x3xf32>, %[[D:.*]]: memref<2x3xf32, strided<[5, 1], offset: ?>>)
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[S]] : memref<2x3xf32>) outs(%[[D]] : memref<2x3xf32, strided<[5, 1], offset: ?>>)
func.func @strided(%s: memref<2x3xf32>, %d: memref<2x3xf32, strided<[5, 1], offset: ?>>) {
  memref.copy %s, %d : memref<2x3xf32> to memref<2x3xf32, strided<[5, 1], offset: ?>>
  return
}

// Unranked copies have no linalg form and stay.
// CHECK-LABEL: func.func @unranked
// CHECK: memref.copy
func.func @unranked(%s: memref<*xf32>, %d: memref<*xf32>) {
  memref.copy %s, %d : memref<*xf32> to memref<*xf32>
  return
}
