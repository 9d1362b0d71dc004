// RUN: dl-opt %s -dl-omp-work-threshold=min-work=1000 | FileCheck %s

// The region's work: the work-sharing loop's iterations (from its bounds, at
// run time) times what one iteration executes (an inner loop of 16 trips of
// 4 operations (load, add, store, yield), plus the loop itself and the
// omp.yield: 16 * 4 + 2 = 66). The team is
// used only when that reaches min-work.
// CHECK-LABEL: func.func @kernel
// CHECK-SAME: (%[[N:.*]]: index, %[[A:.*]]: memref<?x16xf32>)
// CHECK: %[[SPAN:.*]] = arith.subi %[[N]], %[[C0:.*]] : index
// CHECK: %[[TRIPS:.*]] = arith.ceildivsi %[[SPAN]], %{{.*}} : index
// CHECK: %[[ITERS:.*]] = arith.muli %{{.*}}, %[[TRIPS]] : index
// CHECK: %[[PER:.*]] = arith.constant 66 : index
// CHECK: %[[WORK:.*]] = arith.muli %[[ITERS]], %[[PER]] : index
// CHECK: %[[MIN:.*]] = arith.constant 1000 : index
// CHECK: %[[ENOUGH:.*]] = arith.cmpi sge, %[[WORK]], %[[MIN]] : index
// CHECK: omp.parallel if(%[[ENOUGH]])
func.func @kernel(%n: index, %a: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        scf.for %j = %c0 to %c16 step %c1 {
          %v = memref.load %a[%i, %j] : memref<?x16xf32>
          %w = arith.addf %v, %v : f32
          memref.store %w, %a[%i, %j] : memref<?x16xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
