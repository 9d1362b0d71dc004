//===- OpsTest.cpp - every builtin against a naive C++ reference ----------===//
//
// Each test compiles a one-line DL function, runs it on seeded inputs and
// compares with loops written here in double precision. Tolerances, with
// u = 2^-24 (float unit roundoff):
//  - exact ops (reshape, transpose, max/min, max-pool, relu, abs, one_hot):
//    bit-exact;
//  - one libm call or a short formula (exp, log, tanh, sigmoid, gelu, pow):
//    |err| <= 8u|ref| + 1e-30 (libm's <= 2 ulp, plus the formula's own
//    roundings);
//  - sums of n terms in any order (reductions, conv, avg-pool, mse):
//    Higham's |err| <= gamma_n * sum|terms|, gamma_n = nu/(1-nu), plus the
//    final division's rounding;
//  - softmax / log_softmax / cross_entropy: exp, a sum of n terms, a log or a
//    division: |err| <= (n + 8)u in relative terms for softmax, and
//    (n + 8)u + 4u(|z| + |log S|) absolute for the log forms.
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

namespace {

const double u = std::ldexp(1.0, -24);
double gamma(int64_t n) { return n * u / (1 - n * u); }

dl::Module compile(const std::string &source,
                   const dl::CompilerOptions &options = {}) {
  dl::Compiler compiler(options);
  dl::CompileResult r = compiler.compileString(source, "ops.dl");
  EXPECT_TRUE(r.ok()) << r.errors();
  if (!r.ok())
    std::abort();
  return std::move(*r.module);
}

dl::Tensor run(const std::string &source, const std::vector<dl::Tensor> &in,
               const dl::CompilerOptions &options = {}) {
  dl::Module m = compile(source, options);
  auto r = m.call("f", in);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? *r : dl::Tensor();
}

/// Seeded values in [lo, hi), reproducible across machines.
dl::Tensor randn(dl::Shape shape, double lo = -2, double hi = 2, int seed = 1) {
  dl::Tensor t(dl::DType::F32, shape);
  uint64_t s = 0x9e3779b97f4a7c15ULL * (seed + 1);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    t.data<float>()[i] = float(lo + (hi - lo) * double(s >> 11) * 0x1.0p-53);
  }
  return t;
}

float at(const dl::Tensor &t, int64_t i) { return t.data<float>()[i]; }

/// Compares elementwise; `bound(i, ref)` is the allowed absolute error.
void expectWithin(const dl::Tensor &got, const std::vector<double> &ref,
                  const std::function<double(int64_t, double)> &bound) {
  ASSERT_EQ(got.numElements(), static_cast<int64_t>(ref.size()));
  for (size_t i = 0; i < ref.size(); ++i) {
    double g = at(got, i), r = ref[i];
    if (std::isnan(r)) {
      EXPECT_TRUE(std::isnan(g)) << "element " << i;
      continue;
    }
    if (std::isinf(r)) {
      EXPECT_EQ(g, r) << "element " << i;
      continue;
    }
    EXPECT_LE(std::fabs(g - r), bound(i, r))
        << "element " << i << ": got " << g << ", want " << r;
  }
}

void expectUlps(const dl::Tensor &got, const std::vector<double> &ref,
                double ulps = 8) {
  expectWithin(got, ref, [&](int64_t, double r) {
    return ulps * u * std::fabs(r) + 1e-30;
  });
}

std::vector<double> map(const dl::Tensor &x, double (*f)(double)) {
  std::vector<double> r;
  for (int64_t i = 0; i < x.numElements(); ++i)
    r.push_back(f(at(x, i)));
  return r;
}

/// Naive batched product: a [Bt, M, K] (or [M, K] shared) times b.
TEST(Ops, BatchedMatmul) {
  auto check = [](const std::string &src, dl::Shape as, dl::Shape bs,
                  bool bShared) {
    SCOPED_TRACE(src);
    dl::Tensor a = randn(as, -1, 1, 10), b = randn(bs, -1, 1, 11);
    dl::Tensor r = run(src, {a, b});
    int64_t K = as.back(), M = as[as.size() - 2], N = bs.back();
    int64_t batches = a.numElements() / (M * K);
    std::vector<double> ref, mags;
    for (int64_t t = 0; t < batches; ++t)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double acc = 0, mag = 0;
          for (int64_t k = 0; k < K; ++k) {
            double p = double(at(a, (t * M + i) * K + k)) *
                       at(b, ((bShared ? 0 : t) * K + k) * N + j);
            acc += p;
            mag += std::fabs(p);
          }
          ref.push_back(acc);
          mags.push_back(mag);
        }
    expectWithin(r, ref,
                 [&](int64_t i, double) { return gamma(K) * mags[i] + 1e-30; });
  };
  check("fn f(x: f32[B, T, 5], w: f32[5, 3]) -> f32[B, T, 3] { return x @ w; }",
        {2, 3, 5}, {5, 3}, true);
  check("fn f(q: f32[B, H, 4, 6], k: f32[B, H, 6, 4]) -> f32[B, H, 4, 4] { "
        "return matmul(q, k); }",
        {2, 3, 4, 6}, {2, 3, 6, 4}, false);
  check("fn f(a: f32[3, 2, 7], b: f32[3, 7, 5]) -> f32[3, 2, 5] { return a @ "
        "b; }",
        {3, 2, 7}, {3, 7, 5}, false);
}

/// dl-cpu-vectorize register-tiles products into 8 x 32 blocks (16-lane
/// hosts), peeling what the blocks do not cover: these shapes hit full
/// blocks, fewer rows than a block (1), a row remainder (a dynamic batch of
/// 69), a column remainder (100), a whole-row vector (16) and blocks too
/// narrow to vectorise (5), with x @ W^T and x @ W, on one thread and on two
/// (the outer block loop is an OpenMP loop). Each element is a sum of K
/// products: Higham's bound as for every sum here. x @ W^T with K = 1040 is
/// computed as dot products of rows (CPUDot.h): 5 chunks of k, rows in
/// blocks of 4 with one left over (69) or a single row (1), columns in
/// blocks of 4 (16, 100; 5 keeps the transposed copy).
// The CPU's register tiles on one and two threads, and the GPU target's
// shared-memory tiles (dl-gpu-tile-contractions, run by the emulator): N = 100
// and K = 1040 with M = 69 make partial 64 x 64 tiles and a grid split along
// K (blocks add atomically); M = 1 leaves most of a tile idle (below 32
// columns no tile is made). With tensor cores the kernels give mma.sync
// TF32 values: TF32 rounds each input to nearest (|x - x'| <= 2^-11 |x|),
// a product within (2^-10 + 2^-22) |ab|; 3xTF32 truncates x to hi (|x - hi|
// < 2^-10 |x|, x - hi exact) and rounds lo = x - hi (within 2^-11 |lo|),
// adds hi*hi + hi*lo + lo*hi: within 2^-21 + 2^-21 + 2^-20 = 2^-19 |ab|;
// all products of TF32 values are exact in f32, and the f32 sums of K (3K)
// such products add Higham's gamma. TF32 must also show: some tiled
// element is off by more than f32's bound alone (else the tensor-core path
// did not run).
TEST(Ops, TiledMatmulsMatchNaiveLoops) {
  struct Run {
    dl::Target target;
    unsigned threads;
    dl::GPUMatmul matmul;
  };
  for (Run run_ : {Run{dl::Target::CPU, 1, dl::GPUMatmul::FP32},
                   Run{dl::Target::CPU, 2, dl::GPUMatmul::FP32},
                   Run{dl::Target::CUDAEmulator, 1, dl::GPUMatmul::FP32},
                   Run{dl::Target::CUDAEmulator, 1, dl::GPUMatmul::TF32},
                   Run{dl::Target::CUDAEmulator, 1, dl::GPUMatmul::TF32x3}})
    for (int64_t M : {1, 69})
      for (int64_t N : {5, 16, 100})
        for (bool transposed : {false, true})
          for (int64_t K : {int64_t(37), int64_t(1040)}) {
            if (K != 37 && !transposed)
              continue;
            SCOPED_TRACE(
                testing::Message()
                << (run_.target == dl::Target::CPU ? "cpu" : "emulator") << " "
                << dl::gpuMatmulName(run_.matmul) << " threads " << run_.threads
                << " M " << M << " N " << N << " K " << K << " W^T "
                << transposed);
            dl::Tensor x = randn({M, K}, -1, 1, 12);
            dl::Shape ws = transposed ? dl::Shape{N, K} : dl::Shape{K, N};
            dl::Tensor w = randn(ws, -1, 1, 13);
            std::string ns = std::to_string(N), ks = std::to_string(K);
            std::string wType = transposed ? "f32[" + ns + ", " + ks + "]"
                                           : "f32[" + ks + ", " + ns + "]";
            std::string src =
                "fn f(x: f32[B, " + ks + "], w: " + wType + ") -> f32[B, " +
                ns + "] { return " +
                (transposed ? "x @ transpose(w, 0, 1)" : "x @ w") + "; }";
            dl::CompilerOptions options;
            options.threads = run_.threads;
            options.target = run_.target;
            options.gpuMatmul = run_.matmul;
            dl::Tensor r = run(src, {x, w}, options);
            std::vector<double> ref, mags;
            for (int64_t i = 0; i < M; ++i)
              for (int64_t j = 0; j < N; ++j) {
                double acc = 0, mag = 0;
                for (int64_t k = 0; k < K; ++k) {
                  double p = double(at(x, i * K + k)) *
                             at(w, transposed ? j * K + k : k * N + j);
                  acc += p;
                  mag += std::fabs(p);
                }
                ref.push_back(acc);
                mags.push_back(mag);
              }
            // B is dynamic: the tile pass assumes 64 rows, M = 1 is tiled.
            bool tiled = N >= 32;
            double perProduct = 0;
            int64_t terms = K;
            if (tiled && run_.matmul == dl::GPUMatmul::TF32)
              perProduct = 0x1p-10 + 0x1p-22;
            if (tiled && run_.matmul == dl::GPUMatmul::TF32x3) {
              perProduct = 0x1p-19;
              terms = 3 * K;
            }
            // The tensor cores' products' magnitudes exceed sum |ab| by at
            // most about 2^-10 relative: (1 + 2^-8) covers it.
            double sumFactor =
                perProduct == 0 ? gamma(K) : (1 + 0x1p-8) * gamma(terms);
            expectWithin(r, ref, [&](int64_t i, double) {
              return (perProduct + sumFactor) * mags[i] + 1e-30;
            });
            // (At K = 1040 f32's worst-case bound exceeds TF32's typical
            // error: only K = 37 can show it.)
            if (tiled && run_.matmul == dl::GPUMatmul::TF32 && K == 37) {
              double worst = 0;
              for (size_t i = 0; i < ref.size(); ++i)
                worst = std::max(worst, std::fabs(at(r, i) - ref[i]) /
                                            (gamma(K) * mags[i]));
              EXPECT_GT(worst, 1) << "no element shows TF32's rounding";
            }
          }
}

// An infinity in a tiled product's input gives infinities as in f32 with
// every --gpu-matmul (3xtf32's lo part of an infinity is 0, not inf - inf).
TEST(Ops, TiledMatmulsPropagateInfinity) {
  dl::Tensor x = randn({2, 40}, 0.5, 1, 14);
  dl::Tensor w = randn({40, 40}, 0.5, 1, 15);
  x.data<float>()[3] = std::numeric_limits<float>::infinity();
  for (dl::GPUMatmul matmul :
       {dl::GPUMatmul::FP32, dl::GPUMatmul::TF32, dl::GPUMatmul::TF32x3}) {
    SCOPED_TRACE(dl::gpuMatmulName(matmul));
    dl::CompilerOptions options;
    options.target = dl::Target::CUDAEmulator;
    options.gpuMatmul = matmul;
    dl::Tensor r =
        run("fn f(x: f32[B, 40], w: f32[40, 40]) -> f32[B, 40] { return x @ w; "
            "}",
            {x, w}, options);
    ASSERT_EQ(r.numElements(), 80);
    for (int64_t j = 0; j < 40; ++j) {
      EXPECT_EQ(at(r, j), std::numeric_limits<float>::infinity()) << j;
      EXPECT_TRUE(std::isfinite(at(r, 40 + j))) << j;
    }
  }
}

// Sums over every axis but the channel (a convolution's bias gradient, batch
// norm's statistics), on the vectorised "sum into few outputs" path: the
// pixel count is a multiple of the vector width (16 x 16), or leaves a
// remainder (14 x 14, 26 x 26) that is summed by scalar code inside the
// batch loop (the vector accumulator must not be carried past it), with and
// without the elementwise product fused into the sum.
TEST(Ops, ChannelSumsMatchNaiveLoops) {
  struct Case {
    int64_t n, c, h, w;
  };
  for (Case k : {Case{37, 8, 14, 14}, Case{5, 3, 26, 26}, Case{3, 4, 16, 16},
                 Case{1, 2, 3, 5}})
    for (bool product : {false, true})
      for (bool fusion : {true, false}) {
        SCOPED_TRACE(testing::Message()
                     << k.n << "x" << k.c << "x" << k.h << "x" << k.w
                     << (product ? " a*b" : " a") << " fusion " << fusion);
        dl::Tensor a = randn({k.n, k.c, k.h, k.w}, -2, 2, 21);
        dl::Tensor b = randn({k.n, k.c, k.h, k.w}, -2, 2, 22);
        std::string type = "f32[B, " + std::to_string(k.c) + ", " +
                           std::to_string(k.h) + ", " + std::to_string(k.w) +
                           "]";
        std::string src = "fn f(a: " + type + ", b: " + type + ") -> f32[" +
                          std::to_string(k.c) + "] { return sum(" +
                          (product ? "a * b" : "a") + ", axis=[0, 2, 3]); }";
        dl::CompilerOptions options;
        options.fusion = fusion;
        dl::Tensor r = run(src, {a, b}, options);
        std::vector<double> ref(k.c, 0), mags(k.c, 0);
        int64_t pixels = k.h * k.w;
        for (int64_t n = 0; n < k.n; ++n)
          for (int64_t ch = 0; ch < k.c; ++ch)
            for (int64_t p = 0; p < pixels; ++p) {
              int64_t i = (n * k.c + ch) * pixels + p;
              double v = product ? double(at(a, i)) * at(b, i) : at(a, i);
              ref[ch] += v;
              mags[ch] += std::fabs(v);
            }
        expectWithin(r, ref, [&](int64_t i, double) {
          return gamma(k.n * pixels + 1) * mags[i] + 1e-30;
        });
      }
}

TEST(Ops, ComparisonsWhereAndConversions) {
  dl::Tensor a = dl::Tensor::fromF32({2, 3}, {1, NAN, -2, 4, 0, 7});
  dl::Tensor b = dl::Tensor::fromF32({3}, {1, NAN, 3});
  const char *ops[] = {"<", "<=", ">", ">=", "==", "!="};
  for (int k = 0; k < 6; ++k) {
    SCOPED_TRACE(ops[k]);
    dl::Tensor r = run(std::string("fn f(a: f32[2, 3], b: f32[3]) -> f32[2, 3] "
                                   "{ return f32(a ") +
                           ops[k] + " b); }",
                       {a, b});
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        float x = at(a, i * 3 + j), y = at(b, j);
        bool want[] = {x<y, x <= y, x> y, x >= y, x == y, x != y};
        EXPECT_EQ(at(r, i * 3 + j), want[k] ? 1.0f : 0.0f) << i << "," << j;
      }
  }
  // where broadcasts all three operands; literals take the branch type.
  dl::Tensor w = run("fn f(a: f32[2, 3], b: f32[3]) -> f32[2, 3] { "
                     "return where(a > b, a, 0.0); }",
                     {a, b});
  for (int i = 0; i < 6; ++i) {
    float x = at(a, i), y = at(b, i % 3);
    EXPECT_EQ(at(w, i), x > y ? x : 0.0f) << i;
  }
  // Conversions: float -> int truncates toward zero; bool -> float is 0/1.
  dl::Tensor c = dl::Tensor::fromF32({4}, {2.9f, -2.9f, 0.0f, 1e3f});
  dl::Tensor ci = run("fn f(x: f32[4]) -> i64[4] { return i64(x); }", {c});
  EXPECT_EQ(std::vector<int64_t>(ci.data<int64_t>(), ci.data<int64_t>() + 4),
            (std::vector<int64_t>{2, -2, 0, 1000}));
  dl::Tensor cb = run("fn f(x: f32[4]) -> bool[4] { return bool(x); }", {c});
  EXPECT_EQ(std::vector<uint8_t>(cb.data<uint8_t>(), cb.data<uint8_t>() + 4),
            (std::vector<uint8_t>{1, 1, 0, 1}));
  dl::Tensor cd = run("fn f(x: f32[4]) -> f64[4] { return f64(x); }", {c});
  EXPECT_EQ(cd.data<double>()[0], double(2.9f));
}

TEST(Ops, ArgmaxKeepsTheFirstMaximumAndNaN) {
  dl::Tensor x = dl::Tensor::fromF32({4, 4}, {1, 5, 5, 2, //
                                              -INFINITY, -INFINITY, -INFINITY,
                                              -INFINITY, 0, NAN, 3, NAN, //
                                              -1, -3, -0.5f, -2});
  dl::Tensor r =
      run("fn f(x: f32[N, 4]) -> i64[N] { return argmax(x, axis=1); }", {x});
  EXPECT_EQ(std::vector<int64_t>(r.data<int64_t>(), r.data<int64_t>() + 4),
            (std::vector<int64_t>{1, 0, 1, 2}));
  dl::Tensor cols =
      run("fn f(x: f32[N, 4]) -> i64[4] { return argmax(x, 0); }",
          {dl::Tensor::fromF32({2, 4}, {1, 2, 3, 4, 4, 3, 3, 1})});
  EXPECT_EQ(
      std::vector<int64_t>(cols.data<int64_t>(), cols.data<int64_t>() + 4),
      (std::vector<int64_t>{1, 1, 0, 0}));
}

TEST(Ops, AccuracyCountsCorrectRows) {
  dl::Tensor logits = randn({7, 5}, -2, 2, 12);
  for (dl::DType type : {dl::DType::I64, dl::DType::I32}) {
    dl::Tensor labels(type, {7});
    int correct = 0;
    for (int i = 0; i < 7; ++i) {
      int best = 0;
      for (int j = 1; j < 5; ++j)
        if (at(logits, i * 5 + j) > at(logits, i * 5 + best))
          best = j;
      int y = i % 2 ? best : (best + 1) % 5;
      correct += y == best;
      if (type == dl::DType::I64)
        labels.data<int64_t>()[i] = y;
      else
        labels.data<int32_t>()[i] = y;
    }
    std::string t = type == dl::DType::I64 ? "i64" : "i32";
    dl::Tensor r = run("fn f(x: f32[N, 5], y: " + t +
                           "[N]) -> f32 { return "
                           "accuracy(x, y); }",
                       {logits, labels});
    EXPECT_EQ(at(r, 0), float(correct) / 7.0f) << t;
  }
}

TEST(Ops, SliceAndConcatAreExact) {
  dl::Tensor x = randn({2, 6});
  dl::Tensor s = run(
      "fn f(x: f32[B, 6]) -> f32[B, 3] { return slice(x, 1, -4, 5); }", {x});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ(at(s, i * 3 + j), at(x, i * 6 + 2 + j));
  dl::Tensor a = randn({2, 2}, -1, 1, 13), b = randn({2, 3}, -1, 1, 14);
  dl::Tensor c = run("fn f(a: f32[B, 2], b: f32[B, 3]) -> f32[B, 7] { "
                     "return concat([a, b, a], axis=1); }",
                     {a, b});
  for (int i = 0; i < 2; ++i) {
    std::vector<float> row = {at(a, i * 2),     at(a, i * 2 + 1), at(b, i * 3),
                              at(b, i * 3 + 1), at(b, i * 3 + 2), at(a, i * 2),
                              at(a, i * 2 + 1)};
    for (int j = 0; j < 7; ++j)
      EXPECT_EQ(at(c, i * 7 + j), row[j]) << i << "," << j;
  }
  dl::Tensor rows = run("fn f(a: f32[2, 2], b: f32[1, 2]) -> f32[3, 2] { "
                        "return concat([a, b]); }",
                        {a, randn({1, 2}, -1, 1, 15)});
  EXPECT_EQ(at(rows, 3), at(a, 3));
}

TEST(Ops, EmbeddingPicksRowsAndPoisonsOutOfRange) {
  dl::Tensor table = randn({5, 3});
  dl::Tensor ids(dl::DType::I64, {2, 2});
  int64_t idv[4] = {4, 0, 7, -1};
  for (int i = 0; i < 4; ++i)
    ids.data<int64_t>()[i] = idv[i];
  dl::Tensor r = run("fn f(ids: i64[B, 2], w: f32[5, 3]) -> f32[B, 2, 3] { "
                     "return embedding(ids, w); }",
                     {ids, table});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      if (idv[i] >= 0 && idv[i] < 5)
        EXPECT_EQ(at(r, i * 3 + j), at(table, idv[i] * 3 + j));
      else
        EXPECT_TRUE(std::isnan(at(r, i * 3 + j))) << "index " << idv[i];
    }
}

TEST(Ops, LayerNormMatchesTorchDefinition) {
  dl::Tensor x = randn({3, 2, 6}, -3, 3), w = randn({6}, 0.5, 1.5, 2),
             b = randn({6}, -1, 1, 3);
  dl::Tensor r =
      run("fn f(x: f32[B, 2, 6], w: f32[6], b: f32[6]) -> f32[B, 2, 6] { "
          "return layer_norm(x, w, b, eps=1e-5); }",
          {x, w, b});
  // mean, biased variance, (x - mean) / sqrt(var + eps) * w + b: sums of 6
  // terms and a handful of roundings; 64u relative to the O(1) values.
  for (int row = 0; row < 6; ++row) {
    double mean = 0, var = 0;
    for (int j = 0; j < 6; ++j)
      mean += at(x, row * 6 + j) / 6.0;
    for (int j = 0; j < 6; ++j)
      var += (at(x, row * 6 + j) - mean) * (at(x, row * 6 + j) - mean) / 6.0;
    for (int j = 0; j < 6; ++j) {
      double want =
          (at(x, row * 6 + j) - mean) / std::sqrt(var + 1e-5) * at(w, j) +
          at(b, j);
      EXPECT_NEAR(at(r, row * 6 + j), want, 64 * u * (1 + std::fabs(want)));
    }
  }
}

/// Naive self-attention, as torch.nn.MultiheadAttention computes it.
std::vector<double> mhaRef(const dl::Tensor &x, const dl::Tensor &inW,
                           const dl::Tensor &inB, const dl::Tensor &outW,
                           const dl::Tensor &outB, int64_t H, bool causal) {
  int64_t B = x.dim(0), T = x.dim(1), D = x.dim(2), hd = D / H;
  std::vector<double> qkv(B * T * 3 * D), o(B * T * D), out;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < 3 * D; ++j) {
        double acc = at(inB, j);
        for (int64_t i = 0; i < D; ++i)
          acc += double(at(x, (b * T + t) * D + i)) * at(inW, j * D + i);
        qkv[(b * T + t) * 3 * D + j] = acc;
      }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i) {
        std::vector<double> s(T, -INFINITY);
        double m = -INFINITY;
        for (int64_t j = 0; j < T; ++j) {
          if (causal && j > i)
            continue;
          double acc = 0;
          for (int64_t e = 0; e < hd; ++e)
            acc += qkv[(b * T + i) * 3 * D + h * hd + e] *
                   qkv[(b * T + j) * 3 * D + D + h * hd + e];
          s[j] = acc / std::sqrt(double(hd));
          m = std::max(m, s[j]);
        }
        double z = 0;
        for (double &v : s)
          z += (v = std::exp(v - m));
        for (int64_t e = 0; e < hd; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < T; ++j)
            acc += s[j] / z * qkv[(b * T + j) * 3 * D + 2 * D + h * hd + e];
          o[(b * T + i) * D + h * hd + e] = acc;
        }
      }
  for (int64_t bt = 0; bt < B * T; ++bt)
    for (int64_t k = 0; k < D; ++k) {
      double acc = at(outB, k);
      for (int64_t c = 0; c < D; ++c)
        acc += o[bt * D + c] * at(outW, k * D + c);
      out.push_back(acc);
    }
  return out;
}

TEST(Ops, MultiHeadAttentionMatchesNaiveLoops) {
  const int64_t B = 2, T = 5, D = 8, H = 2;
  dl::Tensor x = randn({B, T, D}, -1, 1, 20),
             inW = randn({3 * D, D}, -0.5, 0.5, 21),
             inB = randn({3 * D}, -0.1, 0.1, 22),
             outW = randn({D, D}, -0.5, 0.5, 23),
             outB = randn({D}, -0.1, 0.1, 24);
  for (bool causal : {false, true}) {
    SCOPED_TRACE(causal ? "causal" : "full");
    dl::Tensor r = run(
        std::string("fn f(x: f32[N, 5, 8], a: f32[24, 8], b: f32[24], "
                    "c: f32[8, 8], d: f32[8]) -> f32[N, 5, 8] { return "
                    "multi_head_attention(x, a, b, c, d, heads=2, causal=") +
            (causal ? "true" : "false") + "); }",
        {x, inW, inB, outW, outB});
    std::vector<double> ref = mhaRef(x, inW, inB, outW, outB, H, causal);
    // Three chained sums of at most 8 terms, an exp and a division, on O(1)
    // values: 256u absolute is (3*8 + 16)u with a 6x margin.
    expectWithin(r, ref, [](int64_t, double) { return 256 * u; });
  }
}

TEST(Ops, UnaryMath) {
  dl::Tensor x = randn({3, 7}, -4, 4);
  dl::Tensor pos = randn({3, 7}, 0.01, 50, 2);
  const char *sig = "fn f(x: f32[3, 7]) -> f32[3, 7] { return ";
  auto src = [&](const std::string &body) { return sig + body + "; }"; };
  expectUlps(run(src("exp(x)"), {x}), map(x, std::exp));
  expectUlps(run(src("tanh(x)"), {x}), map(x, std::tanh));
  expectUlps(run(src("log(x)"), {pos}), map(pos, std::log));
  expectUlps(run(src("sqrt(x)"), {pos}), map(pos, std::sqrt));
  expectUlps(run(src("rsqrt(x)"), {pos}),
             map(pos, [](double v) { return 1 / std::sqrt(v); }));
  expectUlps(run(src("sigmoid(x)"), {x}),
             map(x, [](double v) { return 1 / (1 + std::exp(-v)); }));
  // GELU: 1 + erf(z) cancels for z << 0 (as in PyTorch's float formula),
  // so the error is absolute in x: erf's 1 ulp plus the addition's, times
  // x/2, i.e. <= 1.5u|x|; we allow 2u|x| on top of 8u|ref|.
  std::vector<double> gelu = map(
      x, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
  expectWithin(run(src("gelu(x)"), {x}), gelu, [&](int64_t i, double r) {
    return 8 * u * std::fabs(r) + 2 * u * std::fabs(at(x, i)) + 1e-30;
  });
  expectUlps(run(src("abs(x)"), {x}), map(x, std::fabs), 0);
  expectUlps(run(src("-x"), {x}), map(x, [](double v) { return -v; }), 0);
}

TEST(Ops, UnaryEdgeValues) {
  dl::Tensor x = dl::Tensor::fromF32(
      {6}, {0.0f, -1000.0f, 1000.0f, -88.0f, 90.0f, 1e-30f});
  const char *sig = "fn f(x: f32[6]) -> f32[6] { return ";
  // Sigmoid saturates to exactly 0 and 1 with no NaN.
  dl::Tensor s = run(std::string(sig) + "sigmoid(x); }", {x});
  EXPECT_EQ(at(s, 1), 0.0f);
  EXPECT_EQ(at(s, 2), 1.0f);
  expectUlps(s, map(x, [](double v) { return 1 / (1 + std::exp(-v)); }));
  dl::Tensor l = run(std::string(sig) + "log(x); }", {x});
  EXPECT_EQ(at(l, 0), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(at(l, 1)));
  dl::Tensor e = run(std::string(sig) + "exp(x); }", {x});
  EXPECT_EQ(at(e, 2), std::numeric_limits<float>::infinity());
  EXPECT_EQ(at(e, 1), 0.0f);
  dl::Tensor t = run(std::string(sig) + "tanh(x); }", {x});
  EXPECT_EQ(at(t, 1), -1.0f);
  EXPECT_EQ(at(t, 2), 1.0f);
}

TEST(Ops, PowBroadcastsSizeOneAxes) {
  dl::Tensor a = randn({3, 1}, 0.5, 3), b = randn({1, 4}, -2, 2, 3);
  dl::Tensor r = run("fn f(a: f32[3, 1], b: f32[1, 4]) -> f32[3, 4] { return "
                     "pow(a, b); }",
                     {a, b});
  std::vector<double> ref;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      ref.push_back(std::pow(double(at(a, i)), double(at(b, j))));
  expectUlps(r, ref);
}

/// Reference reduction over `axes` of a [2, 3, 5] tensor (row-major).
std::vector<double> reduceRef(const dl::Tensor &x, std::vector<int> axes,
                              const std::string &kind,
                              std::vector<double> *absSum = nullptr) {
  int dims[3] = {2, 3, 5};
  auto reduced = [&](int d) {
    return std::find(axes.begin(), axes.end(), d) != axes.end();
  };
  std::vector<double> out, mags;
  for (int i = 0; i < (reduced(0) ? 1 : dims[0]); ++i)
    for (int j = 0; j < (reduced(1) ? 1 : dims[1]); ++j)
      for (int k = 0; k < (reduced(2) ? 1 : dims[2]); ++k) {
        double acc = kind == "max" ? -INFINITY : kind == "min" ? INFINITY : 0;
        double mag = 0;
        int n = 0;
        for (int a = 0; a < dims[0]; ++a)
          for (int b = 0; b < dims[1]; ++b)
            for (int c = 0; c < dims[2]; ++c) {
              if ((!reduced(0) && a != i) || (!reduced(1) && b != j) ||
                  (!reduced(2) && c != k))
                continue;
              double v = at(x, (a * 3 + b) * 5 + c);
              ++n;
              mag += std::fabs(v);
              if (kind == "max")
                acc = std::max(acc, v);
              else if (kind == "min")
                acc = std::min(acc, v);
              else
                acc += v;
            }
        if (kind == "mean") {
          acc /= n;
          mag /= n;
        }
        out.push_back(acc);
        mags.push_back(mag);
      }
  if (absSum)
    *absSum = mags;
  return out;
}

TEST(Ops, Reductions) {
  dl::Tensor x = randn({2, 3, 5});
  struct Case {
    const char *call;
    const char *result;
    std::vector<int> axes;
    const char *kind;
  } cases[] = {
      {"sum(x)", "f32", {0, 1, 2}, "sum"},
      {"sum(x, axis=1)", "f32[2, 5]", {1}, "sum"},
      {"sum(x, axis=[0, 2], keepdims=true)", "f32[1, 3, 1]", {0, 2}, "sum"},
      {"mean(x, axis=-1)", "f32[2, 3]", {2}, "mean"},
      {"mean(x, [0, 1])", "f32[5]", {0, 1}, "mean"},
      {"max(x, axis=2, keepdims=true)", "f32[2, 3, 1]", {2}, "max"},
      {"max(x)", "f32", {0, 1, 2}, "max"},
      {"min(x, axis=0)", "f32[3, 5]", {0}, "min"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.call);
    std::vector<double> mags;
    std::vector<double> ref = reduceRef(x, c.axes, c.kind, &mags);
    dl::Tensor r = run(std::string("fn f(x: f32[2, 3, 5]) -> ") + c.result +
                           " { return " + c.call + "; }",
                       {x});
    int n = 1;
    for (int a : c.axes)
      n *= a == 0 ? 2 : a == 1 ? 3 : 5;
    expectWithin(r, ref, [&](int64_t i, double) {
      return std::string(c.kind) == "max" || std::string(c.kind) == "min"
                 ? 0.0
                 : gamma(n + 1) * mags[i] + 1e-30;
    });
  }
}

TEST(Ops, ReductionsWithSymbolicSizesAndNaN) {
  dl::Module m = compile("fn f(x: f32[B, 4]) -> f32[B] { return max(x, 1); }\n"
                         "fn g(x: f32[B, 4]) -> f32[4] { return mean(x, 0); }");
  dl::Tensor x = randn({3, 4});
  x.data<float>()[5] = NAN;
  auto r = m.call("f", {x});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isnan(at(*r, 1))) << "max must propagate NaN (torch.max)";
  EXPECT_EQ(at(*r, 0), std::max({at(x, 0), at(x, 1), at(x, 2), at(x, 3)}));
  auto g = m.call("g", {randn({5, 4})});
  ASSERT_TRUE(g.ok());
  dl::Tensor y = randn({5, 4});
  for (int j = 0; j < 4; ++j) {
    double s = 0, mag = 0;
    for (int i = 0; i < 5; ++i) {
      s += at(y, i * 4 + j);
      mag += std::fabs(at(y, i * 4 + j));
    }
    EXPECT_NEAR(at(*g, j), s / 5, gamma(6) * mag / 5 + 1e-30);
  }
}

TEST(Ops, IntegerSumIsExact) {
  dl::Tensor x(dl::DType::I64, {2, 3});
  for (int i = 0; i < 6; ++i)
    x.data<int64_t>()[i] = (int64_t(1) << 40) * (i - 2) + i;
  dl::Tensor r = run("fn f(x: i64[2, 3]) -> i64[3] { return sum(x, 0); }", {x});
  for (int j = 0; j < 3; ++j)
    EXPECT_EQ(r.data<int64_t>()[j],
              x.data<int64_t>()[j] + x.data<int64_t>()[3 + j]);
}

TEST(Ops, ReshapeFlattenTransposePermuteAreExact) {
  dl::Tensor x = randn({2, 3, 4});
  dl::Tensor r =
      run("fn f(x: f32[B, 3, 4]) -> f32[B, 12] { return flatten(x); }", {x});
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(at(r, i), at(x, i));
  r = run(
      "fn f(x: f32[B, 3, 4]) -> f32[4, B, 3] { return reshape(x, [4, B, 3]); }",
      {x});
  EXPECT_EQ(r.shape(), (dl::Shape{4, 2, 3}));
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(at(r, i), at(x, i));
  r = run(
      "fn f(x: f32[B, 3, 4]) -> f32[4, 3, B] { return permute(x, [2, 1, 0]); }",
      {x});
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c)
        EXPECT_EQ(at(r, (c * 3 + b) * 2 + a), at(x, (a * 3 + b) * 4 + c));
  r = run(
      "fn f(x: f32[B, 3, 4]) -> f32[B, 4, 3] { return transpose(x, 1, 2); }",
      {x});
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c)
        EXPECT_EQ(at(r, (a * 4 + c) * 3 + b), at(x, (a * 3 + b) * 4 + c));
}

/// Naive NCHW/FCHW convolution with zero padding; also returns sum|terms|.
std::vector<double> convRef(const dl::Tensor &x, const dl::Tensor &w,
                            const dl::Tensor *bias, int s, int p, int d, int g,
                            std::vector<double> &mags, dl::Shape &outShape) {
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  int64_t F = w.dim(0), Cg = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  int64_t OH = (H + 2 * p - d * (KH - 1) - 1) / s + 1;
  int64_t OW = (W + 2 * p - d * (KW - 1) - 1) / s + 1;
  outShape = {N, F, OH, OW};
  std::vector<double> out;
  mags.clear();
  int64_t Fg = F / g;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t f = 0; f < F; ++f)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = bias ? at(*bias, f) : 0, mag = std::fabs(acc);
          int64_t group = f / Fg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                int64_t ih = oh * s - p + kh * d, iw = ow * s - p + kw * d;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                  continue;
                int64_t ci = group * Cg + c;
                double t = double(at(x, ((n * C + ci) * H + ih) * W + iw)) *
                           at(w, ((f * Cg + c) * KH + kh) * KW + kw);
                acc += t;
                mag += std::fabs(t);
              }
          out.push_back(acc);
          mags.push_back(mag);
        }
  (void)C;
  return out;
}

TEST(Ops, Conv2dMatchesNaiveLoops) {
  struct Case {
    int64_t N, C, H, W, F, K;
    int s, p, d, g;
    bool bias;
  } cases[] = {
      {2, 3, 7, 5, 4, 3, 1, 1, 1, 1, true},   // 'same' padding, odd sizes
      {1, 2, 9, 7, 3, 3, 2, 1, 1, 1, true},   // stride 2 with padding
      {2, 2, 8, 8, 2, 3, 1, 0, 2, 1, false},  // dilation 2, no bias
      {1, 4, 6, 5, 6, 3, 2, 1, 1, 2, true},   // groups 2
      {3, 1, 5, 5, 2, 1, 1, 0, 1, 1, true},   // 1x1
      {2, 1, 28, 28, 8, 3, 1, 1, 1, 1, true}, // the seed CNN's first layer
      // Large enough for the GPU target's shared-memory tiles: rows (n, oh,
      // ow), 40 filters, K = 8 x 3 x 3; grouped, the group is a batch dim.
      {2, 8, 10, 10, 40, 3, 1, 1, 1, 1, true},
      {2, 64, 6, 6, 64, 3, 1, 1, 1, 2, false},
  };
  // The emulator also with tensor cores: bounds as in
  // TiledMatmulsMatchNaiveLoops (valid for the untiled cases too).
  for (auto [target, matmul] :
       {std::pair{dl::Target::CPU, dl::GPUMatmul::FP32},
        std::pair{dl::Target::CUDAEmulator, dl::GPUMatmul::FP32},
        std::pair{dl::Target::CUDAEmulator, dl::GPUMatmul::TF32},
        std::pair{dl::Target::CUDAEmulator, dl::GPUMatmul::TF32x3}})
    for (const Case &c : cases) {
      SCOPED_TRACE(testing::Message()
                   << (target == dl::Target::CPU ? "cpu " : "emulator ")
                   << dl::gpuMatmulName(matmul) << " N" << c.N << " C" << c.C
                   << " H" << c.H << " W" << c.W << " F" << c.F << " K" << c.K
                   << " s" << c.s << " p" << c.p << " d" << c.d << " g" << c.g);
      dl::Tensor x = randn({c.N, c.C, c.H, c.W}, -1, 1, 4);
      dl::Tensor w = randn({c.F, c.C / c.g, c.K, c.K}, -1, 1, 5);
      dl::Tensor b = randn({c.F}, -1, 1, 6);
      std::vector<double> mags;
      dl::Shape outShape;
      std::vector<double> ref = convRef(x, w, c.bias ? &b : nullptr, c.s, c.p,
                                        c.d, c.g, mags, outShape);
      auto dims = [](const dl::Shape &s, bool symbolicBatch) {
        std::string r = "f32[";
        for (size_t i = 0; i < s.size(); ++i)
          r += (i ? ", " : "") + (i == 0 && symbolicBatch
                                      ? std::string("N")
                                      : std::to_string(s[i]));
        return r + "]";
      };
      std::string src = "fn f(x: " + dims(x.shape(), true) +
                        ", w: " + dims(w.shape(), false) +
                        (c.bias ? ", b: " + dims(b.shape(), false) : "") +
                        ") -> " + dims(outShape, true) +
                        " { return conv2d(x, w" + (c.bias ? ", b" : "") +
                        ", stride=" + std::to_string(c.s) +
                        ", padding=" + std::to_string(c.p) +
                        ", dilation=" + std::to_string(c.d) +
                        ", groups=" + std::to_string(c.g) + "); }";
      std::vector<dl::Tensor> in = {x, w};
      if (c.bias)
        in.push_back(b);
      dl::CompilerOptions options;
      options.target = target;
      options.gpuMatmul = matmul;
      dl::Tensor r = run(src, in, options);
      ASSERT_EQ(r.shape(), outShape);
      int64_t terms = c.C / c.g * c.K * c.K + 1;
      double bound = gamma(terms);
      if (matmul == dl::GPUMatmul::TF32)
        bound = 0x1p-10 + 0x1p-22 + (1 + 0x1p-8) * gamma(terms);
      if (matmul == dl::GPUMatmul::TF32x3)
        bound = 0x1p-19 + (1 + 0x1p-8) * gamma(3 * terms);
      expectWithin(r, ref,
                   [&](int64_t i, double) { return bound * mags[i] + 1e-30; });
    }
}

TEST(Ops, PoolingMatchesNaiveLoops) {
  struct Case {
    int64_t H, W, k, s, p;
  } cases[] = {
      {7, 5, 2, 2, 0}, {8, 8, 2, 2, 0}, {7, 7, 3, 2, 1}, {6, 5, 3, 1, 1}};
  for (const Case &c : cases) {
    SCOPED_TRACE(testing::Message() << c.H << "x" << c.W << " k" << c.k << " s"
                                    << c.s << " p" << c.p);
    dl::Tensor x = randn({2, 3, c.H, c.W}, -3, 3, 7);
    int64_t OH = (c.H + 2 * c.p - c.k) / c.s + 1,
            OW = (c.W + 2 * c.p - c.k) / c.s + 1;
    std::vector<double> mx, av, mags;
    for (int64_t nc = 0; nc < 6; ++nc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double m = -INFINITY, sum = 0, mag = 0;
          for (int64_t i = 0; i < c.k; ++i)
            for (int64_t j = 0; j < c.k; ++j) {
              int64_t h = oh * c.s - c.p + i, w = ow * c.s - c.p + j;
              if (h < 0 || h >= c.H || w < 0 || w >= c.W)
                continue; // padding: -inf for max, 0 for the average
              double v = at(x, (nc * c.H + h) * c.W + w);
              m = std::max(m, v);
              sum += v;
              mag += std::fabs(v);
            }
          mx.push_back(m);
          av.push_back(sum / double(c.k * c.k)); // count_include_pad
          mags.push_back(mag / double(c.k * c.k));
        }
    std::string args = ", " + std::to_string(c.k) +
                       ", stride=" + std::to_string(c.s) +
                       ", padding=" + std::to_string(c.p);
    std::string sig = "fn f(x: f32[N, 3, " + std::to_string(c.H) + ", " +
                      std::to_string(c.W) + "]) -> f32[N, 3, " +
                      std::to_string(OH) + ", " + std::to_string(OW) +
                      "] { return ";
    expectWithin(run(sig + "max_pool2d(x" + args + "); }", {x}), mx,
                 [](int64_t, double) { return 0.0; });
    expectWithin(run(sig + "avg_pool2d(x" + args + "); }", {x}), av,
                 [&](int64_t i, double r) {
                   return gamma(c.k * c.k) * mags[i] + 2 * u * std::fabs(r) +
                          1e-30;
                 });
  }
}

/// Stable softmax / log-softmax rows in double.
void softmaxRef(const std::vector<double> &row, std::vector<double> &p,
                std::vector<double> &logp) {
  double m = *std::max_element(row.begin(), row.end()), s = 0;
  for (double v : row)
    s += std::exp(v - m);
  p.clear();
  logp.clear();
  for (double v : row) {
    p.push_back(std::exp(v - m) / s);
    logp.push_back(v - m - std::log(s));
  }
}

TEST(Ops, SoftmaxAndLogSoftmaxAreStable) {
  // Ordinary, huge, tiny and tied logits.
  std::vector<float> values = {0.5f,   -1.0f,  2.0f,   0.0f, //
                               1e4f,   -1e4f,  3e4f,   0.0f, //
                               -1e30f, -1e30f, -1e30f, 1.0f, //
                               3.0f,   3.0f,   3.0f,   3.0f};
  dl::Tensor x = dl::Tensor::fromF32({4, 4}, values);
  dl::Tensor p =
      run("fn f(x: f32[B, 4]) -> f32[B, 4] { return softmax(x); }", {x});
  dl::Tensor lp =
      run("fn f(x: f32[B, 4]) -> f32[B, 4] { return log_softmax(x, axis=1); }",
          {x});
  std::vector<double> refP, refLogP, zMags;
  for (int i = 0; i < 4; ++i) {
    std::vector<double> row(values.begin() + 4 * i, values.begin() + 4 * i + 4),
        rp, rl;
    softmaxRef(row, rp, rl);
    refP.insert(refP.end(), rp.begin(), rp.end());
    refLogP.insert(refLogP.end(), rl.begin(), rl.end());
    double m = *std::max_element(row.begin(), row.end());
    for (double v : row)
      zMags.push_back(std::fabs(v - m));
  }
  expectWithin(p, refP, [](int64_t, double r) { return 12 * u * r + 1e-30; });
  expectWithin(lp, refLogP, [&](int64_t i, double r) {
    return 12 * u + 4 * u * (zMags[i] + std::fabs(r)) + 1e-30;
  });
  // softmax over axis 0 of a column-structured input.
  dl::Tensor y = randn({3, 5});
  dl::Tensor q = run(
      "fn f(x: f32[3, 5]) -> f32[3, 5] { return softmax(x, axis=0); }", {y});
  for (int j = 0; j < 5; ++j) {
    std::vector<double> col, cp, cl;
    for (int i = 0; i < 3; ++i)
      col.push_back(at(y, i * 5 + j));
    softmaxRef(col, cp, cl);
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(at(q, i * 5 + j), cp[i], 11 * u * cp[i] + 1e-30);
  }
}

TEST(Ops, CrossEntropyMatchesTorchDefinition) {
  dl::Tensor logits = randn({5, 4}, -3, 3, 8);
  logits.data<float>()[0] = 1e4f; // a huge logit: no overflow
  logits.data<float>()[7] = -1e4f;
  for (dl::DType labelType : {dl::DType::I64, dl::DType::I32}) {
    dl::Tensor labels(labelType, {5});
    int64_t ys[5] = {0, 3, 1, 2, 3};
    for (int i = 0; i < 5; ++i) {
      if (labelType == dl::DType::I64)
        labels.data<int64_t>()[i] = ys[i];
      else
        labels.data<int32_t>()[i] = int32_t(ys[i]);
    }
    std::string t = labelType == dl::DType::I64 ? "i64" : "i32";
    dl::Tensor r = run("fn f(x: f32[N, 4], y: " + t +
                           "[N]) -> f32 { return "
                           "cross_entropy(x, y); }",
                       {logits, labels});
    double loss = 0, bound = 0;
    for (int i = 0; i < 5; ++i) {
      std::vector<double> row, p, lp;
      for (int j = 0; j < 4; ++j)
        row.push_back(at(logits, i * 4 + j));
      softmaxRef(row, p, lp);
      loss -= lp[ys[i]];
      double m = *std::max_element(row.begin(), row.end());
      bound +=
          12 * u + 4 * u * (std::fabs(row[ys[i]] - m) + std::fabs(lp[ys[i]]));
    }
    loss /= 5;
    bound = bound / 5 + gamma(6) * std::fabs(loss);
    EXPECT_NEAR(at(r, 0), loss, bound) << t;
  }
}

TEST(Ops, OneHotAndMse) {
  dl::Tensor y(dl::DType::I64, {4});
  int64_t ys[4] = {2, 0, 5, -1}; // 5 and -1 are out of range: all-zero rows
  for (int i = 0; i < 4; ++i)
    y.data<int64_t>()[i] = ys[i];
  dl::Tensor h =
      run("fn f(y: i64[N]) -> f32[N, 3] { return one_hot(y, 3); }", {y});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ(at(h, i * 3 + j), ys[i] == j ? 1.0f : 0.0f) << i << "," << j;
  dl::Tensor a = randn({3, 4}), b = randn({3, 4}, -1, 1, 9);
  dl::Tensor m = run(
      "fn f(a: f32[3, 4], b: f32[3, 4]) -> f32 { return mse(a, b); }", {a, b});
  double s = 0;
  for (int i = 0; i < 12; ++i)
    s += (double(at(a, i)) - at(b, i)) * (double(at(a, i)) - at(b, i));
  EXPECT_NEAR(at(m, 0), s / 12, (gamma(13) + 4 * u) * s / 12);
}

} // namespace
