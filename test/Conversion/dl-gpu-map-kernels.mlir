// RUN: dl-opt %s --dl-gpu-map-kernels --split-input-file | FileCheck %s

// A 2-D parallel nest: one thread per iteration, ceil(N / 256) blocks, the
// last dimension fastest; buffers move to device memory.
// CHECK-LABEL: func.func @parallel
// CHECK:         %[[OUT:.*]] = gpu.alloc (%{{.*}}) : memref<?x10xf32>
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivui %[[TOTAL:.*]], %c256
// CHECK:         gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[BS:.*]] = %c256
// CHECK:           %[[BASE:.*]] = arith.muli %[[BX]], %c256
// CHECK:           %[[ID:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[TOTAL]]
// CHECK:           scf.if %[[IN]] {
// CHECK:             %[[J:.*]] = arith.remui %[[ID]], %{{.*}}
// CHECK:             %[[I:.*]] = arith.divui %[[ID]], %{{.*}}
// CHECK:             memref.load %arg0[%{{.*}}, %{{.*}}]
// CHECK:             math.exp
// CHECK:             memref.store %{{.*}}, %[[OUT]]
// CHECK:           gpu.terminator
// CHECK:         return %[[OUT]]
func.func @parallel(%in: memref<?x10xf32>) -> memref<?x10xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %n = memref.dim %in, %c0 : memref<?x10xf32>
  %out = memref.alloc(%n) : memref<?x10xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    %v = memref.load %in[%i, %j] : memref<?x10xf32>
    %e = math.exp %v : f32
    memref.store %e, %out[%i, %j] : memref<?x10xf32>
    scf.reduce
  }
  return %out : memref<?x10xf32>
}

// -----

// Scalar code (a reduction to a rank-0 buffer) runs in a one-thread kernel;
// the temporary it reads is freed after it, on the device.
// CHECK-LABEL: func.func @scalar
// CHECK:         %[[ACC:.*]] = gpu.alloc () : memref<f32>
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:.*]], {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %[[ONE]],
// CHECK:           memref.store %{{.*}}, %[[ACC]][]
// CHECK:           scf.for
// CHECK:           arith.divf
// CHECK:           gpu.terminator
// CHECK:         gpu.dealloc %arg0
// CHECK:         return %[[ACC]]
func.func @scalar(%x: memref<?xf32>) -> memref<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %acc = memref.alloc() : memref<f32>
  memref.store %zero, %acc[] : memref<f32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %a = memref.load %acc[] : memref<f32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %acc[] : memref<f32>
  }
  %t = memref.load %acc[] : memref<f32>
  %ni = arith.index_cast %n : index to i64
  %nf = arith.sitofp %ni : i64 to f32
  %mean = arith.divf %t, %nf : f32
  memref.store %mean, %acc[] : memref<f32>
  memref.dealloc %x : memref<?xf32>
  return %acc : memref<f32>
}

// -----

// The shape of a dynamic reshape (flatten with a symbolic batch) is read by
// the host to build the view: it stays in host memory, filled by the host.
// CHECK-LABEL: func.func @flatten
// CHECK:         %[[SHAPE:.*]] = memref.alloc() : memref<2xindex>
// CHECK-NEXT:    memref.store %{{.*}}, %[[SHAPE]][%c0]
// CHECK-NEXT:    memref.store %{{.*}}, %[[SHAPE]][%c1]
// CHECK-NEXT:    memref.reshape %arg0(%[[SHAPE]])
// CHECK-NOT:     gpu.launch
// CHECK:         memref.dealloc %[[SHAPE]]
func.func @flatten(%x: memref<?x4x4xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %n = memref.dim %x, %c0 : memref<?x4x4xf32>
  %shape = memref.alloc() : memref<2xindex>
  memref.store %n, %shape[%c0] : memref<2xindex>
  memref.store %c16, %shape[%c1] : memref<2xindex>
  %r = memref.reshape %x(%shape) : (memref<?x4x4xf32>, memref<2xindex>) -> memref<?x16xf32>
  memref.dealloc %shape : memref<2xindex>
  return %r : memref<?x16xf32>
}

// -----

// A constant shape (a global) read only by reshapes stays on the host too: no
// device copy of it at every call.
// CHECK-LABEL: func.func @constant_shape
// CHECK:         %[[S:.*]] = memref.get_global @shape4
// CHECK-NOT:     gpu.memcpy
// CHECK:         memref.reshape %arg0(%[[S]])
memref.global "private" constant @shape4 : memref<4xindex> = dense<[1, 32, 1, 1]>
func.func @constant_shape(%x: memref<32xf32>) -> memref<1x32x1x1xf32> {
  %s = memref.get_global @shape4 : memref<4xindex>
  %r = memref.reshape %x(%s) : (memref<32xf32>, memref<4xindex>) -> memref<1x32x1x1xf32>
  return %r : memref<1x32x1x1xf32>
}

// -----

// A constant global gets a device copy at entry, freed before the return.
// CHECK-LABEL: func.func @table
// CHECK:         %[[G:.*]] = memref.get_global @lut
// CHECK:         %[[D:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-NEXT:    gpu.memcpy %[[D]], %[[G]]
// CHECK:         gpu.launch
// CHECK:           memref.load %[[D]]
// CHECK:         gpu.dealloc %[[D]]
// CHECK-NEXT:    return
memref.global "private" constant @lut : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @table(%out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %g = memref.get_global @lut : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %g[%i] : memref<4xf32>
    memref.store %v, %out[%i] : memref<4xf32>
    scf.reduce
  }
  return
}

// -----

// Few outputs, each a long sum (a convolution's bias gradient: 64 channels
// over 50176 elements): 64 warps would leave the GPU idle, so each sum is
// split over 64 warps (4096 in all; each lane still takes 24 steps) that
// take every 64th run of 32 elements and add their totals atomically.
// CHECK-LABEL: func.func @channel_sums
// CHECK:         %[[WARPS:.*]] = arith.muli %{{.*}}, %c64
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivui %[[WARPS]], %c8
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[BLOCKS]], {{.*}}) threads(%[[TX:[^,]*]], {{.*}}) in ({{.*}} = %c256,
// CHECK:           %[[LANE:.*]] = arith.remui %[[TX]], %c32
// CHECK:           %[[W:.*]] = arith.addi
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK:           %[[ID:.*]] = arith.divui %[[W]], %c64
// CHECK:           %[[LIVE:.*]] = arith.cmpi ult, %[[ID]]
// CHECK:           %[[SEG:.*]] = arith.remui %[[W]], %c64
// CHECK:           %[[FIRSTLANE:.*]] = arith.muli %[[SEG]], %c32
// CHECK:           %[[PART:.*]] = arith.addi %[[FIRSTLANE]], %[[LANE]]
// CHECK:           %[[STRIDE0:.*]] = arith.muli %c32, %c64
// CHECK:           scf.if %[[LIVE]]
// CHECK:             %[[START:.*]] = arith.muli %[[PART]], %c1
// CHECK:             %[[STRIDE:.*]] = arith.muli %c1{{.*}}, %[[STRIDE0]]
// CHECK:             scf.for %{{.*}} = %{{.*}} to %c50176 step %[[STRIDE]]
// CHECK-COUNT-5:   gpu.shuffle xor
// CHECK:           %[[LEADER:.*]] = arith.andi %[[FIRST]], %[[LIVE]]
// CHECK:           scf.if %[[LEADER]]
// CHECK:             memref.atomic_rmw addf
// CHECK-NOT:         memref.store
func.func @channel_sums(%dy: memref<64x50176xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c50176 = arith.constant 50176 : index
  scf.parallel (%c) = (%c0) to (%c64) step (%c1) {
    %init = memref.load %out[%c] : memref<64xf32>
    %sum = scf.for %k = %c0 to %c50176 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %dy[%c, %k] : memref<64x50176xf32>
      %s = arith.addf %acc, %x : f32
      scf.yield %s : f32
    }
    memref.store %sum, %out[%c] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// Few outputs, each a long reduction (a matrix-vector product): one warp per
// output. Lane l sums elements l, l + 32, ... in a register, five xor
// shuffles combine the lanes, and lane 0 adds the total to the output. Only
// memory accesses are guarded: the tail block's idle warps shuffle the
// identity, so every thread reaches every shuffle.
// CHECK-LABEL: func.func @matvec
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivui %[[TOTAL:.*]], %c8
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[BLOCKS]], {{.*}}) threads(%[[TX:[^,]*]], {{.*}}) in ({{.*}} = %c256,
// CHECK:           %[[LANE:.*]] = arith.remui %[[TX]], %c32
// CHECK:           %[[WARP:.*]] = arith.divui %[[TX]], %c32
// CHECK:           %[[ID:.*]] = arith.addi %{{.*}}, %[[WARP]]
// CHECK:           %[[LANE0:.*]] = arith.cmpi eq, %[[LANE]], %{{.*}}
// CHECK:           %[[LIVE:.*]] = arith.cmpi ult, %[[ID]], %[[TOTAL]]
// CHECK:           %[[PHASE:.*]]:2 = scf.if %[[LIVE]] -> (f32, f32) {
// CHECK:             %[[OLD:.*]] = memref.load %arg2
// CHECK:             %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %c784 step %{{.*}} iter_args(%[[ACC:.*]] = %cst{{.*}}) -> (f32) {
// CHECK:               %[[P:.*]] = arith.mulf
// CHECK:               %[[NEXT:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK:               scf.yield %[[NEXT]]
// CHECK:             scf.yield %[[OLD]], %[[SUM]]
// CHECK:           } else {
// CHECK:             scf.yield %cst{{.*}}, %cst{{.*}} : f32, f32
// CHECK:           }
// CHECK:           gpu.shuffle xor %[[PHASE]]#1
// CHECK-COUNT-4:   gpu.shuffle xor
// CHECK:           %[[TOTAL:.*]] = arith.addf
// CHECK-NEXT:      %[[NEW:.*]] = arith.addf %[[PHASE]]#0, %[[TOTAL]]
// CHECK-NEXT:      scf.if %[[LIVE]] {
// CHECK-NEXT:        scf.if %[[LANE0]] {
// CHECK-NEXT:          memref.store %[[NEW]], %arg2
func.func @matvec(%a: memref<?x784xf32>, %w: memref<10x784xf32>, %out: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c784 = arith.constant 784 : index
  %n = memref.dim %a, %c0 : memref<?x784xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    %init = memref.load %out[%i, %j] : memref<?x10xf32>
    %sum = scf.for %k = %c0 to %c784 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<?x784xf32>
      %y = memref.load %w[%j, %k] : memref<10x784xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %out[%i, %j] : memref<?x10xf32>
    scf.reduce
  }
  return
}

// -----

// A warp reduction with a prologue and an epilogue (dl-gpu-fuse-reductions):
// the lanes sum from the identity; every lane of a live warp loads the
// bias, adds the warp's total to it and runs the ReLU; lane 0 stores.
// CHECK-LABEL: func.func @matvec_bias_relu
// CHECK:         gpu.launch
// CHECK:           %[[LANE0:.*]] = arith.cmpi eq
// CHECK:           %[[PHASE:.*]]:2 = scf.if %{{.*}} -> (f32, f32) {
// CHECK:             %[[BIAS:.*]] = memref.load %arg2
// CHECK:             %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %cst{{.*}}) -> (f32) {
// CHECK:             scf.yield %[[BIAS]], %[[SUM]]
// CHECK:           } else {
// CHECK:             scf.yield %cst{{.*}}, %cst{{.*}} : f32, f32
// CHECK-COUNT-5:   gpu.shuffle xor
// CHECK:           %[[TOTAL:.*]] = arith.addf
// CHECK-NEXT:      %[[OUT:.*]] = arith.addf %[[PHASE]]#0, %[[TOTAL]]
// CHECK-NEXT:      scf.if %{{.*}} {
// CHECK-NEXT:        scf.if %[[LANE0]] {
// CHECK-NEXT:          memref.store %[[OUT]], %arg3
// CHECK-NEXT:        }
// CHECK-NEXT:        %[[RELU:.*]] = arith.maximumf %[[OUT]]
// CHECK-NEXT:        scf.if %[[LANE0]] {
// CHECK-NEXT:          memref.store %[[RELU]], %arg4
// CHECK-NOT:     memref.atomic_rmw
func.func @matvec_bias_relu(%a: memref<?x784xf32>, %w: memref<10x784xf32>, %bias: memref<10xf32>, %out: memref<?x10xf32>, %relu: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c784 = arith.constant 784 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %a, %c0 : memref<?x784xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    %init = memref.load %bias[%j] : memref<10xf32>
    %sum = scf.for %k = %c0 to %c784 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<?x784xf32>
      %y = memref.load %w[%j, %k] : memref<10x784xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %out[%i, %j] : memref<?x10xf32>
    %r = arith.maximumf %sum, %zero : f32
    memref.store %r, %relu[%i, %j] : memref<?x10xf32>
    scf.reduce
  }
  return
}

// -----

// A warp per row with a row epilogue (dl-gpu-fuse-reductions): after the
// shuffles every lane of a live warp has the row's maximum; lane 0 alone
// stores it, and the lanes split the row loop 32 ways (lane l takes
// elements l, l + 32).
// CHECK-LABEL: func.func @row_max_exp
// CHECK:         gpu.launch {{.*}} threads(%[[TX:[^,]*]],
// CHECK:           %[[LANE:.*]] = arith.remui %[[TX]], %c32
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]]
// CHECK:           %[[LIVE:.*]] = arith.cmpi ult
// CHECK-COUNT-5:   gpu.shuffle xor
// CHECK-NEXT:      %[[MAX:.*]] = arith.maximumf
// CHECK-NEXT:      %[[ROW:.*]] = arith.maximumf %{{.*}}, %[[MAX]]
// CHECK-NEXT:      scf.if %[[LIVE]] {
// CHECK-NEXT:        scf.if %[[FIRST]] {
// CHECK-NEXT:          memref.store %[[ROW]], %arg1
// CHECK-NEXT:        }
// CHECK:             %[[OFFSET:.*]] = arith.muli %[[LANE]], %c1
// CHECK:             %[[START:.*]] = arith.addi %c0{{.*}}, %[[OFFSET]]
// CHECK:             %[[STRIDE:.*]] = arith.muli %c1{{.*}}, %c32
// CHECK:             scf.for %[[J:.*]] = %[[START]] to %c64{{.*}} step %[[STRIDE]] {
// CHECK:               arith.subf %{{.*}}, %[[ROW]]
// CHECK:               math.exp
// CHECK:               memref.store %{{.*}}, %arg2[%{{.*}}, %[[J]]]
func.func @row_max_exp(%x: memref<?x64xf32>, %m: memref<?xf32>, %e: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %ninf = arith.constant 0xFF800000 : f32
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %mx = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %next = arith.maximumf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %mx, %m[%b] : memref<?xf32>
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %d = arith.subf %v, %mx : f32
      %ex = math.exp %d : f32
      memref.store %ex, %e[%b, %j] : memref<?x64xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A warp per row of a softmax (dl-gpu-fuse-reductions: the maximum, the
// exponentials, their sum, the normalisation in one nest). The body runs in
// phases cut at the reductions: each ends in the lane's part of the next
// reduction, inside one guard whose results carry the part (the identity in
// idle warps); the shuffles run unguarded between. The lanes take the same
// elements of every row loop and reduction (lane l: l, l + 32), so the sum
// reads only exponentials its own lane wrote.
// CHECK-LABEL: func.func @softmax_warp
// CHECK:         gpu.launch {{.*}} threads(%[[TX:[^,]*]],
// CHECK:           %[[LANE:.*]] = arith.remui %[[TX]], %c32
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]]
// CHECK:           %[[LIVE:.*]] = arith.cmpi ult
// CHECK:           %[[P1:.*]] = scf.if %[[LIVE]] -> (f32) {
// CHECK:             arith.muli %[[LANE]]
// CHECK:             scf.for {{.*}} iter_args
// CHECK:               arith.maximumf
// CHECK:           gpu.shuffle xor %[[P1]]
// CHECK-COUNT-4:   gpu.shuffle xor
// CHECK-NEXT:      %[[T1:.*]] = arith.maximumf
// CHECK-NEXT:      %[[MAX:.*]] = arith.maximumf %{{.*}}, %[[T1]]
// CHECK-NEXT:      %[[P2:.*]] = scf.if %[[LIVE]] -> (f32) {
// CHECK-NEXT:        scf.if %[[FIRST]] {
// CHECK-NEXT:          memref.store %[[MAX]], %arg1
// CHECK-NEXT:        }
// CHECK:             %[[O1:.*]] = arith.muli %[[LANE]], %c1
// CHECK:             %[[S1:.*]] = arith.addi %c0{{.*}}, %[[O1]]
// CHECK:             scf.for %[[J:.*]] = %[[S1]] to %c64{{.*}} step %{{.*}} {
// CHECK:               math.exp
// CHECK:               memref.store %{{.*}}, %arg2[%{{.*}}, %[[J]]]
// CHECK:             }
// CHECK:             %[[O2:.*]] = arith.muli %[[LANE]], %c1
// CHECK:             %[[S2:.*]] = arith.addi %c0{{.*}}, %[[O2]]
// CHECK:             %[[SUM:.*]] = scf.for %[[K:.*]] = %[[S2]] to %c64{{.*}} step %{{.*}} iter_args
// CHECK-NEXT:          memref.load %arg2[%{{.*}}, %[[K]]]
// CHECK-NEXT:          arith.addf
// CHECK:             scf.yield %[[SUM]]
// CHECK:           } else {
// CHECK:           gpu.shuffle xor %[[P2]]
// CHECK-COUNT-4:   gpu.shuffle xor
// CHECK-NEXT:      %[[T2:.*]] = arith.addf
// CHECK-NEXT:      %[[TOTAL:.*]] = arith.addf %{{.*}}, %[[T2]]
// CHECK-NEXT:      scf.if %[[LIVE]] {
// CHECK-NEXT:        scf.if %[[FIRST]] {
// CHECK-NEXT:          memref.store %[[TOTAL]], %arg3
// CHECK-NEXT:        }
// CHECK:             scf.for
// CHECK:               arith.divf %{{.*}}, %[[TOTAL]]
func.func @softmax_warp(%x: memref<?x64xf32>, %m: memref<?xf32>, %e: memref<?x64xf32>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %mx = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %next = arith.maximumf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %mx, %m[%b] : memref<?xf32>
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %x[%b, %j] : memref<?x64xf32>
      %d = arith.subf %v, %mx : f32
      %ex = math.exp %d : f32
      memref.store %ex, %e[%b, %j] : memref<?x64xf32>
    }
    %sum = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %e[%b, %j] : memref<?x64xf32>
      %next = arith.addf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %sum, %s[%b] : memref<?xf32>
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %e[%b, %j] : memref<?x64xf32>
      %p = arith.divf %v, %sum : f32
      memref.store %p, %e[%b, %j] : memref<?x64xf32>
    }
    scf.reduce
  }
  return
}
