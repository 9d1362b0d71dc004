// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-gpu-tile-contractions),canonicalize,cse)' --split-input-file | FileCheck %s
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-gpu-tile-contractions{matmul=tf32}),canonicalize,cse)' --split-input-file | FileCheck %s --check-prefix=TF32
// RUN: dl-opt %s --pass-pipeline='builtin.module(func.func(dl-gpu-tile-contractions{matmul=3xtf32}),canonicalize,cse)' --split-input-file | FileCheck %s --check-prefix=X3
// RUN: not dl-opt %s --pass-pipeline='builtin.module(func.func(dl-gpu-tile-contractions{matmul=bf16}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: dl-gpu-tile-contractions: unknown matmul precision 'bf16' (fp32, tf32 or 3xtf32)

// A matmul with a dynamic batch: a grid of 64 x 64 tiles (x along N, y along
// M), 256 threads, two 16 x 65 shared buffers. Per step of 16 along K: A and
// B staged (4 guarded loads each, 0 outside the bounds; A with the thread
// index along K, its buffer's last index, B along N), a barrier, 16 x 16
// products into 16 registers per thread, a barrier. Then each thread adds
// its 4 x 4 sums to C.
// CHECK-LABEL: func.func @matmul
// CHECK:         %[[M:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[GY:.*]] = arith.ceildivui %[[M]], %c64
// CHECK:         gpu.launch blocks({{[^)]*}}) in ({{[^,]*}} = %c1, {{[^,]*}} = %[[GY]], {{[^)]*}} = %c1)
// CHECK-SAME:      threads(%[[T:[^,]*]], {{[^)]*}}) in ({{[^,]*}} = %c256, {{[^,]*}} = %c1, {{[^)]*}} = %c1)
// CHECK-SAME:      workgroup(%[[AS:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>)
// CHECK:           %[[ROW:.*]] = arith.divui %[[T]], %c16
// CHECK:           %[[COL:.*]] = arith.remui %[[T]], %c16
// CHECK:           %[[ACC:.*]]:16 = scf.for %[[K0:.*]] = %c0 to %c70 step %c16 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:             %[[KK:.*]] = arith.addi %[[K0]], %[[COL]]
// CHECK:             %[[IN:.*]] = arith.andi
// CHECK:             %[[A:.*]] = scf.if %[[IN]] -> (f32) {
// CHECK:               memref.load %arg0[%{{.*}}, %[[KK]]] : memref<?x70xf32>
// CHECK:             } else {
// CHECK:               scf.yield %cst
// CHECK:             memref.store %[[A]], %[[AS]][%[[COL]], %[[ROW]]]
// CHECK-COUNT-3:     memref.store %{{.*}}, %[[AS]]
// CHECK:             %[[B:.*]] = scf.if
// CHECK:               memref.load %arg1
// CHECK:             memref.store %[[B]], %[[BS]]
// CHECK-COUNT-3:     memref.store %{{.*}}, %[[BS]]
// CHECK:             gpu.barrier
// CHECK:             scf.for %[[K:.*]] = %c0 to %c16 step %c1 iter_args
// CHECK:               memref.load %[[AS]][%[[K]], %[[ROW]]]
// CHECK:               memref.load %[[BS]][%[[K]], %[[COL]]]
// CHECK-COUNT-16:      arith.addf
// CHECK:               scf.yield
// CHECK:             gpu.barrier
// CHECK:             scf.yield
// CHECK:           scf.if
// CHECK:             %[[OLD:.*]] = memref.load %arg2
// CHECK:             %[[NEW:.*]] = arith.addf %[[OLD]], %[[ACC]]#0
// CHECK:             memref.store %[[NEW]], %arg2
// CHECK-COUNT-15:  memref.store %{{.*}}, %arg2
// CHECK:           gpu.terminator
// CHECK-NOT:     linalg.matmul

// With tensor cores (matmul=tf32): shared rows of 72 floats; warp w owns
// rows 16 (w % 4) and columns 32 (w / 4) of the tile. Per 8 of K, lane
// 4 g + t loads A[g, t], A[g + 8, t], A[g, t + 4], A[g + 8, t + 4] and, for
// each of four m16n8 tiles, B[t, g] and B[t + 4, g] (the PTX ISA's mma.m16n8k8
// .tf32 fragments), each rounded to TF32 (+ 0x1000, the 13 low bits
// cleared: to nearest, ties away from zero): 8 mma.sync per step of 16.
// Accumulator 0 of tile 0 goes to row g, column 2 t, accumulator 1 to
// column 2 t + 1.
// TF32-LABEL: func.func @matmul
// TF32:         workgroup(%[[AS:.*]] : memref<16x72xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<16x72xf32, #gpu.address_space<workgroup>>)
// TF32:           %[[WARP:.*]] = arith.divui %[[T:.*]], %c32
// TF32:           %[[LANE:.*]] = arith.remui %[[T]], %c32
// TF32:           %[[G:.*]] = arith.divui %[[LANE]], %c4
// TF32:           %[[TK:.*]] = arith.remui %[[LANE]], %c4
// TF32:           %[[WM:.*]] = arith.remui %[[WARP]], %c4
// TF32:           %[[M16:.*]] = arith.muli %[[WM]], %c16
// TF32:           %[[WN:.*]] = arith.divui %[[WARP]], %c4
// TF32:           %[[N32:.*]] = arith.muli %[[WN]], %c32
// TF32:           %[[ROW:.*]] = arith.addi %[[M16]], %[[G]]
// TF32:           %[[T2:.*]] = arith.muli %[[TK]], %c2
// TF32:           %[[COL:.*]] = arith.addi %[[N32]], %[[T2]]
// TF32:           %[[BCOL:.*]] = arith.addi %[[N32]], %[[G]]
// TF32:           %[[COL1:.*]] = arith.addi %[[COL]], %c1
// TF32:           %[[ROW8:.*]] = arith.addi %[[ROW]], %c8
// TF32:           scf.for
// TF32:             gpu.barrier
// TF32:             %[[A0:.*]] = memref.load %[[AS]][%[[TK]], %[[ROW]]]
// TF32:             %[[A1:.*]] = memref.load %[[AS]][%[[TK]], %[[ROW8]]]
// TF32:             %[[K4:.*]] = arith.addi %[[TK]], %c4
// TF32:             %[[A2:.*]] = memref.load %[[AS]][%[[K4]], %[[ROW]]]
// TF32:             %[[A3:.*]] = memref.load %[[AS]][%[[K4]], %[[ROW8]]]
// TF32:             %[[BITS:.*]] = arith.bitcast %[[A0]] : f32 to i32
// TF32:             %[[UP:.*]] = arith.addi %[[BITS]], %c4096_i32
// TF32:             %[[KEPT:.*]] = arith.andi %[[UP]], %c-8192_i32
// TF32:             %[[R0:.*]] = arith.bitcast %[[KEPT]] : i32 to f32
// TF32:             %[[A:.*]] = vector.from_elements %[[R0]], %{{.*}}, %{{.*}}, %{{.*}} : vector<4x1xf32>
// TF32:             %[[B0:.*]] = memref.load %[[BS]][%[[TK]], %[[BCOL]]]
// TF32:             %[[B1:.*]] = memref.load %[[BS]][%[[K4]], %[[BCOL]]]
// TF32:             %[[B:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2x1xf32>
// TF32:             %[[C:.*]] = vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<2x2xf32>
// TF32:             nvgpu.mma.sync(%[[A]], %[[B]], %[[C]]) {mmaShape = [16, 8, 8], tf32Enabled}
// TF32-COUNT-7:     nvgpu.mma.sync
// TF32-NOT:         nvgpu.mma.sync
// TF32:             gpu.barrier
// TF32:           %[[GM:.*]] = arith.addi %{{.*}}, %[[ROW]]
// TF32:           scf.if
// TF32:             memref.load %arg2[%[[GM]], %[[COL]]]
// TF32:           scf.if
// TF32:             memref.load %arg2[%[[GM]], %[[COL1]]]

// 3xtf32: each fragment value v splits into hi (v with its 13 low mantissa
// bits cleared) and lo = v - hi (0 where hi == v: an infinity) rounded to
// TF32; per tile lo*hi, hi*lo, then hi*hi: 24 mma.sync per step of 16.
// X3-LABEL: func.func @matmul
// X3:         %[[MASK:.*]] = arith.constant -8192 : i32
// X3:             gpu.barrier
// X3:             %[[V:.*]] = memref.load
// X3:             %[[BITS:.*]] = arith.bitcast %[[V]] : f32 to i32
// X3:             %[[HB:.*]] = arith.andi %[[BITS]], %[[MASK]]
// X3:             %[[HI:.*]] = arith.bitcast %[[HB]] : i32 to f32
// X3:             %[[SAME:.*]] = arith.cmpf oeq, %[[V]], %[[HI]]
// X3:             %[[DIFF:.*]] = arith.subf %[[V]], %[[HI]]
// X3:             %[[REST:.*]] = arith.select %[[SAME]], %cst, %[[DIFF]]
// X3:             %[[RBITS:.*]] = arith.bitcast %[[REST]] : f32 to i32
// X3:             %[[RUP:.*]] = arith.addi %[[RBITS]], %c4096_i32
// X3:             %[[RKEPT:.*]] = arith.andi %[[RUP]], %[[MASK]]
// X3:             %[[LO:.*]] = arith.bitcast %[[RKEPT]] : i32 to f32
// X3:             %[[AHI:.*]] = vector.from_elements %[[HI]], {{.*}} : vector<4x1xf32>
// X3:             %[[ALO:.*]] = vector.from_elements %[[LO]], {{.*}} : vector<4x1xf32>
// X3:             %[[BHI:.*]] = vector.from_elements {{.*}} : vector<2x1xf32>
// X3:             %[[BLO:.*]] = vector.from_elements {{.*}} : vector<2x1xf32>
// X3:             %[[C:.*]] = vector.from_elements {{.*}} : vector<2x2xf32>
// X3:             %[[S1:.*]] = nvgpu.mma.sync(%[[ALO]], %[[BHI]], %[[C]])
// X3:             %[[S2:.*]] = nvgpu.mma.sync(%[[AHI]], %[[BLO]], %[[S1]])
// X3:             nvgpu.mma.sync(%[[AHI]], %[[BHI]], %[[S2]])
// X3-COUNT-21:    nvgpu.mma.sync
// X3-NOT:         nvgpu.mma.sync
// X3:             gpu.barrier
func.func @matmul(%a: memref<?x70xf32>, %b: memref<70x50xf32>, %c: memref<?x50xf32>) {
  linalg.matmul ins(%a, %b : memref<?x70xf32>, memref<70x50xf32>) outs(%c : memref<?x50xf32>)
  return
}

// -----

// A fill just before an unsplit contraction is folded in: each thread adds
// its sums to the fill's value and stores them; C is not read.
// CHECK-LABEL: func.func @filled
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1.0
// CHECK-DAG:     %[[C:.*]] = memref.alloc
// CHECK-NOT:     linalg.fill
// CHECK:         gpu.launch
// CHECK-NOT:       memref.load %[[C]]
// CHECK:           scf.if %{{[0-9]+}} {
// CHECK-NEXT:        %[[NEW:.*]] = arith.addf %{{.*}}#0, %[[ONE]]
// CHECK-NEXT:        memref.store %[[NEW]], %[[C]]
// CHECK-NOT:       memref.load %[[C]]
// CHECK:           gpu.terminator
func.func @filled(%a: memref<?x70xf32>, %b: memref<70x50xf32>) -> memref<?x50xf32> {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %m = memref.dim %a, %c0 : memref<?x70xf32>
  %c = memref.alloc(%m) : memref<?x50xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<?x50xf32>)
  linalg.matmul ins(%a, %b : memref<?x70xf32>, memref<70x50xf32>) outs(%c : memref<?x50xf32>)
  return %c : memref<?x50xf32>
}

// -----

// An elementwise consumer after an unsplit tile (a bias add and a ReLU)
// runs on each final value in the tile's registers, above another op's fill
// it does not touch. Only the consumer reads C, so C is neither stored nor
// allocated.
// CHECK-LABEL: func.func @bias_relu
// CHECK-NOT:     memref.alloc
// CHECK:         gpu.launch
// CHECK:           scf.if %{{[0-9]+}} {
// CHECK-NEXT:        %[[SUM:.*]] = arith.addf %{{.*}}#0, %cst
// CHECK-NEXT:        %[[BIAS:.*]] = memref.load %arg2[%[[N:.*]]] : memref<50xf32>
// CHECK-NEXT:        %[[B:.*]] = arith.addf %[[SUM]], %[[BIAS]]
// CHECK-NEXT:        %[[R:.*]] = arith.maximumf %[[B]], %cst
// CHECK-NEXT:        memref.store %[[R]], %arg3[%{{.*}}, %[[N]]]
// CHECK-NEXT:      }
// CHECK:         gpu.terminator
// CHECK-NEXT:    }
// CHECK-NEXT:    linalg.fill ins(%{{.*}}) outs(%arg4
// CHECK-NEXT:    return
func.func @bias_relu(%a: memref<?x70xf32>, %b: memref<70x50xf32>, %bias: memref<50xf32>, %out: memref<?x50xf32>, %other: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = memref.dim %a, %c0 : memref<?x70xf32>
  %c = memref.alloc(%m) : memref<?x50xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x50xf32>)
  linalg.matmul ins(%a, %b : memref<?x70xf32>, memref<70x50xf32>) outs(%c : memref<?x50xf32>)
  linalg.fill ins(%zero : f32) outs(%other : memref<8xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<?x50xf32>, memref<50xf32>) outs(%out : memref<?x50xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %c : memref<?x50xf32>
  return
}

// -----

// C is returned, so it is stored as well; a consumer that writes what the
// tiles read (the input A, in place) stays an op of its own.
// CHECK-LABEL: func.func @kept_and_in_place
// CHECK:         gpu.launch
// CHECK:           memref.store %{{.*}}, %[[C:.*]][
// CHECK:           math.tanh
// CHECK:           memref.store %{{.*}}, %arg2[
// CHECK:         gpu.launch
// CHECK-NOT:       math.exp
// CHECK:         linalg.generic
// CHECK:           math.exp
func.func @kept_and_in_place(%a: memref<64x70xf32>, %b: memref<70x50xf32>, %t: memref<64x50xf32>, %a2: memref<64x64xf32>) -> memref<64x50xf32> {
  %c = memref.alloc() : memref<64x50xf32>
  linalg.matmul ins(%a, %b : memref<64x70xf32>, memref<70x50xf32>) outs(%c : memref<64x50xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<64x50xf32>) outs(%t : memref<64x50xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.tanh %x : f32
    linalg.yield %r : f32
  }
  %d = memref.alloc() : memref<64x64xf32>
  linalg.matmul ins(%a2, %a2 : memref<64x64xf32>, memref<64x64xf32>) outs(%d : memref<64x64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%d : memref<64x64xf32>) outs(%a2 : memref<64x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.exp %x : f32
    linalg.yield %r : f32
  }
  memref.dealloc %d : memref<64x64xf32>
  return %c : memref<64x50xf32>
}

// -----

// A consumer cannot move above an op that writes what it reads (here its
// bias, filled between them): it stays an op of its own.
// CHECK-LABEL: func.func @bias_filled_between
// CHECK:         gpu.launch
// CHECK-NOT:       arith.maximumf
// CHECK:         linalg.fill ins(%{{.*}}) outs(%arg2
// CHECK-NEXT:    linalg.generic
func.func @bias_filled_between(%a: memref<64x70xf32>, %b: memref<70x50xf32>, %bias: memref<50xf32>, %out: memref<64x50xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x50xf32>
  linalg.matmul ins(%a, %b : memref<64x70xf32>, memref<70x50xf32>) outs(%c : memref<64x50xf32>)
  linalg.fill ins(%zero : f32) outs(%bias : memref<50xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<64x50xf32>, memref<50xf32>) outs(%out : memref<64x50xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %c : memref<64x50xf32>
  return
}

// -----

// One tile of outputs and a long K: the grid splits K into 7 parts of 288
// (a multiple of 16) and the blocks add their sums atomically, so the fill
// before it stays: C must hold 0 before any block adds.
// CHECK-LABEL: func.func @split_k
// CHECK:         linalg.fill
// CHECK:         gpu.launch blocks({{[^,]*}}, {{[^,]*}}, %[[Z:[^)]*]]) in ({{[^,]*}} = %c1, {{[^,]*}} = %c1, {{[^)]*}} = %c7)
// CHECK:           %[[PART:.*]] = arith.remui %[[Z]], %c7
// CHECK:           %[[BEGIN:.*]] = arith.muli %[[PART]], %c288
// CHECK:           %[[END0:.*]] = arith.addi %[[BEGIN]], %c288
// CHECK:           %[[END:.*]] = arith.minui %[[END0]], %c2000
// CHECK:           scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c16
// CHECK-COUNT-16:  memref.atomic_rmw addf
// CHECK-NOT:       memref.store %{{.*}}, %arg2
func.func @split_k(%a: memref<40x2000xf32>, %b: memref<2000x40xf32>, %c: memref<40x40xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<40x40xf32>)
  linalg.matmul ins(%a, %b : memref<40x2000xf32>, memref<2000x40xf32>) outs(%c : memref<40x40xf32>)
  return
}

// -----

// The batch dim (read by both operands) is the grid's z.
// CHECK-LABEL: func.func @batched
// CHECK:         gpu.launch blocks({{[^,]*}}, {{[^,]*}}, %[[Z:[^)]*]]) in ({{[^,]*}} = %c1, {{[^,]*}} = %c1, {{[^)]*}} = %c3)
// CHECK:           memref.load %arg0[%[[Z]],
// CHECK:           memref.load %arg1[%[[Z]],
// CHECK:           memref.store %{{.*}}, %arg2[%[[Z]],
func.func @batched(%a: memref<3x33x70xf32>, %b: memref<3x70x50xf32>, %c: memref<3x33x50xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<3x33x70xf32>, memref<3x70x50xf32>) outs(%c : memref<3x33x50xf32>)
  return
}

// -----

// A convolution as an implicit GEMM: rows are (n, oh, ow) = 400, columns the
// 40 filters, K = (c, kh, kw) = 72; the input's window position is oh + kh.
// Its last index (ow + kw) follows a row dim, so A is staged with the thread
// index along the rows.
// CHECK-LABEL: func.func @conv
// CHECK:         gpu.launch blocks({{[^)]*}}) in ({{[^,]*}} = %c1, {{[^,]*}} = %c7, {{[^)]*}} = %c1)
// CHECK-SAME:      workgroup(%[[AS:[^ ]*]] :
// CHECK:           scf.for %{{.*}} = %c0 to %c72 step %c16
// CHECK:             %[[ROW:.*]] = arith.remui %{{.*}}, %c64
// CHECK:             %[[KK:.*]] = arith.divui %{{.*}}, %c64
// CHECK:             affine.apply
// CHECK:             memref.load %arg0{{.*}} : memref<4x8x12x12xf32>
// CHECK:           memref.store %{{.*}}, %[[AS]][%[[KK]], %[[ROW]]]
// CHECK:             memref.load %arg1{{.*}} : memref<40x8x3x3xf32>
// CHECK:             gpu.barrier
func.func @conv(%x: memref<4x8x12x12xf32>, %k: memref<40x8x3x3xf32>, %y: memref<4x40x10x10xf32>) {
  linalg.conv_2d_nchw_fchw ins(%x, %k : memref<4x8x12x12xf32>, memref<40x8x3x3xf32>) outs(%y : memref<4x40x10x10xf32>)
  return
}

// -----

// Left to dl-gpu-map-kernels: too small for tiles (N = 8), a max instead of
// a sum, an output broadcast along a dim neither operand reads.
// CHECK-LABEL: func.func @small
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.matmul
func.func @small(%a: memref<64x32xf32>, %b: memref<32x8xf32>, %c: memref<64x8xf32>) {
  linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x8xf32>) outs(%c : memref<64x8xf32>)
  return
}

// CHECK-LABEL: func.func @max_plus
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.generic
func.func @max_plus(%a: memref<64x32xf32>, %b: memref<32x64xf32>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x32xf32>, memref<32x64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.addf %x, %y : f32
    %m = arith.maximumf %acc, %p : f32
    linalg.yield %m : f32
  }
  return
}

// CHECK-LABEL: func.func @broadcast_output
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.generic
func.func @broadcast_output(%a: memref<64x32xf32>, %b: memref<32xf32>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k)>, affine_map<(i, j, k) -> (i, j)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x32xf32>, memref<32xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
