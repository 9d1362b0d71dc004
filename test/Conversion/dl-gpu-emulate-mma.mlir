// RUN: dl-opt %s --dl-gpu-emulate --canonicalize --cse | FileCheck %s

// A tensor-core mma.sync (m16n8k8, TF32): each lane writes its four A and
// two B fragment values, their 13 low mantissa bits cleared (read as TF32;
// a no-op for the TF32 values the tiles give it), to per-thread arrays; after the barrier each lane sums its
// accumulators from the warp's values. Accumulator 0 of lane 4 g + t is
// D[g][2 t] = sum over k of A[g][k] B[k][2 t]: A[g][k] is a0 of lane
// 4 g + k (k < 4) and a2 of lane 4 g + k - 4; B[k][2 t] is b0 of lane
// 8 t + k (k < 4) and b1 of lane 8 t + k - 4 (PTX ISA fragment layout).
// CHECK-LABEL: func.func @mma
// CHECK-DAG:     %[[MASK:.*]] = arith.constant -8192 : i32
// CHECK:         %[[A0:.*]] = memref.alloc() : memref<32xf32>
// CHECK:         %[[A1:.*]] = memref.alloc() : memref<32xf32>
// CHECK:         %[[A2:.*]] = memref.alloc() : memref<32xf32>
// CHECK:         %[[A3:.*]] = memref.alloc() : memref<32xf32>
// CHECK:         %[[B0:.*]] = memref.alloc() : memref<32xf32>
// CHECK:         %[[B1:.*]] = memref.alloc() : memref<32xf32>
// CHECK:         scf.for %[[T:.*]] = %c0 to %c32 step %c1 {
// CHECK:           %[[V:.*]] = memref.load %arg0[%{{.*}}, %c0]
// CHECK:           %[[BITS:.*]] = arith.bitcast %[[V]] : f32 to i32
// CHECK:           %[[HIGH:.*]] = arith.andi %[[BITS]], %[[MASK]]
// CHECK:           %[[TF32:.*]] = arith.bitcast %[[HIGH]] : i32 to f32
// CHECK:           memref.store %[[TF32]], %[[A0]]
// CHECK:           memref.store %{{.*}}, %[[A1]]
// CHECK:           memref.store %{{.*}}, %[[A2]]
// CHECK:           memref.store %{{.*}}, %[[A3]]
// CHECK:           memref.store %{{.*}}, %[[B0]]
// CHECK:           memref.store %{{.*}}, %[[B1]]
// CHECK:         }
// CHECK:         scf.for %{{.*}} = %c0 to %c32 step %c1 {
// CHECK:           %[[TT:.*]] = memref.load %{{.*}} : memref<32xindex>
// CHECK:           %[[G:.*]] = memref.load %{{.*}} : memref<32xindex>
// CHECK:           %[[FIRST:.*]] = memref.load %{{.*}} : memref<32xindex>
// CHECK:           %[[G4:.*]] = arith.muli %[[G]], %c4
// CHECK:           %[[AL:.*]] = arith.addi %[[FIRST]], %[[G4]]
// CHECK:           %[[T8:.*]] = arith.muli %[[TT]], %c8
// CHECK:           %[[BL:.*]] = arith.addi %[[FIRST]], %[[T8]]
// CHECK:           %[[X:.*]] = memref.load %[[A0]][%[[AL]]]
// CHECK:           %[[Y:.*]] = memref.load %[[B0]][%[[BL]]]
// CHECK:           %[[P:.*]] = arith.mulf %[[X]], %[[Y]]
// CHECK:           arith.addf %{{.*}}, %[[P]]
// CHECK-COUNT-3:   memref.load %[[A0]]
// CHECK:           memref.load %[[A2]][%[[AL]]]
// CHECK:           memref.load %[[B1]][%[[BL]]]
// CHECK:         }
func.func @mma(%a: memref<32x4xf32>, %b: memref<32x2xf32>, %d: memref<32x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant dense<0.0> : vector<2x2xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %a0 = memref.load %a[%tx, %c0] : memref<32x4xf32>
    %a1 = memref.load %a[%tx, %c1] : memref<32x4xf32>
    %a2 = memref.load %a[%tx, %c2] : memref<32x4xf32>
    %a3 = memref.load %a[%tx, %c3] : memref<32x4xf32>
    %b0 = memref.load %b[%tx, %c0] : memref<32x2xf32>
    %b1 = memref.load %b[%tx, %c1] : memref<32x2xf32>
    %va = vector.from_elements %a0, %a1, %a2, %a3 : vector<4x1xf32>
    %vb = vector.from_elements %b0, %b1 : vector<2x1xf32>
    %r = nvgpu.mma.sync (%va, %vb, %zero) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
    %d0 = vector.extract %r[0, 0] : f32 from vector<2x2xf32>
    %d3 = vector.extract %r[1, 1] : f32 from vector<2x2xf32>
    memref.store %d0, %d[%tx, %c0] : memref<32x4xf32>
    memref.store %d3, %d[%tx, %c3] : memref<32x4xf32>
    gpu.terminator
  }
  return
}
