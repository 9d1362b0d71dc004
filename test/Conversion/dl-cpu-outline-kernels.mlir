// RUN: dl-opt %s --dl-cpu-outline-kernels | FileCheck %s
// RUN: dl-opt %s --dl-cpu-outline-kernels=profile=true | FileCheck %s --check-prefix=PROFILE

// With profile=true every kernel call is bracketed by the runtime's clock and
// a record under a constant name: caller, call index, kernel, source lines.
// PROFILE-DAG: llvm.mlir.global internal constant @[[N0:.*]]("step #0 step.kernel0 @{{[0-9: +]+}}\00")
// PROFILE-DAG: llvm.mlir.global internal constant @[[N1:.*]]("step #1 step.kernel1 @{{[0-9: +]+}}\00")
// A call of a kernel shared with another function (deduplicated) is named by
// the positions of its own loop nest (9:10 here), not the kept kernel's (3:10).
// PROFILE-DAG: llvm.mlir.global internal constant @{{.*}}("first #0 first.kernel0 @3:10 {{[0-9: +]+}}\00")
// PROFILE-DAG: llvm.mlir.global internal constant @{{.*}}("second #0 first.kernel0 @9:10 {{[0-9: +]+}}\00")
// PROFILE-DAG: func.func private @dlrt_profile_clock() -> i64
// PROFILE-DAG: func.func private @dlrt_profile_kernel(!llvm.ptr, i64)
// PROFILE-LABEL: func.func @step(
// PROFILE:       %[[T0:.*]] = call @dlrt_profile_clock()
// PROFILE-NEXT:  call @step.kernel0(
// PROFILE-NEXT:  llvm.mlir.addressof @[[N0]]
// PROFILE:       call @dlrt_profile_kernel(%{{.*}}, %[[T0]])
// PROFILE:       %[[T1:.*]] = call @dlrt_profile_clock()
// PROFILE-NEXT:  call @step.kernel1(
// PROFILE-NEXT:  llvm.mlir.addressof @[[N1]]
// PROFILE:       call @dlrt_profile_kernel(%{{.*}}, %[[T1]])

// Each top-level loop nest becomes a noinline function; the constants it uses
// are cloned inside; host code keeps the rest and calls the kernels in order.
// CHECK:       func.func private @step.kernel0(%[[A0:.*]]: memref<?xf32>, %[[N0:.*]]: index)
// CHECK-SAME:    attributes {passthrough = ["noinline"]}
// CHECK-DAG:     arith.constant 0.000000e+00 : f32
// CHECK-DAG:     arith.constant 0 : index
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[N0]]
// CHECK:           memref.store
// CHECK:       func.func private @step.kernel1(
// CHECK-SAME:    attributes {passthrough = ["noinline"]}
// CHECK:         scf.parallel
// CHECK:           math.exp
// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK-NOT:     scf.
// CHECK:         call @step.kernel0(%[[A]], %[[N]])
// CHECK-NEXT:    %[[D:.*]] = memref.dim
// CHECK-NEXT:    call @step.kernel1(%[[A]], %[[D]])
// CHECK-NEXT:    return
func.func @step(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    memref.store %zero, %a[%i] : memref<?xf32>
  }
  %d = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%d) step (%c1) {
    %v = memref.load %a[%i] : memref<?xf32>
    %e = math.exp %v : f32
    memref.store %e, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// Identical nests in two functions (the forward pass in forward and in the
// loss) are one kernel; a different one stays separate.
// CHECK-LABEL: func.func @first(
// CHECK:         call @first.kernel0(
// CHECK-LABEL: func.func @second(
// CHECK:         call @first.kernel0(
// CHECK:         call @second.kernel1(
// CHECK-NOT:   func.func private @second.kernel0
func.func @first(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %e = math.exp %v : f32 loc("m.dl":3:10)
    memref.store %e, %a[%i] : memref<8xf32>
  }
  return
}
func.func @second(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %e = math.exp %v : f32 loc("m.dl":9:10)
    memref.store %e, %a[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %e = math.log %v : f32
    memref.store %e, %a[%i] : memref<8xf32>
  }
  return
}
