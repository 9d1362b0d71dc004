//===- GPUTensorCores.cpp - a tile's products on the tensor cores ---------===//
#include "compiler/Conversion/GPUTensorCores.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using dlc::gpu::WarpTile;

namespace {
constexpr int64_t kWarp = 32;
// A warp's four m16n8 tiles side by side, four accumulators each: the
// thread's 16 outputs.
constexpr int64_t kTilesPerWarp = 4, kAccumulators = 4;
static_assert(kTilesPerWarp * kAccumulators ==
              dlc::gpu::kPerThread * dlc::gpu::kPerThread);
} // namespace

WarpTile::WarpTile(OpBuilder &b, Location loc, Value tid, bool split)
    : b(b), loc(loc), split(split) {
  Value warp = arith::DivUIOp::create(b, loc, tid, constant(kWarp));
  Value lane = arith::RemUIOp::create(b, loc, tid, constant(kWarp));
  Value g = arith::DivUIOp::create(b, loc, lane, constant(4));
  Value t = arith::RemUIOp::create(b, loc, lane, constant(4));
  Value rowBase = arith::MulIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, warp, constant(4)), constant(16));
  Value colBase = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, warp, constant(4)), constant(32));
  row = arith::AddIOp::create(b, loc, rowBase, g);
  col = arith::AddIOp::create(b, loc, colBase,
                              arith::MulIOp::create(b, loc, t, constant(2)));
  k = t;
  bCol = arith::AddIOp::create(b, loc, colBase, g);
}

void WarpTile::outputPositions(SmallVectorImpl<Value> &rows,
                               SmallVectorImpl<Value> &cols) {
  for (int64_t j = 0; j < kTilesPerWarp; ++j)
    for (int64_t r = 0; r < kAccumulators; ++r) {
      rows.push_back(arith::AddIOp::create(b, loc, row, constant(8 * (r / 2))));
      cols.push_back(
          arith::AddIOp::create(b, loc, col, constant(8 * j + r % 2)));
    }
}

Value WarpTile::constant(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

// The tensor cores are given only TF32 values: what they make of other bits
// is not ours to assume.
Value WarpTile::toTF32(Value x, bool round) {
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  if (round) // half an ulp of TF32 carries into the kept bits
    bits = arith::AddIOp::create(
        b, loc, bits, arith::ConstantIntOp::create(b, loc, i32, 0x1000));
  Value mask = arith::ConstantIntOp::create(b, loc, i32, 0xFFFFE000);
  return arith::BitcastOp::create(b, loc, b.getF32Type(),
                                  arith::AndIOp::create(b, loc, bits, mask));
}

// hi is truncated (x - hi is exact, and no hi is an infinity that x is
// not); lo is x - hi rounded, 0 where hi == x (an infinity is its own hi,
// inf - inf would be NaN).
std::pair<Value, Value> WarpTile::fragments(ArrayRef<Value> values,
                                            VectorType type) {
  SmallVector<Value> hi, lo;
  for (Value v : values) {
    if (!split) {
      hi.push_back(toTF32(v, /*round=*/true));
      continue;
    }
    Value h = toTF32(v, /*round=*/false);
    hi.push_back(h);
    Value same = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, h);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    lo.push_back(
        toTF32(arith::SelectOp::create(b, loc, same, zero,
                                       arith::SubFOp::create(b, loc, v, h)),
               /*round=*/true));
  }
  std::pair<Value, Value> result;
  result.first = vector::FromElementsOp::create(b, loc, type, hi);
  if (split)
    result.second = vector::FromElementsOp::create(b, loc, type, lo);
  return result;
}

SmallVector<Value> WarpTile::multiply(Value as, Value bs, ValueRange acc) {
  Type f32 = b.getF32Type();
  auto aType = VectorType::get({4, 1}, f32);
  auto bType = VectorType::get({2, 1}, f32);
  auto cType = VectorType::get({2, 2}, f32);
  SmallVector<Value> sums(acc.begin(), acc.end());
  for (int64_t k0 = 0; k0 < kTileK; k0 += 8) {
    // A[g][t], A[g + 8][t], A[g][t + 4], A[g + 8][t + 4].
    SmallVector<Value> av;
    for (int64_t i = 0; i < 4; ++i) {
      Value kk = arith::AddIOp::create(b, loc, k, constant(k0 + 4 * (i / 2)));
      Value m = arith::AddIOp::create(b, loc, row, constant(8 * (i % 2)));
      av.push_back(memref::LoadOp::create(b, loc, as, ValueRange{kk, m}));
    }
    auto [aHi, aLo] = fragments(av, aType);
    for (int64_t j = 0; j < kTilesPerWarp; ++j) {
      // B[t][g], B[t + 4][g] of m16n8 tile j.
      SmallVector<Value> bv;
      for (int64_t i = 0; i < 2; ++i) {
        Value kk = arith::AddIOp::create(b, loc, k, constant(k0 + 4 * i));
        Value n = arith::AddIOp::create(b, loc, bCol, constant(8 * j));
        bv.push_back(memref::LoadOp::create(b, loc, bs, ValueRange{kk, n}));
      }
      auto [bHi, bLo] = fragments(bv, bType);
      Value c = vector::FromElementsOp::create(
          b, loc, cType,
          ArrayRef<Value>(sums).slice(kAccumulators * j, kAccumulators));
      auto mma = [&](Value x, Value y) {
        c = nvgpu::MmaSyncOp::create(b, loc, x, y, c,
                                     ArrayRef<int64_t>{16, 8, 8},
                                     /*tf32Enabled=*/true);
      };
      if (split) {
        mma(aLo, bHi);
        mma(aHi, bLo);
      }
      mma(aHi, bHi);
      for (int64_t r = 0; r < kAccumulators; ++r)
        sums[kAccumulators * j + r] = vector::ExtractOp::create(
            b, loc, c, ArrayRef<int64_t>{r / 2, r % 2});
    }
  }
  return sums;
}
