//===- Passes.td - conversions out of the dl dialect -------*- tablegen -*-===//

#ifndef DL_CONVERSION_PASSES_TD
#define DL_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertDLToLinalg : Pass<"convert-dl-to-linalg", "ModuleOp"> {
  let summary = "Lower dl ops to linalg, tensor and arith on tensors";
  let description = [{
    Elementwise ops become `linalg.generic` with projected-permutation
    indexing maps: an operand that broadcasts is first collapsed
    (`tensor.collapse_shape`) to drop its stretched size-1 dimensions, so no
    indexing map holds a constant. `dl.matmul` becomes a zero `linalg.fill`
    feeding `linalg.matmul`; constants become `arith.constant`. Dynamic result
    sizes come from `tensor.dim` of an operand that carries them.

    Before:
    ```mlir
    %0 = dl.add %x, %b : tensor<?x4xf32>, tensor<4xf32>
    ```
    After:
    ```mlir
    %c0 = arith.constant 0 : index
    %d0 = tensor.dim %x, %c0 : tensor<?x4xf32>
    %e = tensor.empty(%d0) : tensor<?x4xf32>
    %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                          affine_map<(d0, d1) -> (d1)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x, %b : tensor<?x4xf32>, tensor<4xf32>) outs(%e : tensor<?x4xf32>) {
      ^bb0(%a: f32, %c: f32, %out: f32):
        %s = arith.addf %a, %c : f32
        linalg.yield %s : f32
    } -> tensor<?x4xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def UpdateInPlace : Pass<"dl-update-in-place", "ModuleOp"> {
  let summary = "Write a train step's new parameters into their own buffers";
  let description = [{
    A compiled train step returns the loss and then, for each entry of its
    `dl.in_place` attribute (an argument index per result after the loss),
    the argument's new value: parameters, buffers and optimizer state. This
    pass, on tensors just before bufferization, returns
    `bufferization.materialize_in_destination %new in %arg` instead, so
    one-shot bufferization writes the update into the argument's buffer
    (with `eliminate-empty-tensors`, the update kernel writes there
    directly), and `dl-drop-in-place-results` then removes those
    results: the step returns only the loss and updates everything else in
    place, allocating nothing per step for the model's state. A result that
    is the argument itself (a frozen parameter) is returned as is and
    dropped the same way.

    Before:
    ```mlir
    func.func @loss.step(%w: tensor<4xf32>, ...) -> (tensor<f32>, tensor<4xf32>)
        attributes {dl.in_place = array<i64: 0>} {
      ...
      return %loss, %w_new : tensor<f32>, tensor<4xf32>
    }
    ```
    After:
    ```mlir
      %0 = bufferization.materialize_in_destination %w_new in %w
          : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      return %loss, %0 : tensor<f32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def DropInPlaceResults : Pass<"dl-drop-in-place-results", "ModuleOp"> {
  let summary = "Remove a train step's results that are its own arguments";
  let description = [{
    After one-shot bufferization, the results of a `dl.in_place` function
    that were written into their argument's buffer are that argument. The
    pass removes them from the function (its only caller is the runtime,
    which expects the loss alone), and fails if any in-place result was not
    bufferized into its argument, rather than let the runtime read a
    different layout. (Upstream `drop-equivalent-buffer-results` skips
    public functions.)
  }];
}

def SerializeNestedParallel : Pass<"dl-serialize-nested-parallel"> {
  let summary = "Keep only the outermost scf.parallel of each loop nest";
  let description = [{
    `convert-linalg-to-parallel-loops` makes every parallel dimension an
    `scf.parallel`, including an innermost one below a reduction loop (as
    `dl-cpu-loop-order` arranges for vectorisation). As OpenMP, each of
    those would fork a (serialised) parallel region per iteration of the
    loops around it. This pass turns every `scf.parallel` nested in another
    into `scf.for` loops, so each kernel forks once, at its outermost
    parallel loop, and the inner loops stay plain loops LLVM vectorises.
    A top-level `scf.parallel` of several dimensions keeps only its leading
    dimensions that give 64 iterations (a dynamic one, the batch, counts as
    enough); the others become `scf.for` inside: OpenMP collapses all of a
    work-sharing loop's dimensions into one and recomputes every index with
    a division and a remainder per iteration (the seed CNN's 6-dimensional
    pooling window copy ran 5x slower on two threads than on one).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def InlineAllocaScopes : Pass<"dl-inline-alloca-scopes"> {
  let summary = "Inline memref.alloca_scope regions that allocate nothing";
  let description = [{
    `convert-scf-to-openmp` wraps every work-sharing loop body in a
    `memref.alloca_scope`, which must keep a single block; lowering the scf
    loops inside it to control flow then breaks it. Our kernels allocate no
    stack memory in loop bodies, so the scopes are inlined into their parent
    (a scope that does hold a `memref.alloca` is kept).
  }];
}

def CPUIm2Col : Pass<"dl-cpu-im2col"> {
  let summary = "Turn convolutions and their filter gradients into contractions over a copy of the windows";
  let description = [{
    For every `out += a * b` linalg op on tensors (named convolutions are
    generalised first) whose output and one input are plain projections of
    the loops and whose other input is read through a window
    (`X[n, c, oh * s + kh * d, ow * s + kw * d]`): copy the windows into a
    tensor over the loops that input reads (`linalg.generic` gathering from
    X, im2col) and read that copy through a projection instead. The copy's
    dimensions are those the output does not have (input channel, kernel
    offsets) followed by the output's in its order, so the output's last
    dimension is contiguous in it. The result is a contraction that
    `dl-cpu-vectorize` register-tiles: the convolution as
    `W[f, c, kh, kw] * copy[c, kh, kw, n, oh, ow]`, the filter gradient as
    `dY[n, f, oh, ow] * copy[n, oh, ow, c, kh, kw]`.

    Anything but a product whose one windowed operand has windows that tile
    it (`X[n, c, oh * s + kh, ow * s + kw]` with `s` the window's extent and
    `H = OH * s`: a 2x2 max-pooling of even images, its argmax, the
    gradient's scatter) gets no copy: that operand is replaced by a
    `tensor.expand_shape` view `[n, c, OH, KH, OW, KW]` read (or written)
    through the plain projection `(n, c, oh, kh, ow, kw)`. A windowed output
    is then written once per element: its loops become parallel, the op's
    result is collapsed back, and a `linalg.fill` it started from becomes
    the filled constant in the body; when that result's only reader is an
    elementwise `linalg.generic` over operands of its shape (ReLU's
    gradient), the reader moves onto the same view and the scatter is fused
    into it (`linalg::fuseElementwiseOps`). dl-cpu-vectorize vectorises these ops
    along `ow` with whole `(ow, kw)` blocks (CPUInterleave.h).

    Other windowed inputs of non-products (overlapping windows, images the
    windows do not cover) get the copy only when it is no larger than the
    input, laid out `[n, c, kh, kw, oh, ow]` so that the copy walks the
    input image by image. Copies above 2^26 elements are not made; the input
    gradient (a windowed output) is left alone. CPU pipeline only.

    Before:
    ```mlir
    linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<?x1x30x30xf32>, tensor<64x1x3x3xf32>)
                             outs(%init : tensor<?x64x28x28xf32>)
    ```
    After:
    ```mlir
    %copy = linalg.generic {indexing_maps = [(c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw), identity]}
        ins(%x) outs(%empty : tensor<1x3x3x?x28x28xf32>)
    linalg.generic {indexing_maps = [(n, f, oh, ow, c, kh, kw) -> (c, kh, kw, n, oh, ow),
                                     (n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw),
                                     (n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)]}
        ins(%copy, %w) outs(%init)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def CPULoopOrder : Pass<"dl-cpu-loop-order"> {
  let summary = "Order loops so that CPU kernels end in a vectorisable loop";
  let description = [{
    For every linalg op on tensors with a reduction (matmul, convolution,
    pooling, their gradients, reductions): generalise it, and move innermost
    the parallel loop along which every operand is contiguous (its last
    index is that loop, possibly plus an offset, as in a convolution's
    `ow + kw`) or not indexed at all, preferring the output's last
    dimension. If none exists because a 2-D input holds the output's last
    dimension first and a reduction second (`x @ W^T`), a transposed copy of
    that input is made (`linalg.transpose`) and the search repeats, unless
    the product is one that dl-cpu-vectorize computes as dot products of
    rows (CPUDot.h: f32, a static reduction of at least 256 and a multiple
    of 16, columns in fours), which is left as it is. The
    result lowers to loops whose innermost body is
    `C[..., j] += A[...] * B[..., j]`, which LLVM vectorises.

    Before (`x @ W^T`, reduction innermost):
    ```mlir
    linalg.matmul indexing_maps = [(m, n, k) -> (m, k), (m, n, k) -> (n, k),
                                   (m, n, k) -> (m, n)] ins(%x, %w ...)
    ```
    After:
    ```mlir
    %wt = linalg.transpose ins(%w) ... permutation = [1, 0]
    linalg.generic {indexing_maps = [(m, k, n) -> (m, k), (m, k, n) -> (k, n),
                                     (m, k, n) -> (m, n)],
                    iterator_types = ["parallel", "reduction", "parallel"]}
        ins(%x, %wt ...)
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def CPUVectorize
    : Pass<"dl-cpu-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Register-tile and vectorise CPU kernels on buffers";
  let description = [{
    These kinds of linalg op on buffers become vector code; everything else
    is left to convert-linalg-to-loops (and LLVM):
    - `x @ W^T` with a long reduction (CPUDot.h): cache blocks of 64 rows x
      64 columns (a 2-D `scf.parallel`) and chunks of k, register blocks of
      4 x 4 (4 x 2 below 16 lanes) dot products whose accumulators are
      vectors along k (`mr + nr` row loads and `mr * nr` FMAs per step),
      summed across lanes once per chunk (a tree of shuffles per row) and
      added to C; rows left over from blocks of 4 one at a time;
    - ops on dl-cpu-im2col's `[.., OW, KW]` views (CPUInterleave.h): vectors
      along `ow`, each `(ow, kw)` block loaded (or stored) as one contiguous
      vector and split (joined) by `vector.shuffle`, the `kw` loop unrolled
      around the body;
    - contractions (below);
    - reductions into an output block (pooling over its window copy, the
      argmax of max-pooling's gradient): the output's contiguous last
      dimension in 2-register vectors, every other loop one step at a time,
      the reduction innermost, all accumulators (value and index) carried in
      registers through it;
    - elementwise ops on identity-layout buffers of 8- to 64-bit elements:
      contiguous dimensions collapsed into one loop cut into 2-register
      vectors, the remainder scalar;
    - 2-D transposes of 32-bit elements: 16 x 16 blocks transposed in
      registers (shuffles with 16 lanes), partial blocks scalar.
    In every case the outermost block loop is an `scf.parallel`.

    For every f32 contraction on buffers (a linalg op whose body multiplies
    and accumulates and whose indexing maps are projected permutations:
    matmul, x @ W^T after dl-cpu-loop-order, both weight and input
    gradients): tile the output into register blocks of `mr` rows by `nr`
    columns (`nr` two vector registers wide along the output's contiguous
    last dimension, `mr` = 8 for 16-lane vectors, 4 otherwise), with the
    reduction innermost and one step at a time. Loops whose extent the tile
    does not divide (a dynamic batch) are peeled: full tiles are vectorised
    (`linalg::vectorize` to `vector.contract`), the remainder stays a
    linalg op and becomes scalar loops later. The accumulator block is then
    read before and written after the reduction loop (LICM and
    `hoistRedundantVectorTransfers`), so the inner loop holds `mr * 2`
    vector registers of accumulators, loads one row of the right-hand block
    and broadcasts `mr` scalars of the left-hand one: `vector.contract`
    lowers to outer products, i.e. `mr * 2` FMAs per step.

    The outer of the two block loops runs over the larger of the two output
    dimensions so that the operand panel it indexes stays in cache across
    the inner block loop. `vector-width` is the number of f32 lanes of the
    host's vector registers (16 with AVX-512, 8 with AVX2, 4 otherwise);
    0 disables the pass. Results differ from the scalar loops only in the
    order of the sum (fixed, so deterministic).

    Epilogues: an elementwise `linalg.generic` with the contraction's
    `dl.kernel` that reads its output with the identity (planned by
    `dl-plan-fusion`) is moved next to it when no op in between touches its
    buffers and it writes none of the contraction's operands, and its tile
    for each register block runs right after the block's reduction loop
    (vectorised like any elementwise op), instead of in a pass of its own.

    Before:
    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction", "parallel"]}
        ins(%a, %b : memref<?x12544xf32>, memref<12544x128xf32>)
        outs(%c : memref<?x128xf32>) { mulf, addf }
    ```
    After (the full-tile part; the batch remainder keeps a linalg.generic):
    ```mlir
    scf.for %j = 0 to 128 step 32 {
      scf.for %i = 0 to %m_full step 8 {
        %acc0 = vector.transfer_read %c_tile : vector<8x32xf32>
        %acc = scf.for %k = 0 to 12544 iter_args(%acc1 = %acc0) {
          vector.fma ... : vector<32xf32>   // 8 times
        }
        vector.transfer_write %acc, %c_tile
      }
    }
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector register (0: leave kernels alone)">,
  ];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
    "::mlir::affine::AffineDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def MergeHorizontal : Pass<"dl-merge-horizontal", "::mlir::func::FuncOp"> {
  let summary = "Run the loop nests of a horizontal kernel as one parallel loop over chunks of all of them";
  let description = [{
    Carries out the horizontal kernels of `dl-plan-fusion`
    (`dl.horizontal = G` on each member: mutually independent elementwise
    kernels, the optimizer's update of every parameter) on buffers, as
    PyTorch's multi-tensor apply does: each member's buffers are viewed as
    one-dimensional (`memref.collapse_shape`), its elements are cut into
    chunks of `chunk`, and one `scf.parallel` runs over the chunks of all
    members. An iteration finds its member by comparing its chunk with the
    members' first chunks and runs that member's op on `memref.subview`s of
    the chunk (`scf.index_switch`); a member that fits one chunk runs on its
    whole views, a scalar member (rank 0) as it is. Members that compute
    the same thing (the same body on operands of the same kinds) share one
    chunk op: a second switch yields the member's first chunk, size and
    views (1-D ones as `memref<?xT>`), so the body exists once. The merged
    loop takes
    the place of the last member; a member that cannot move there (an op in
    between reads or writes its buffers) or that depends on another member
    (possible only in a plan edited by hand) stays a kernel of its own.
    Runs after bufferization and before the buffer deallocation pipeline
    (no deallocation yet between the members) and `dl-cpu-vectorize` (which
    vectorises each chunk's op). The GPU target runs it with `chunk=1`: the
    merged loop has one iteration per element of all members, which
    `dl-gpu-map-kernels` makes one thread each, so every parameter's update
    is one launch.

    ```mlir
    scf.parallel (%c) = (%c0) to (%c201) step (%c1) {
      %k = ... // 0 for chunks 0..195, 1 for 196, ...
      scf.index_switch %k
      case 0 { linalg.generic ins(subviews of the chunk) outs(...) }
      ...
    }
    ```
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", /*default=*/"8192",
           "Elements per chunk (CPU: a multiple of the vector tile; the "
           "update's seven streams of a chunk stay in L2. GPU: 1, a thread "
           "per element)">,
    Option<"maxOperands", "max-operands", "int64_t", /*default=*/"0",
           "At most this many distinct buffers per merged loop (0: no "
           "limit); more "
           "members make more loops (GPU: a kernel's parameters are limited "
           "to 4 KiB, a 1-D buffer takes 40 bytes)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def OMPWorkThreshold : Pass<"dl-omp-work-threshold"> {
  let summary = "Run parallel loops with too little work as plain loops";
  let description = [{
    Versions every outermost `scf.parallel` (after the kernels are outlined,
    before `convert-scf-to-openmp`): its estimated work (the iteration count
    of its dimensions, computed at run time from their bounds, times a
    static count of the operations one iteration executes, nested `scf.for`
    loops multiplied by their trip counts, 64 for a dynamic one) must reach
    `min-work` for the parallel loop, which becomes an OpenMP region, to
    run; otherwise the same body runs in plain `scf.for` loops that never
    enter libomp. Forking a team costs tens of microseconds, more than a
    whole kernel of a batch-1 inference, and so did libomp's serialised
    regions (an `if` clause, this pass's first form). A work estimate that
    folds to a constant keeps one version only, and so does a loop whose
    work reaches the threshold even with every run-time trip count at one (a
    batch of one): the check could only pick the parallel version.

    ```mlir
    scf.parallel (%i) = (%c0) to (%n) step (%c1) { ... }
    ```
    becomes
    ```mlir
    %trips = arith.ceildivsi (%n - %c0), %c1
    %work = arith.muli %trips, %c_per_iteration
    %enough = arith.cmpi sge, %work, %c_min_work
    scf.if %enough {
      scf.parallel (%i) = (%c0) to (%n) step (%c1) { ... }
    } else {
      scf.for %i = %c0 to %n step %c1 { ... }
    }
    ```
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"32768",
           "Estimated operations below which a loop runs on one thread">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def MemRefCopyToLinalg : Pass<"dl-memref-copy-to-linalg"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    `finalize-memref-to-llvm` turns a copy between buffers that are not both
    contiguous (a padded convolution input, a strided view) into a call to
    `memrefCopy` from MLIR's C runner library, which neither the JIT nor an
    object file emitted by dlc links. As `linalg.copy`, the copy becomes loops
    like every other kernel. Run after bufferization, before linalg is
    lowered to loops.

    Before:
    ```mlir
    memref.copy %src, %dst : memref<2x3xf32> to memref<2x3xf32, strided<[5, 1], offset: ?>>
    ```
    After:
    ```mlir
    linalg.copy ins(%src : memref<2x3xf32>)
                outs(%dst : memref<2x3xf32, strided<[5, 1], offset: ?>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def GPUFuseReductions : Pass<"dl-gpu-fuse-reductions",
                             "::mlir::func::FuncOp"> {
  let summary = "Keep reductions' outputs in registers and fold the nests "
                "that initialise and consume them into the reduction";
  let description = [{
    Runs on the GPU target after `convert-linalg-to-parallel-loops`, before
    `dl-gpu-map-kernels`. A reduction nest (a convolution, a small matmul, a
    sum over the batch) loads and stores its output element at every step
    of its inner loops; a nest before it initialises the output (a fill, a
    bias broadcast) and nests after it consume it elementwise (a ReLU): on
    the GPU, three launches and a global-memory round trip per step. First,
    a rank-0 buffer stored once with a value the host computes (a batch size
    as a float) is read as that value, and a sum into a rank-0 buffer
    outside any nest (a mean over the batch: one thread's work) becomes a
    nest of one iteration, `scf.parallel (%u) = (0) to (1)`, with the
    stores of host values just before it and the scalar code after it (the
    division by the count); not when a load there may read an element a
    store there wrote through other indices. Then, for every top-level
    `scf.parallel` with a loop nest:
    1. the perfectly nested `scf.for` loops become one loop;
    2. each element the loop accumulates into (a load and a store at the same
       loop-invariant indices, its buffer touched by nothing else in the
       loop) becomes an `iter_arg`: loaded before the loop, stored after it;
    3. unless `dl-gpu-map-kernels` will split the sum over warps that add
       atomically (`dlc::gpu::reductionWarps`): the nests just before it over
       the same iteration space (or one that differs by the permutation the
       indices show, with the bounds agreeing under it: a fill of an output
       written through a transposed map) that only store an accumulator's
       initial value at the same element become its initial value
       (prologues), and
       the nests just after it over the same iteration space, without loops,
       whose accesses to what it writes are to the element its own iteration
       writes run in it, reading the register (epilogues), and so do nests
       over its space and one more inner dimension (row epilogues: a
       softmax's `exp(x - max)`, also in place over the row the reduction
       read), as a loop after its store; so do following nests with loops
       over the same space (a softmax's sum after its maximum, a layer
       norm's variance after its mean, a per-row loss) when the two touch
       shared elements only at the iteration's own: outside loops at the
       same indices, inside loops over the same range at the same position
       (the lanes of a warp take a row's elements alike in every loop, so a
       lane reads back only what it wrote), and when both run alike (a
       thread or a warp per iteration; never a split sum). Loads of
       elements the iteration stored read the stored value, and a store
       overwritten before anything reads the buffer goes;
    4. an output allocated in the function that nothing reads any more is
       neither stored nor allocated.
    An elementwise nest takes the nests after it as a reduction takes its
    epilogues (one launch; what the first stores, the others read from
    registers). A padding, a nest filling a buffer followed by one copying
    into a unit-stride view of its interior, becomes one nest writing each
    element once (the copy's value inside, the fill's outside). Prologues are folded over all nests before any epilogue, so
    that a fill becomes its reduction's initial value before it could join
    another nest. Only ops free of memory effects and allocations may lie
    between the nests, and before an epilogue deallocations, which stay.

    Before:
    ```mlir
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      memref.store %bias, %acc[%i] : memref<?xf32>
    }
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      scf.for %k = %c0 to %c9 step %c1 {
        %x = memref.load %in[%i, %k] : memref<?x9xf32>
        %a = memref.load %acc[%i] : memref<?xf32>
        %s = arith.addf %a, %x : f32
        memref.store %s, %acc[%i] : memref<?xf32>
      }
    }
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      %a = memref.load %acc[%i] : memref<?xf32>
      %r = arith.maximumf %a, %zero : f32
      memref.store %r, %out[%i] : memref<?xf32>
    }
    ```
    After (`%acc` allocated here and read by nothing else):
    ```mlir
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      %sum = scf.for %k = %c0 to %c9 step %c1 iter_args(%a = %bias) -> (f32) {
        %x = memref.load %in[%i, %k] : memref<?x9xf32>
        %s = arith.addf %a, %x : f32
        scf.yield %s : f32
      }
      %r = arith.maximumf %sum, %zero : f32
      memref.store %r, %out[%i] : memref<?xf32>
    }
    ```
  }];
}

def GPUMergeFills : Pass<"dl-gpu-merge-fills", "::mlir::func::FuncOp"> {
  let summary = "Move fill nests up and run adjacent ones as one nest";
  let description = [{
    Runs on the GPU target after `dl-gpu-fuse-reductions`, before
    `dl-gpu-map-kernels`. The fills left then are those no reduction could
    take as its initial value (a split sum's or split tile's zeros, which
    its warps or blocks add to atomically; a scatter's): each a launch of
    its own, usually small, right before its consumer. Every fill nest (an
    `scf.parallel` from 0 by 1 storing a constant at its induction
    variables) moves up past the ops that neither define what it uses nor
    touch its buffer (through any view), and fills that then lie next to
    each other, with only ops free of memory effects and allocations
    between, become one nest over the sum of their sizes (at most 24 per
    launch): an iteration finds its fill by its offset and stores that
    fill's constant at the delinearised index, the last dimension fastest.

    Before:
    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c64) step (%c1, %c1) {
      memref.store %zero, %dw[%i, %j] : memref<128x64xf32>
    }
    gpu.launch ... { ... memref.atomic_rmw addf %t, %dw[...] ... }
    scf.parallel (%i) = (%c0) to (%c128) step (%c1) {
      memref.store %zero, %db[%i] : memref<128xf32>
    }
    ```
    After:
    ```mlir
    scf.parallel (%k) = (%c0) to (%c8320) step (%c1) {
      scf.if (%k in [0, 8192)) { memref.store %zero, %dw[%k / 64, %k % 64] }
      scf.if (%k in [8192, 8320)) { memref.store %zero, %db[%k - 8192] }
    }
    gpu.launch ... { ... }
    ```
  }];
}

def GPUMapKernels : Pass<"dl-gpu-map-kernels", "::mlir::ModuleOp"> {
  let summary = "Move every loop nest of a bufferized function into a GPU kernel";
  let description = [{
    The GPU target's mapping of compute onto blocks and threads. Runs after
    bufferization and `convert-linalg-to-parallel-loops`, when a function is a
    straight line of host bookkeeping (allocations, views, dims, conditional
    deallocations) and compute. The host cannot touch device memory, so:
    - every top-level `scf.parallel` becomes a `gpu.launch` of
      ceil(N / 256) blocks of 256 threads, one thread per iteration, the last
      loop dimension fastest so that adjacent threads access adjacent
      elements (coalesced); the bounds check guards the tail block;
    - a parallel loop over few outputs, each a long reduction in a register
      (a sum, max or min; the form `dl-gpu-fuse-reductions` leaves), gets a
      warp per output instead: lanes take every 32nd element from the
      identity, five `gpu.shuffle xor` combine them (the total in every
      lane), every lane of a live warp combines it with the initial value
      and runs the rest of the iteration, lane 0 alone storing, the lanes
      splitting row-epilogue loops 32 ways; a body with several reductions
      runs in phases cut at them (each phase guarded, ending in the lane's
      part of the next reduction; the shuffles between, unguarded; values
      pass from phase to phase as `scf.if` results); sums over so few outputs that their warps
      would leave the GPU idle split each sum over several warps, which add
      atomically to the output (only when its initial value is the output's
      own element and nothing follows the store);
    - every run of scalar compute left (loads and stores of rank-0 buffers;
      `dl-gpu-fuse-reductions` makes sums to a scalar warp reductions)
      becomes a one-thread launch;
    - `memref.alloc`/`dealloc` become `gpu.alloc`/`gpu.dealloc` (device
      memory), and a constant global is copied to a device buffer at entry.
    Loops nested inside a kernel stay sequential per thread. The module gets
    `gpu.container_module`; `gpu-kernel-outlining` runs next.

    Before:
    ```mlir
    %out = memref.alloc(%n) : memref<?xf32>
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      %v = memref.load %in[%i] : memref<?xf32>
      memref.store %v, %out[%i] : memref<?xf32>
    }
    ```
    After:
    ```mlir
    %out = gpu.alloc (%n) : memref<?xf32>
    %blocks = arith.ceildivui %n, %c256 : index
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %blocks, ...)
               threads(%tx, %ty, %tz) in (%sx = %c256, ...) {
      %id = ... %bx * %sx + %tx
      scf.if %id < %n {
        %v = memref.load %in[%id] ...
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def GPUTileContractions : Pass<"dl-gpu-tile-contractions",
                               "::mlir::func::FuncOp"> {
  let summary = "Compute contractions on the GPU in shared-memory tiles";
  let description = [{
    A bufferized linalg op `C[p] += A[a(p, r)] * B[b(p, r)]` in f32 (matmul,
    batched matmul, any transposes, a convolution read as an implicit GEMM)
    large enough for tiles (M, N >= 32 and K >= 16, dynamic sizes counting
    as 64) becomes a `gpu.launch` of the classic tiled GEMM, before
    `convert-linalg-to-parallel-loops` would make it a loop nest:
    - parallel dims that only A reads are rows (M), those only B reads are
      columns (N), those both read are the batch (grid z); reductions are K;
    - a block of 256 threads owns a 64 x 64 tile of C; for every 16 of K it
      stages A's and B's values in two `16 x 65` workgroup buffers (4 loads
      per thread each, 0 outside the bounds), `gpu.barrier`, and each thread
      adds its 4 x 4 products into registers (`scf.for` iter_args), then
      `gpu.barrier` again;
    - C's initial value is kept: each thread adds its outputs to C; a
      `linalg.fill` of C just before is folded in (the sums are added to the
      fill's value, C is not read, the fill goes away); with few tiles and a
      long K the grid also splits K (up to 264 blocks, at least 256 of K
      each), the blocks add with `memref.atomic_rmw addf`, and the fill
      stays;
    - unsplit, an elementwise `linalg.generic` after it that reads C where
      the contraction writes it (identity map), writes its outputs there and
      touches nothing the tiles read (a bias add, an activation) runs on
      each final value in the thread's registers; ops on other buffers may
      lie between if it can move above them; C is stored (and allocated)
      only if something else reads it.
    Ops that do not match are left to `dl-gpu-map-kernels`, which leaves
    these launches alone. With `matmul=tf32` the products run on the tensor
    cores: `16 x 72` buffers, warp w owning rows 16 (w % 4) and columns
    32 (w / 4) of the tile as four m16n8 tiles, per 8 of K an A fragment and
    four B fragments read in the PTX ISA's mma.m16n8k8 .tf32 layout and four
    `nvgpu.mma.sync` on the values rounded to TF32 (to nearest: 0x1000 added,
    the 13 low bits cleared); `matmul=3xtf32` splits each value into hi (13
    low mantissa bits cleared) and lo = x - hi rounded to TF32 and adds
    lo*hi, hi*lo and hi*hi (about f32's accuracy).

    Before:
    ```mlir
    linalg.matmul ins(%a, %b : memref<?x784xf32>, memref<784x128xf32>)
                  outs(%c : memref<?x128xf32>)
    ```
    After:
    ```mlir
    gpu.launch blocks(...) in (%gx = %n_tiles, %gy = %m_tiles, %gz = %splits)
               threads(...) in (%sx = %c256, %sy = %c1, %sz = %c1)
               workgroup(%as : memref<16x65xf32, #gpu.address_space<workgroup>>,
                         %bs : memref<16x65xf32, #gpu.address_space<workgroup>>) {
      %acc:16 = scf.for %k0 = %begin to %end step %c16 iter_args(...) {
        ... memref.store %a_value, %as[%kk, %m] ...   // 4 per thread
        gpu.barrier
        %sums:16 = scf.for %kk = %c0 to %c16 step %c1 iter_args(...) { ... }
        gpu.barrier
      }
      ... C[...] += %acc#i ...
    }
    ```
  }];
  let options = [
    Option<"matmul", "matmul", "std::string", /*default=*/"\"fp32\"",
           "How tiles multiply: fp32 (CUDA cores), tf32 (tensor cores, "
           "nvgpu.mma.sync m16n8k8 on TF32 inputs) or 3xtf32 (tensor cores, "
           "each product as three TF32 products: about f32's accuracy)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::vector::VectorDialect"];
}

def GPUEmulate : Pass<"dl-gpu-emulate", "::mlir::ModuleOp"> {
  let summary = "Run GPU kernels on the CPU with CUDA's semantics (for tests)";
  let description = [{
    The test target `cuda-emulator`: the kernels that `dl-gpu-map-kernels` and
    `dl-gpu-tile-contractions` make (which thread touches what, where blocks
    synchronise, how warps combine partial sums) run on the CPU, so that
    `dlc compare-targets --target cuda-emulator` checks them against the CPU
    target on machines without a GPU. Runs instead of outlining and NVVM:
    - every `gpu.launch` becomes `scf.for` loops over its blocks (blocks are
      independent, any order is one a GPU could take);
    - within a block the threads run as an `scf.for` between every two
      barriers (barrier fission: every thread reaches a barrier before any
      goes on). A value used across a barrier is kept per thread in a
      `memref<?xT>` of blockDim elements; an `scf.for` with barriers inside
      runs once for all threads (thread 0's bounds: CUDA requires them
      uniform) around its fissioned body, its iteration arguments in such
      arrays; a barrier inside another region op is refused;
    - a `xor` or `down` shuffle writes its value to a per-block buffer at the
      thread's index, `gpu.barrier`, reads the source lane's, `gpu.barrier`
      (the whole block must reach it, as the kernels here guarantee);
    - an `nvgpu.mma.sync` m16n8k8 on TF32 (dl-gpu-tile-contractions'
      tensor-core tiles) writes each lane's A and B fragment values (their
      13 low mantissa bits cleared: a no-op for the TF32 values the tiles
      give it; other bits are read as truncated) to
      per-thread arrays, `gpu.barrier`, each lane sums its four
      accumulators from the warp's values in the PTX ISA's fragment layout,
      `gpu.barrier`;
    - workgroup attributions become host buffers;
    - `gpu.alloc`/`dealloc`/`memcpy` become `memref.alloc`/`dealloc`/`copy`.
    One schedule of the threads hides a barrier missing at the end of a loop
    body (every thread ends an iteration before any starts the next): a
    loop whose code after its last barrier and before its first touch the
    same workgroup buffer, one writing, is refused with an error.

    Before:
    ```mlir
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
      ... gpu.barrier ...
    }
    ```
    After:
    ```mlir
    scf.for %z = %c0 to %c1 step %c1 { scf.for %y ... { scf.for %x = %c0 to %n ... {
      scf.for %t = %c0 to %c256 step %c1 { ...before the barrier... }
      scf.for %t = %c0 to %c256 step %c1 { ...after it... }
    }}}
    ```
  }];
  let options = [
    Option<"reverse", "reverse", "bool", /*default=*/"false",
           "Run the blocks and, between barriers, the threads last to first: "
           "a result that changes with the order (beyond the rounding of "
           "atomic adds) shows a race through global memory">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def GPUMergeKernelModules : Pass<"dl-gpu-merge-kernel-modules",
                                 "::mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module with PTX-safe names";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel, named after the
    host function (`loss.step_kernel_3`). PTX identifiers cannot contain '.',
    and every module would be a separate ptxas run and module load. This pass
    moves all kernels into one module, `dl_kernels`, renames them to letters,
    digits and '_' (unique) followed by `_at<line>_<col>` of the DL source
    they compute where the location has one (profiles and Nsight then point
    at the model), and updates every `gpu.launch_func`.

    Before:
    ```mlir
    gpu.module @loss.step_kernel { gpu.func @loss.step_kernel(...) kernel {...} }
    gpu.launch_func @loss.step_kernel::@loss.step_kernel ...
    ```
    After:
    ```mlir
    gpu.module @dl_kernels { gpu.func @loss_step_kernel(...) kernel {...} }
    gpu.launch_func @dl_kernels::@loss_step_kernel ...
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUFoldTransposes : Pass<"dl-gpu-fold-transposes"> {
  let summary = "Read the operands of linalg ops through transposed maps "
                "instead of transposed copies";
  let description = [{
    A `linalg.transpose` feeding a linalg op is a copy made only so that the
    consumer reads its operand in another order: on the GPU, a launch of its
    own and a pass over memory (tiny_gpt: a Linear layer's `x @ W^T` over a
    batch of sequences, attention's heads split out of the sequence
    dimension, `k^T`). Runs on the GPU target after `dl-fuse-planned`: every
    linalg op taking a transpose's result as an input (named ops are
    generalized, keeping their kernel) reads the transpose's source instead,
    through its indexing map composed with the permutation; a transpose
    left without uses goes. First, though, a transpose whose source is a
    linalg op's result that nothing else uses (attention's heads merged back
    before a reshape, which cannot read through a map; a weight's gradient
    coming transposed out of its matmul, whose consumer, the optimizer's
    update, must read its operands alike to join the other updates in one
    launch) goes the other way: the op writes the transposed layout itself,
    into the transpose's empty tensor (or a fill of it, where the op
    accumulates into a fill), through its output map composed with the
    permutation, and the consumers stay as they were. Other uses (a
    returned value) keep it. The CPU pipeline keeps its transposes (its vectoriser wants
    contiguous operands).

    Before:
    ```mlir
    %t = linalg.transpose ins(%w : tensor<192x64xf32>)
                          outs(%e : tensor<64x192xf32>) permutation = [1, 0]
    linalg.generic {indexing_maps = [(b, t, k, n) -> (b, t, k),
                                     (b, t, k, n) -> (k, n), ...]}
      ins(%x, %t : ...) ...
    ```
    After:
    ```mlir
    linalg.generic {indexing_maps = [(b, t, k, n) -> (b, t, k),
                                     (b, t, k, n) -> (n, k), ...]}
      ins(%x, %w : ...) ...
    ```
  }];
}

def GPUFoldConstantInputs : Pass<"dl-gpu-fold-constant-inputs"> {
  let summary = "Read the splat constant inputs of linalg.generic ops as "
                "scalar constants";
  let description = [{
    A `linalg.generic` input defined by a splat constant (a layer norm's
    epsilon, attention's scale, a mean's `1/n`, `-inf` as a maximum's start:
    `arith.constant dense<v> : tensor<f32>`, or a splat of any shape) reads
    one value everywhere. Bufferized, it would be a global: on the GPU a
    device copy made and freed at every call (a 4-byte copy from pageable
    host memory), a kernel argument and a load per iteration, and a
    broadcast of it a kernel reading it rather than a fill of a constant
    (which `dl-gpu-merge-fills` merges). Runs on the GPU target after
    `dl-fuse-planned`: the input's block argument becomes an
    `arith.constant` scalar and the input and its indexing map go; the op
    is otherwise unchanged (its fusion plan's attributes kept).

    Before:
    ```mlir
    %eps = arith.constant dense<1.0e-05> : tensor<f32>
    linalg.generic {indexing_maps = [(i, j) -> (i, j), (i, j) -> (), ...]}
      ins(%var, %eps : tensor<?x32xf32>, tensor<f32>) ... {
    ^bb0(%v: f32, %e: f32, %o: f32):
      %s = arith.addf %v, %e : f32
    ```
    After:
    ```mlir
    %e = arith.constant 1.0e-05 : f32
    linalg.generic {indexing_maps = [(i, j) -> (i, j), ...]}
      ins(%var : tensor<?x32xf32>) ... {
    ^bb0(%v: f32, %o: f32):
      %s = arith.addf %v, %e : f32
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def GPULoopOrder : Pass<"dl-gpu-loop-order"> {
  let summary = "Put the parallel dimensions of linalg ops before their reductions";
  let description = [{
    `convert-linalg-to-parallel-loops` makes `scf.parallel` of the outermost
    run of parallel dimensions only. A reduction dimension that comes first
    (a bias gradient summing over the batch, with the batch outermost) would
    leave a sequential nest for one GPU thread. This pass interchanges every
    linalg op with reductions so that all parallel dimensions come first,
    keeping the relative order of each kind (named ops are generalized when
    they need it), so that `dl-gpu-map-kernels` gets one parallel loop over
    the outputs with the reduction inside.

    First, a generic whose output indexing map is injective over the
    iteration domain (each dimension in one result; within a result, terms
    `coefficient * dim` whose coefficients exceed what the smaller terms
    reach together) writes every element once: its reductions are none, and
    all its dimensions become parallel. A max-pooling gradient with
    non-overlapping windows (`dx[n, c, 2 oh + kh, 2 ow + kw]`) then runs a
    thread per window position instead of a thread per (n, c) plane.

    Before:
    ```mlir
    linalg.generic {indexing_maps = [(n, c) -> (n, c), (n, c) -> (c)],
                    iterator_types = ["reduction", "parallel"]} ...
    ```
    After:
    ```mlir
    linalg.generic {indexing_maps = [(c, n) -> (n, c), (c, n) -> (c)],
                    iterator_types = ["parallel", "reduction"]} ...
    ```
  }];
}

def FoldUnitReshapes : Pass<"dl-fold-unit-reshapes", "::mlir::func::FuncOp"> {
  let summary = "Move reshapes of unit dimensions out of the way of fusion";
  let description = [{
    Runs before `dl-plan-fusion`. A reduction with keepdims is lowered as a
    reduction followed by `tensor.expand_shape` (re-inserting the unit
    dimensions), and a consumer that broadcasts it collapses them again, so
    an elementwise op over the expanded value sits between two reshapes,
    which fusion does not look through. This pass collapses the unit
    dimensions of such elementwise `linalg.generic` ops (linalg's
    reshape-by-collapsing propagation, limited to reshapes that only add or
    drop static unit dimensions and to ops without reductions), so the
    expand_shape moves below the op and folds with the consumer's
    collapse_shape.

    Before (cross-entropy's log of the row sums):
    ```mlir
    %e = tensor.expand_shape %sum [[0, 1]] : tensor<?xf32> into tensor<?x1xf32>
    %l = linalg.generic ... ins(%e : tensor<?x1xf32>) { math.log }
    %c = tensor.collapse_shape %l [[0, 1]] : tensor<?x1xf32> into tensor<?xf32>
    ```
    After:
    ```mlir
    %l = linalg.generic ... ins(%sum : tensor<?xf32>) { math.log }
    ```
    (uses of %c now read %l).
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def PlanFusion : Pass<"dl-plan-fusion", "::mlir::func::FuncOp"> {
  let summary = "Decide which linalg ops on tensors become one kernel and record it on each op";
  let description = [{
    The fusion planner. Every linalg op of the function gets `dl.kernel = N`
    (an `i64`): ops with the same number are planned as one kernel (one loop
    nest on the CPU, one launch on the GPU), which `dl-fuse-planned` then
    carries out. Reductions (`linalg.reduce`) are first written as
    `linalg.generic`, the form fusion works on. A producer is fused into a
    consumer when (the rule is `dlc::fusion::decideFusion`, shared with the
    fuser and the fusion report):
    - the producer is an elementwise `linalg.generic` (all loops parallel)
      and so is the consumer, or the consumer is a reduction that reads each
      produced element once (softmax's `exp` into its sum, cross-entropy's
      `one_hot * log_softmax` into the row sum);
    - the producer has no other user (it would be computed once per
      consumer); a cheap producer (at most 8 `arith` ops, no division or
      math function, at most one operand of its own size) read by up to 4
      ops that could each take it is first copied, one copy per consumer,
      so each fuses its own;
    - the consumer does not read it through a window or more than once per
      element (a contraction's operand), nor, if the producer computes a
      math function, through a broadcast more than 16 times per element;
    - linalg's elementwise fusion can merge the two loop nests.
    Then epilogues (`dlc::fusion::decideEpilogue`): a contraction or
    convolution with a product in its body gets its first elementwise
    consumer, with that consumer's kernel, if the kernel is elementwise over
    the output (identity maps, no reduction, no other contraction), reads
    nothing computed after the product, and reads no other operand of the
    output's size. Such a
    pair keeps one number but stays two ops; `dl-cpu-vectorize` computes the
    epilogue per register block of the output. And prologues
    (`dlc::fusion::decidePrologue`): the producer of such an op's initial
    value, if it is a kernel of its own, a fill or an elementwise op that
    reads nothing of the output's size (a zero fill, a broadcast bias) and
    has no other reader, joins its kernel as well (three ops at most: the
    prologue, the product, the epilogue); `dl-cpu-vectorize` writes it into
    each register block right before the block's reduction.
    `epilogues=false` (the GPU pipeline) plans neither.
    Last, horizontal kernels (`dlc::fusion::whyNotHorizontal`): the
    kernels that are elementwise (not scalars), read static shapes with
    identity maps (scalars aside) and whose results are only returned (the
    optimizer's update of each parameter) are independent of each other;
    two or more of them become one horizontal kernel, `dl.horizontal = H`
    (the first one's number) on each of their ops, which
    `dl-merge-horizontal` runs as one loop over chunks of all of them (one
    launch on the GPU). `horizontal=false` plans none.
    Everything else stays a kernel of its own; the fusion report explains
    each such boundary. With `fuse=false` every op is its own kernel. A plan
    already in the IR is kept: if any op of a function carries `dl.kernel`,
    the function is not re-planned (ops without one get fresh numbers), so a
    user can edit the plan (`dl-opt`) and have it obeyed.

    After (bias + ReLU, planned into one kernel):
    ```mlir
    %0 = linalg.generic ... {dl.kernel = 3 : i64} // x + b
    %1 = linalg.generic ins(%0 ...) ... {dl.kernel = 3 : i64} // max(., 0)
    ```
  }];
  let options = [
    Option<"fuse", "fuse", "bool", /*default=*/"true",
           "Plan fusions (false: every op is a kernel of its own)">,
    Option<"epilogues", "epilogues", "bool", /*default=*/"true",
           "Plan elementwise consumers of contractions and convolutions as "
           "their epilogues and the producers of their initial values as "
           "their prologues (a CPU code-generation decision)">,
    Option<"horizontal", "horizontal", "bool", /*default=*/"true",
           "Plan the independent elementwise kernels whose results are only "
           "returned (the optimizer's updates) as one horizontal kernel "
           "(carried out by dl-merge-horizontal)">,
  ];
}

def FusePlanned : Pass<"dl-fuse-planned", "::mlir::func::FuncOp"> {
  let summary = "Fuse the linalg ops that the plan puts into one kernel";
  let description = [{
    Carries out the plan of `dl-plan-fusion`: a `linalg.generic` producer is
    fused into its consumer (linalg's elementwise fusion) exactly when both
    carry the same `dl.kernel`. The fused op keeps the number and lists what
    it was made of in `dl.members` (each member's op, body and source
    positions), which the fusion report prints. Ops with different numbers
    are never fused, even where fusion would be legal. A contraction and its
    planned epilogue (`dlc::fusion::decideEpilogue`) stay two ops; when
    nothing else reads the contraction's result, the epilogue writes over
    it (one buffer after bufferization). A plan that cannot be
    carried out is an error naming the kernel and the reason: two ops in one
    kernel where fusion is not legal, or planned ops that no producer and
    consumer chain links into one op.
  }];
}

def FusionReport : Pass<"dl-fusion-report", "::mlir::ModuleOp"> {
  let summary = "Print every kernel, what it computes, and why fusion stopped at its inputs";
  let description = [{
    A printing analysis of linalg on tensors after fusion (`dlc FILE.dl
    --emit=fusion-report`). Every linalg op is one kernel: one loop nest on
    the CPU, one launch on the GPU. For each function and kernel it prints the
    op and its iteration space, the source positions (`line:col`) of the DL
    expressions the kernel computes (the locations of the op and its body,
    which lowering and fusion keep), the scalar operations of its body, and
    for each input computed by another kernel the reason the two are separate:
    an accumulator's initial value, a data-movement op in between (pad,
    reshape, slice), a producer that is a reduction, a consumer that is a
    contraction/convolution/reduction, or a producer feeding several kernels.
    The IR is unchanged.

    Output for `relu(x @ transpose(w) + b)`:
    ```
    @f: 3 kernels
      #1 fill
         source: 3:12
      #2 matmul [2 parallel, 1 reduction]
         source: 3:12
         body: arith.mulf arith.addf
         <- #1 (initial value): the consumer accumulates into it ...
      #3 generic [2 parallel]
         source: 3:10 3:26
         body: arith.addf arith.maximumf
         <- #2: the producer is a reduction: ...
    ```
  }];
}

def CPUOutlineKernels : Pass<"dl-cpu-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Move every top-level loop nest into a noinline function of its own";
  let description = [{
    A training step is one function holding every kernel of the forward pass,
    the backward pass and the optimizer. LLVM's function passes grow faster
    than linearly with function size (a 64-layer MLP's step took 73 s to
    compile, 3x the 32-layer one). Each top-level `scf.for`/`scf.parallel` nest
    becomes a private function `<fn>.kernel<k>` marked `noinline` (LLVM
    `passthrough`), called where the nest was, with the constants it uses
    cloned inside (so LLVM still folds them). Identical kernels (the forward
    pass appears in `forward`, `loss`, the training step and the accuracy)
    are kept once, compared op by op ignoring locations. Compilation becomes
    linear in the number of distinct kernels. Runs after the linalg ops
    became loops.

    Before:
    ```mlir
    func.func @step(%a: memref<?xf32>, %n: index) {
      scf.for %i = %c0 to %n step %c1 { ... memref.store %cst, %a[%i] ... }
      return
    }
    ```
    After:
    ```mlir
    func.func @step(%a: memref<?xf32>, %n: index) {
      call @step.kernel0(%n, %a) : (index, memref<?xf32>) -> ()
      return
    }
    func.func private @step.kernel0(%n: index, %a: memref<?xf32>)
        attributes {passthrough = ["noinline"]} {
      %cst = arith.constant ...
      scf.for %i = %c0 to %n step %c1 { ... }
      return
    }
    ```
  }];
  let options = [
    Option<"profile", "profile", "bool", /*default=*/"false",
           "Time every kernel call: `dlrt_profile_clock()` before it, "
           "`dlrt_profile_kernel(name, start)` after it, with `name` a "
           "constant string naming the call site, the kernel, its source "
           "positions and whether it is vectorised (runtime/include/dlrt/"
           "Profile.h sums them)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::scf::SCFDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

#endif // DL_CONVERSION_PASSES_TD
