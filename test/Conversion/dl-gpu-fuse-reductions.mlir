// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-gpu-fuse-reductions))' --split-input-file | FileCheck %s

// A convolution-like nest: its bias broadcast before it, its ReLU after it.
// The tap loops become one loop, the output element a register that starts
// at the bias; the ReLU reads the register. The pre-activation is still
// stored (returned); nothing else is left of the other two nests.
// CHECK-LABEL: func.func @bias_conv_relu
// CHECK:         %[[RELU:.*]] = memref.alloc
// CHECK:         scf.parallel (%[[I:.*]], %[[C:.*]]) =
// CHECK:           %[[BIAS:.*]] = memref.load %arg2[%[[C]]]
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} = %c0{{.*}} to %c9 step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[BIAS]]) -> (f32) {
// CHECK:             affine.delinearize_index
// CHECK-NOT:         memref.store
// CHECK:             %[[NEXT:.*]] = arith.addf %[[ACC]]
// CHECK-NEXT:        scf.yield %[[NEXT]]
// CHECK:           memref.store %[[SUM]], %arg3[%[[I]], %[[C]]]
// CHECK-NEXT:      %[[R:.*]] = arith.maximumf %[[SUM]]
// CHECK-NEXT:      memref.store %[[R]], %[[RELU]][%[[I]], %[[C]]]
// CHECK-NEXT:      scf.reduce
// CHECK-NOT:     scf.parallel
// CHECK:         return %[[RELU]]
func.func @bias_conv_relu(%x: memref<?x3x3xf32>, %w: memref<4x3x3xf32>, %b: memref<4xf32>, %out: memref<?x4xf32>) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x3x3xf32>
  scf.parallel (%i, %c) = (%c0, %c0) to (%n, %c4) step (%c1, %c1) {
    %v = memref.load %b[%c] : memref<4xf32>
    memref.store %v, %out[%i, %c] : memref<?x4xf32>
    scf.reduce
  }
  %n2 = memref.dim %x, %c0 : memref<?x3x3xf32>
  scf.parallel (%i, %c) = (%c0, %c0) to (%n2, %c4) step (%c1, %c1) {
    scf.for %kh = %c0 to %c3 step %c1 {
      scf.for %kw = %c0 to %c3 step %c1 {
        %xv = memref.load %x[%i, %kh, %kw] : memref<?x3x3xf32>
        %wv = memref.load %w[%c, %kh, %kw] : memref<4x3x3xf32>
        %acc = memref.load %out[%i, %c] : memref<?x4xf32>
        %p = arith.mulf %xv, %wv : f32
        %s = arith.addf %acc, %p : f32
        memref.store %s, %out[%i, %c] : memref<?x4xf32>
      }
    }
    scf.reduce
  }
  %relu = memref.alloc(%n) : memref<?x4xf32>
  scf.parallel (%i, %c) = (%c0, %c0) to (%n, %c4) step (%c1, %c1) {
    %a = memref.load %out[%i, %c] : memref<?x4xf32>
    %r = arith.maximumf %a, %zero : f32
    memref.store %r, %relu[%i, %c] : memref<?x4xf32>
    scf.reduce
  }
  return %relu : memref<?x4xf32>
}

// -----

// A max pooling with its argmax: two accumulators, each filled before the
// loop, become two registers that start at the fills' values; the
// temporary maximum that only the epilogue reads is neither stored nor
// allocated any more.
// CHECK-LABEL: func.func @pool_argmax
// CHECK-NOT:     memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK:         scf.parallel
// CHECK:           %[[R:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %cst, %{{.*}} = %c0_i32) -> (f32, i32)
// CHECK-NOT:       memref.store %[[R]]#0
// CHECK:           memref.store %[[R]]#1, %arg1
// CHECK:           %[[SCALED:.*]] = arith.mulf %[[R]]#0
// CHECK:           memref.store %[[SCALED]], %arg2
// CHECK-NOT:     scf.parallel
func.func @pool_argmax(%x: memref<?x8x4xf32>, %arg: memref<?x8xi32>, %y: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %ninf = arith.constant 0xFF800000 : f32
  %c0_i32 = arith.constant 0 : i32
  %two = arith.constant 2.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8x4xf32>
  %max = memref.alloc(%n) : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    memref.store %ninf, %max[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    memref.store %c0_i32, %arg[%i, %j] : memref<?x8xi32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      %v = memref.load %x[%i, %j, %k] : memref<?x8x4xf32>
      %m = memref.load %max[%i, %j] : memref<?x8xf32>
      %a = memref.load %arg[%i, %j] : memref<?x8xi32>
      %gt = arith.cmpf ugt, %v, %m : f32
      %ki = arith.index_cast %k : index to i32
      %nm = arith.select %gt, %v, %m : f32
      %na = arith.select %gt, %ki, %a : i32
      memref.store %nm, %max[%i, %j] : memref<?x8xf32>
      memref.store %na, %arg[%i, %j] : memref<?x8xi32>
    }
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %m = memref.load %max[%i, %j] : memref<?x8xf32>
    %s = arith.mulf %m, %two : f32
    memref.store %s, %y[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  memref.dealloc %max : memref<?x8xf32>
  return
}

// -----

// A sum so long over so few outputs that dl-gpu-map-kernels splits it over
// warps adding atomically: the output must hold its initial value before
// the kernel, so the fill stays a nest of its own, and so does the consumer.
// The accumulator is still a register.
// CHECK-LABEL: func.func @split_sum
// CHECK:         scf.parallel
// CHECK-NEXT:      memref.store %cst, %arg1
// CHECK:         scf.parallel
// CHECK-NEXT:      %[[INIT:.*]] = memref.load %arg1
// CHECK-NEXT:      %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK:           memref.store %[[SUM]], %arg1
// CHECK-NEXT:      scf.reduce
// CHECK:         scf.parallel
// CHECK:           math.sqrt
func.func @split_sum(%dy: memref<64x50176xf32>, %out: memref<64xf32>, %root: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c50176 = arith.constant 50176 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%c) = (%c0) to (%c64) step (%c1) {
    memref.store %zero, %out[%c] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%c) = (%c0) to (%c64) step (%c1) {
    scf.for %k = %c0 to %c50176 step %c1 {
      %x = memref.load %dy[%c, %k] : memref<64x50176xf32>
      %acc = memref.load %out[%c] : memref<64xf32>
      %s = arith.addf %acc, %x : f32
      memref.store %s, %out[%c] : memref<64xf32>
    }
    scf.reduce
  }
  scf.parallel (%c) = (%c0) to (%c64) step (%c1) {
    %v = memref.load %out[%c] : memref<64xf32>
    %r = math.sqrt %v : f32
    memref.store %r, %root[%c] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// An accumulator whose buffer the loop also reads at other elements stays
// in memory.
// CHECK-LABEL: func.func @reads_own_output
// CHECK:         scf.for %{{.*}} = %c0 to %c4 step %c1 {
// CHECK:           memref.load %arg1
// CHECK:           memref.store
func.func @reads_own_output(%x: memref<8x4xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      %v = memref.load %x[%i, %k] : memref<8x4xf32>
      %o = memref.load %out[%k] : memref<8xf32>
      %acc = memref.load %out[%i] : memref<8xf32>
      %p = arith.mulf %v, %o : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %out[%i] : memref<8xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A fill over more elements than the reduction writes (the padding of a
// padded output) stays a nest of its own; so does a consumer that reads a
// neighbour's sum (another thread's element).
// CHECK-LABEL: func.func @padding_and_neighbour
// CHECK:         scf.parallel (%{{.*}}) = (%c0) to (%c6) step (%c1)
// CHECK-NEXT:      memref.store %cst
// CHECK:         scf.parallel (%{{.*}}) = (%c1) to (%c5) step (%c1)
// CHECK:           %[[INIT:.*]] = memref.load %arg1
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK:         scf.parallel (%{{.*}}) = (%c1) to (%c5) step (%c1)
// CHECK:           arith.subf
func.func @padding_and_neighbour(%x: memref<8x4xf32>, %pad: memref<6xf32>, %diff: memref<6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c6) step (%c1) {
    memref.store %zero, %pad[%i] : memref<6xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c1) to (%c5) step (%c1) {
    %j = arith.subi %i, %c1 : index
    scf.for %k = %c0 to %c8 step %c1 {
      %v = memref.load %x[%k, %j] : memref<8x4xf32>
      %acc = memref.load %pad[%i] : memref<6xf32>
      %s = arith.addf %acc, %v : f32
      memref.store %s, %pad[%i] : memref<6xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c1) to (%c5) step (%c1) {
    %n = arith.addi %i, %c1 : index
    %a = memref.load %pad[%i] : memref<6xf32>
    %b = memref.load %pad[%n] : memref<6xf32>
    %d = arith.subf %b, %a : f32
    memref.store %d, %diff[%i] : memref<6xf32>
    scf.reduce
  }
  return
}

// -----

// A consumer that writes what the reduction reads would race with other
// threads' sums: it stays a nest of its own.
// CHECK-LABEL: func.func @writes_input
// CHECK:         scf.for {{.*}} iter_args
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %arg0
func.func @writes_input(%x: memref<8x4xf32>, %sums: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %v = memref.load %x[%k, %i] : memref<8x4xf32>
      %acc = memref.load %sums[%i] : memref<4xf32>
      %s = arith.addf %acc, %v : f32
      memref.store %s, %sums[%i] : memref<4xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %a = memref.load %sums[%i] : memref<4xf32>
    memref.store %a, %x[%i, %c0] : memref<8x4xf32>
    scf.reduce
  }
  return
}

// -----

// Elementwise nests over the same space join the first one (a kernel each
// before): the second reads the temporary the first writes at its own
// element, so it reads the register and the temporary goes away; the third
// is independent. The deallocation between them stays where it is.
// CHECK-LABEL: func.func @elementwise_chain
// CHECK-NOT:     memref.alloc
// CHECK:         scf.parallel
// CHECK:           %[[T:.*]] = arith.mulf
// CHECK-NEXT:      %[[U:.*]] = arith.addf %[[T]]
// CHECK-NEXT:      memref.store %[[U]], %arg1
// CHECK:           math.exp
// CHECK:           memref.store %{{.*}}, %arg2
// CHECK-NEXT:      scf.reduce
// CHECK-NOT:     scf.parallel
// CHECK:         memref.dealloc %arg3
// CHECK-NOT:     scf.parallel
func.func @elementwise_chain(%x: memref<?xf32>, %y: memref<?xf32>, %z: memref<?xf32>, %done: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %t = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %x[%i] : memref<?xf32>
    %m = arith.mulf %v, %two : f32
    memref.store %m, %t[%i] : memref<?xf32>
    scf.reduce
  }
  memref.dealloc %done : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %t[%i] : memref<?xf32>
    %a = arith.addf %v, %two : f32
    memref.store %a, %y[%i] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %x[%i] : memref<?xf32>
    %e = math.exp %v : f32
    memref.store %e, %z[%i] : memref<?xf32>
    scf.reduce
  }
  memref.dealloc %t : memref<?xf32>
  return
}

// -----

// Row epilogues: a nest over the reduction's space and one more dimension
// that reads the row's result (a softmax's exp(x - max), then a scaling)
// runs as one loop after the reduction's store; the second joins the first
// one's loop and reads its value from the register. So does a third that
// writes the row the reduction read, in place: each iteration (each lane of
// a warp) rewrites only the elements it read itself.
// CHECK-LABEL: func.func @row_epilogues
// CHECK:         scf.parallel (%[[B:.*]]) =
// CHECK:           %[[MAX:.*]] = scf.for {{.*}} iter_args
// CHECK:             arith.maximumf
// CHECK:           memref.store %[[MAX]], %arg1[%[[B]]]
// CHECK-NEXT:      scf.for %[[J:.*]] = %c0 to %c64 step %c1 {
// CHECK-NEXT:        %[[X:.*]] = memref.load %arg0[%[[B]], %[[J]]]
// CHECK-NEXT:        %[[D:.*]] = arith.subf %[[X]], %[[MAX]]
// CHECK-NEXT:        %[[E:.*]] = math.exp %[[D]]
// CHECK-NEXT:        memref.store %[[E]], %arg2[%[[B]], %[[J]]]
// CHECK-NEXT:        %[[S:.*]] = arith.mulf %[[E]]
// CHECK-NEXT:        memref.store %[[S]], %arg3[%[[B]], %[[J]]]
// CHECK-NEXT:        memref.store %[[S]], %arg0[%[[B]], %[[J]]]
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.reduce
// CHECK-NOT:     scf.parallel
func.func @row_epilogues(%x: memref<?x64xf32>, %m: memref<?xf32>, %e: memref<?x64xf32>, %s: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %ninf = arith.constant 0xFF800000 : f32
  %half = arith.constant 0.5 : f32
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    memref.store %ninf, %m[%b] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %acc = memref.load %m[%b] : memref<?xf32>
      %mx = arith.maximumf %acc, %v : f32
      memref.store %mx, %m[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %x[%b, %j] : memref<?x64xf32>
    %mx = memref.load %m[%b] : memref<?xf32>
    %d = arith.subf %v, %mx : f32
    %ex = math.exp %d : f32
    memref.store %ex, %e[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %ex = memref.load %e[%b, %j] : memref<?x64xf32>
    %sc = arith.mulf %ex, %half : f32
    memref.store %sc, %s[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  // In place over the input the row maxima were read from.
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %sc = memref.load %s[%b, %j] : memref<?x64xf32>
    memref.store %sc, %x[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  return
}

// -----

// A row epilogue writing the row the reduction read, but over another range:
// positions are matched only between loops over the same range, so it stays
// apart.
// CHECK-LABEL: func.func @row_epilogue_other_range
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} to %c32 {{.*}} iter_args
// CHECK-NOT:       scf.for
// CHECK:           scf.reduce
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %arg0
func.func @row_epilogue_other_range(%x: memref<?x64xf32>, %m: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c32 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %acc = memref.load %m[%b] : memref<?xf32>
      %mx = arith.maximumf %acc, %v : f32
      memref.store %mx, %m[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %x[%b, %j] : memref<?x64xf32>
    %mx = memref.load %m[%b] : memref<?xf32>
    %d = arith.subf %v, %mx : f32
    memref.store %d, %x[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  return
}

// -----

// A padding: zeros over the whole buffer, then the interior copied into a
// view of it at offset 1 (the unit channel dimension indexed by 0 in both).
// One nest writes each element once: the input where the copy would write
// it, zero elsewhere.
// CHECK-LABEL: func.func @padding
// CHECK:         scf.parallel (%[[N:.*]], %[[H:.*]], %[[W:.*]]) =
// CHECK-DAG:       arith.cmpi uge, %[[H]], %c1
// CHECK-DAG:       arith.cmpi ult, %[[H]]
// CHECK-DAG:       arith.cmpi uge, %[[W]], %c1
// CHECK-DAG:       arith.cmpi ult, %[[W]]
// CHECK-DAG:       %[[H0:.*]] = arith.subi %[[H]], %c1
// CHECK-DAG:       %[[W0:.*]] = arith.subi %[[W]], %c1
// CHECK:           %[[V:.*]] = scf.if %{{.*}} -> (f32) {
// CHECK-NEXT:        %[[X:.*]] = memref.load %arg0[%[[N]], %c0{{.*}}, %[[H0]], %[[W0]]]
// CHECK-NEXT:        scf.yield %[[X]]
// CHECK-NEXT:      } else {
// CHECK-NEXT:        scf.yield %cst
// CHECK:           memref.store %[[V]], %[[PAD:.*]][%[[N]], %c0{{.*}}, %[[H]], %[[W]]]
// CHECK-NOT:     scf.parallel
// CHECK:         return %[[PAD]]
func.func @padding(%x: memref<?x1x4x4xf32>) -> memref<?x1x6x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x1x4x4xf32>
  %pad = memref.alloc(%n) : memref<?x1x6x6xf32>
  scf.parallel (%i, %h, %w) = (%c0, %c0, %c0) to (%n, %c6, %c6) step (%c1, %c1, %c1) {
    memref.store %zero, %pad[%i, %c0, %h, %w] : memref<?x1x6x6xf32>
    scf.reduce
  }
  %view = memref.subview %pad[0, 0, 1, 1] [%n, 1, 4, 4] [1, 1, 1, 1] : memref<?x1x6x6xf32> to memref<?x1x4x4xf32, strided<[36, 36, 6, 1], offset: 7>>
  %n2 = memref.dim %x, %c0 : memref<?x1x4x4xf32>
  scf.parallel (%i, %h, %w) = (%c0, %c0, %c0) to (%n2, %c4, %c4) step (%c1, %c1, %c1) {
    %v = memref.load %x[%i, %c0, %h, %w] : memref<?x1x4x4xf32>
    memref.store %v, %view[%i, %c0, %h, %w] : memref<?x1x4x4xf32, strided<[36, 36, 6, 1], offset: 7>>
    scf.reduce
  }
  return %pad : memref<?x1x6x6xf32>
}

// -----

// A fill over part of a buffer (the first 6 of 8 rows) does not cover what
// the copy writes beyond it: the two nests stay apart.
// CHECK-LABEL: func.func @partial_fill
// CHECK-COUNT-2: scf.parallel
func.func @partial_fill(%x: memref<7xf32>, %buf: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c6) step (%c1) {
    memref.store %zero, %buf[%i] : memref<8xf32>
    scf.reduce
  }
  %view = memref.subview %buf[1] [7] [1] : memref<8xf32> to memref<7xf32, strided<[1], offset: 1>>
  scf.parallel (%i) = (%c0) to (%c7) step (%c1) {
    %v = memref.load %x[%i] : memref<7xf32>
    memref.store %v, %view[%i] : memref<7xf32, strided<[1], offset: 1>>
    scf.reduce
  }
  return
}

// -----

// A row epilogue that reads the neighbour of the element the joined one
// wrote (j + 1): a warp's lane would read what another lane wrote without
// a synchronisation between, so it stays apart.
// CHECK-LABEL: func.func @row_epilogue_neighbour
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} iter_args
// CHECK:           scf.for
// CHECK:             math.exp
// CHECK:           scf.reduce
// CHECK:         scf.parallel
// CHECK:           arith.minui
func.func @row_epilogue_neighbour(%x: memref<?x64xf32>, %m: memref<?xf32>, %e: memref<?x64xf32>, %s: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %acc = memref.load %m[%b] : memref<?xf32>
      %mx = arith.maximumf %acc, %v : f32
      memref.store %mx, %m[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %x[%b, %j] : memref<?x64xf32>
    %mx = memref.load %m[%b] : memref<?xf32>
    %d = arith.subf %v, %mx : f32
    %ex = math.exp %d : f32
    memref.store %ex, %e[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %j1 = arith.addi %j, %c1 : index
    %k = arith.minui %j1, %c63 : index
    %v = memref.load %e[%b, %k] : memref<?x64xf32>
    memref.store %v, %s[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  return
}

// -----

// A softmax's rows and a loss after them: the row maximum, the exponentials
// (a row epilogue), their sum (a reduction over the same space that reads
// them at its own positions), the normalisation (a row epilogue of the sum)
// and a per-row loss (a third reduction reading the maximum and the sum
// outside loops) become one nest; the maximum and the sum are read from
// registers, not loaded.
// CHECK-LABEL: func.func @softmax_rows
// CHECK:         scf.parallel (%[[B:.*]]) =
// CHECK:           %[[MAX:.*]] = scf.for {{.*}} iter_args
// CHECK:             arith.maximumf
// CHECK:           memref.store %[[MAX]], %arg1[%[[B]]]
// CHECK-NEXT:      scf.for %[[J:.*]] = %c0 to %c64 step %c1 {
// CHECK:             math.exp
// CHECK:             memref.store %{{.*}}, %arg2[%[[B]], %[[J]]]
// CHECK:           }
// CHECK:           %[[SUM:.*]] = scf.for %[[K:.*]] = %c0 to %c64 step %c1 iter_args
// CHECK-NEXT:        memref.load %arg2[%[[B]], %[[K]]]
// CHECK:           memref.store %[[SUM]], %arg3[%[[B]]]
// CHECK:           %[[LOSS:.*]] = scf.for {{.*}} iter_args
// CHECK-NOT:         memref.load %arg1
// CHECK-NOT:         memref.load %arg3
// CHECK:             math.log %[[SUM]]
// CHECK:             arith.subf %{{.*}}, %[[MAX]]
// CHECK:           memref.store %[[LOSS]], %arg4[%[[B]]]
// CHECK-NEXT:      scf.for %[[J2:.*]] = %c0 to %c64 step %c1 {
// CHECK-NEXT:        %[[E:.*]] = memref.load %arg2[%[[B]], %[[J2]]]
// CHECK-NEXT:        %[[P:.*]] = arith.divf %[[E]], %[[SUM]]
// CHECK-NEXT:        memref.store %[[P]], %arg2[%[[B]], %[[J2]]]
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.reduce
// CHECK-NOT:     scf.parallel
func.func @softmax_rows(%x: memref<?x64xf32>, %m: memref<?xf32>, %e: memref<?x64xf32>, %sum: memref<?xf32>, %loss: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    memref.store %ninf, %m[%b] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %acc = memref.load %m[%b] : memref<?xf32>
      %mx = arith.maximumf %acc, %v : f32
      memref.store %mx, %m[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %x[%b, %j] : memref<?x64xf32>
    %mx = memref.load %m[%b] : memref<?xf32>
    %d = arith.subf %v, %mx : f32
    %ex = math.exp %d : f32
    memref.store %ex, %e[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %sum[%b] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %e[%b, %j] : memref<?x64xf32>
      %acc = memref.load %sum[%b] : memref<?xf32>
      %s = arith.addf %acc, %v : f32
      memref.store %s, %sum[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %loss[%b] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %mx = memref.load %m[%b] : memref<?xf32>
      %s = memref.load %sum[%b] : memref<?xf32>
      %l = math.log %s : f32
      %d = arith.subf %v, %mx : f32
      %t = arith.subf %d, %l : f32
      %acc = memref.load %loss[%b] : memref<?xf32>
      %a = arith.addf %acc, %t : f32
      memref.store %a, %loss[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %ex = memref.load %e[%b, %j] : memref<?x64xf32>
    %s = memref.load %sum[%b] : memref<?xf32>
    %p = arith.divf %ex, %s : f32
    memref.store %p, %e[%b, %j] : memref<?x64xf32>
    scf.reduce
  }
  return
}

// -----

// Following reductions that stay apart: one whose loop reads the row the
// first wrote over another range (positions cannot be matched); after it,
// one whose rows are long enough for a warp each (in the nest of a row a
// thread reduces, it would run in one thread); after that, a sum that
// dl-gpu-map-kernels splits over several warps adding atomically.
// CHECK-LABEL: func.func @following_kept_apart
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} to %c10 {{.*}} iter_args
// CHECK:           scf.for {{.*}} to %c10
// CHECK:           scf.reduce
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} to %c5 {{.*}} iter_args
// CHECK:           scf.reduce
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} to %c64 {{.*}} iter_args
// CHECK:           scf.reduce
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} to %c8192 {{.*}} iter_args
// CHECK:           scf.reduce
func.func @following_kept_apart(%x: memref<?x10xf32>, %m: memref<?xf32>, %e: memref<?x10xf32>, %sum: memref<?xf32>, %y: memref<?x64xf32>, %ys: memref<?xf32>, %z: memref<?x8192xf32>, %zs: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c10 = arith.constant 10 : index
  %c64 = arith.constant 64 : index
  %c8192 = arith.constant 8192 : index
  %n = memref.dim %x, %c0 : memref<?x10xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c10 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x10xf32>
      %acc = memref.load %m[%b] : memref<?xf32>
      %mx = arith.maximumf %acc, %v : f32
      memref.store %mx, %m[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    %v = memref.load %x[%b, %j] : memref<?x10xf32>
    %mx = memref.load %m[%b] : memref<?xf32>
    %d = arith.subf %v, %mx : f32
    memref.store %d, %e[%b, %j] : memref<?x10xf32>
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c5 step %c1 {
      %v = memref.load %e[%b, %j] : memref<?x10xf32>
      %acc = memref.load %sum[%b] : memref<?xf32>
      %s = arith.addf %acc, %v : f32
      memref.store %s, %sum[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %y[%b, %j] : memref<?x64xf32>
      %acc = memref.load %ys[%b] : memref<?xf32>
      %s = arith.maximumf %acc, %v : f32
      memref.store %s, %ys[%b] : memref<?xf32>
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8192 step %c1 {
      %v = memref.load %z[%b, %j] : memref<?x8192xf32>
      %acc = memref.load %zs[%b] : memref<?xf32>
      %s = arith.addf %acc, %v : f32
      memref.store %s, %zs[%b] : memref<?xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A mean over the batch outside any nest (scalar code a one-thread kernel
// would run): the sum, its initial value stored just before it and the
// division after it become a nest of one iteration; the sum is promoted
// (its initial value the stored zero), the division reads it from the
// register and only its result is stored. The count, a host value stored
// in a rank-0 buffer for the next nest, is read as the value itself: the
// buffer goes.
// CHECK-LABEL: func.func @scalar_mean
// CHECK-SAME:    (%[[X:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.0
// CHECK-NOT:     memref.alloc() : memref<f32>
// CHECK:         %[[ACC:.*]] = memref.alloc() : memref<f32>
// CHECK-NOT:     memref.alloc() : memref<f32>
// CHECK:         %[[NF:.*]] = arith.sitofp
// CHECK:         scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}}) {
// CHECK-NEXT:      %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT:        %[[V:.*]] = memref.load %[[X]]
// CHECK-NEXT:        %[[S:.*]] = arith.addf %[[V]], %[[A]]
// CHECK-NEXT:        scf.yield %[[S]]
// CHECK-NEXT:      }
// CHECK-NEXT:      %[[M:.*]] = arith.divf %[[SUM]], %[[NF]]
// CHECK-NEXT:      memref.store %[[M]], %[[ACC]][]
// CHECK-NEXT:      scf.reduce
// CHECK:         scf.parallel
// CHECK-NOT:       memref.load %{{.*}}[] : memref<f32>
// CHECK:           arith.divf %{{.*}}, %[[NF]]
// CHECK:         return %[[ACC]]
func.func @scalar_mean(%x: memref<?xf32>, %out: memref<?xf32>) -> memref<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %acc = memref.alloc() : memref<f32>
  memref.store %zero, %acc[] : memref<f32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %a = memref.load %acc[] : memref<f32>
    %s = arith.addf %v, %a : f32
    memref.store %s, %acc[] : memref<f32>
  }
  %ni = arith.index_cast %n : index to i64
  %nf = arith.sitofp %ni : i64 to f32
  %cnt = memref.alloc() : memref<f32>
  memref.store %nf, %cnt[] : memref<f32>
  %t = memref.load %acc[] : memref<f32>
  %m = arith.divf %t, %nf : f32
  memref.store %m, %acc[] : memref<f32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %c = memref.load %cnt[] : memref<f32>
    %v = memref.load %x[%i] : memref<?xf32>
    %d = arith.divf %v, %c : f32
    memref.store %d, %out[%i] : memref<?xf32>
    scf.reduce
  }
  memref.dealloc %cnt : memref<f32>
  return %acc : memref<f32>
}

// -----

// Scalar code that reads an element of a buffer it stored through other
// indices (%k may be 0): in a warp, lane 0 stores and every lane reads, so
// only values forwarded in registers are safe. It stays one thread's.
// CHECK-LABEL: func.func @scalar_other_index
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for
// CHECK-NOT:     scf.parallel
func.func @scalar_other_index(%x: memref<?xf32>, %t: memref<4xf32>, %k: index) -> memref<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %acc = memref.alloc() : memref<f32>
  memref.store %zero, %t[%c0] : memref<4xf32>
  memref.store %zero, %acc[] : memref<f32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %a = memref.load %acc[] : memref<f32>
    %s = arith.addf %v, %a : f32
    memref.store %s, %acc[] : memref<f32>
  }
  %r = memref.load %t[%k] : memref<4xf32>
  %a = memref.load %acc[] : memref<f32>
  %s = arith.addf %a, %r : f32
  memref.store %s, %acc[] : memref<f32>
  return %acc : memref<f32>
}

// -----

// Copies out of two parts of a fused projection, each reshaped (a dynamic
// reshape reads its shape from a buffer the host fills and reads): the
// shape buffer's loads and stores and the reshapes are host bookkeeping the
// copies move across, so they are one nest.
// CHECK-LABEL: func.func @copies_around_reshape
// CHECK:         memref.reshape
// CHECK:         memref.load %{{.*}}[%c0] : memref<4xindex>
// CHECK:         scf.parallel
// CHECK-COUNT-2:   memref.store
// CHECK:           scf.reduce
// CHECK-NOT:     scf.parallel
func.func @copies_around_reshape(%src: memref<?x32x192xf32>) -> (memref<?x32x4x16xf32>, memref<?x32x4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %dim = memref.dim %src, %c0 : memref<?x32x192xf32>
  %subview = memref.subview %src[0, 0, 0] [%dim, 32, 64] [1, 1, 1] : memref<?x32x192xf32> to memref<?x32x64xf32, strided<[6144, 192, 1]>>
  %shape = memref.alloc() : memref<4xindex>
  memref.store %dim, %shape[%c0] : memref<4xindex>
  memref.store %c32, %shape[%c1] : memref<4xindex>
  memref.store %c4, %shape[%c4] : memref<4xindex>
  %a = memref.alloc(%dim) : memref<?x32x64xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%dim, %c32, %c64) step (%c1, %c1, %c1) {
    %v = memref.load %subview[%i, %j, %k] : memref<?x32x64xf32, strided<[6144, 192, 1]>>
    memref.store %v, %a[%i, %j, %k] : memref<?x32x64xf32>
    scf.reduce
  }
  %ra = memref.reshape %a(%shape) : (memref<?x32x64xf32>, memref<4xindex>) -> memref<?x32x4x16xf32>
  %n = memref.load %shape[%c0] : memref<4xindex>
  %subview2 = memref.subview %src[0, 0, 64] [%dim, 32, 64] [1, 1, 1] : memref<?x32x192xf32> to memref<?x32x64xf32, strided<[6144, 192, 1], offset: 64>>
  %b = memref.alloc(%dim) : memref<?x32x64xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%dim, %c32, %c64) step (%c1, %c1, %c1) {
    %v = memref.load %subview2[%i, %j, %k] : memref<?x32x64xf32, strided<[6144, 192, 1], offset: 64>>
    memref.store %v, %b[%i, %j, %k] : memref<?x32x64xf32>
    scf.reduce
  }
  %rb = memref.reshape %b(%shape) : (memref<?x32x64xf32>, memref<4xindex>) -> memref<?x32x4x16xf32>
  return %ra, %rb : memref<?x32x4x16xf32>, memref<?x32x4x16xf32>
}

// -----

// A store of a host value just before a scalar sum, but to a reshape's shape
// buffer (the host reads it to build the view): it stays outside the nest
// of one iteration.
// CHECK-LABEL: func.func @scalar_after_shape
// CHECK:         memref.store %{{.*}}, %[[SHAPE:.*]][%c0] : memref<1xindex>
// CHECK-NEXT:    memref.reshape %{{.*}}(%[[SHAPE]])
// CHECK:         scf.parallel
// CHECK-NOT:       memref<1xindex>
// CHECK:           scf.reduce
func.func @scalar_after_shape(%x: memref<?xf32>, %y: memref<?x1xf32>) -> (memref<f32>, memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %acc = memref.alloc() : memref<f32>
  %shape = memref.alloc() : memref<1xindex>
  memref.store %zero, %acc[] : memref<f32>
  memref.store %n, %shape[%c0] : memref<1xindex>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %a = memref.load %acc[] : memref<f32>
    %s = arith.addf %v, %a : f32
    memref.store %s, %acc[] : memref<f32>
  }
  %r = memref.reshape %y(%shape) : (memref<?x1xf32>, memref<1xindex>) -> memref<?xf32>
  return %acc, %r : memref<f32>, memref<?xf32>
}

// -----

// A reduction writing its output through a transposed map (attention's
// heads merged back by dl-gpu-fold-transposes): the fill iterates over the
// buffer's dimensions, the reduction over (b, h, t); the indices show the
// permutation between the spaces, the bounds agree under it, so the fill is
// the reduction's initial value. A fill whose bounds disagree under the
// permutation stays.
// CHECK-LABEL: func.func @permuted_prologue
// CHECK:         scf.parallel (%[[B:.*]], %[[H:.*]], %[[T:.*]]) =
// CHECK-NEXT:      scf.for {{.*}} iter_args(%{{.*}} = %cst)
// CHECK:           memref.store %{{.*}}, %arg1[%[[B]], %[[T]], %[[H]]]
// CHECK-NEXT:      scf.reduce
// CHECK:         scf.parallel
// CHECK-NEXT:      memref.store %cst, %arg2
// CHECK:         scf.parallel
// CHECK-NEXT:      memref.load %arg2
// CHECK-NEXT:      scf.for {{.*}} iter_args
func.func @permuted_prologue(%x: memref<?x4x32x16xf32>, %y: memref<?x32x4xf32>, %z: memref<?x32x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4x32x16xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c32, %c4) step (%c1, %c1, %c1) {
    memref.store %zero, %y[%i, %j, %k] : memref<?x32x4xf32>
    scf.reduce
  }
  scf.parallel (%b, %h, %t) = (%c0, %c0, %c0) to (%n, %c4, %c32) step (%c1, %c1, %c1) {
    scf.for %d = %c0 to %c16 step %c1 {
      %v = memref.load %x[%b, %h, %t, %d] : memref<?x4x32x16xf32>
      %a = memref.load %y[%b, %t, %h] : memref<?x32x4xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %y[%b, %t, %h] : memref<?x32x4xf32>
    }
    scf.reduce
  }
  // A fill of the first 4 of the 32 positions: under the permutation the
  // indices show, its second dimension (4) meets the reduction's third (32).
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c4, %c4) step (%c1, %c1, %c1) {
    memref.store %zero, %z[%i, %j, %k] : memref<?x32x4xf32>
    scf.reduce
  }
  scf.parallel (%b, %h, %t) = (%c0, %c0, %c0) to (%n, %c4, %c32) step (%c1, %c1, %c1) {
    scf.for %d = %c0 to %c16 step %c1 {
      %v = memref.load %x[%b, %h, %t, %d] : memref<?x4x32x16xf32>
      %a = memref.load %z[%b, %t, %h] : memref<?x32x4xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %z[%b, %t, %h] : memref<?x32x4xf32>
    }
    scf.reduce
  }
  return
}
