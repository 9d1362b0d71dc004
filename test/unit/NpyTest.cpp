//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
#include "dlrt/Npy.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace dlrt;

namespace {

Tensor iota(DType dtype, Shape shape) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (dtype) {
    case DType::F32:
      t.data<float>()[i] = 0.5f * i;
      break;
    case DType::F64:
      t.data<double>()[i] = -0.25 * i;
      break;
    case DType::I32:
      t.data<int32_t>()[i] = 3 * i - 7;
      break;
    case DType::I64:
      t.data<int64_t>()[i] = (int64_t(1) << 40) + i;
      break;
    case DType::Bool:
      t.data<uint8_t>()[i] = i % 3 == 0;
      break;
    }
  }
  return t;
}

TEST(Npy, RoundTripsEveryDtypeAndRank) {
  for (DType dtype :
       {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool}) {
    for (Shape shape :
         {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 4}, Shape{0, 3}}) {
      Tensor t = iota(dtype, shape);
      std::string bytes = serializeNpy(t);
      EXPECT_EQ(bytes.size() % 64, t.byteSize() % 64) << "payload not aligned";
      Expected<Tensor> back = parseNpy(bytes, "mem.npy");
      ASSERT_TRUE(back.ok()) << back.message();
      EXPECT_EQ(back->dtype(), dtype);
      EXPECT_EQ(back->shape(), shape);
      EXPECT_EQ(0, std::memcmp(back->rawData(), t.rawData(), t.byteSize()));
    }
  }
}

TEST(Npy, WritesAndReadsFiles) {
  dlctest::TempDir dir;
  Tensor t = iota(DType::F32, {3, 4});
  ASSERT_TRUE(writeNpy(dir.file("a.npy"), t).ok());
  Expected<Tensor> back = readNpy(dir.file("a.npy"));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back->data<float>()[11], 5.5f);
}

std::string header(const std::string &dict) {
  std::string h = dict;
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(h.size() & 0xff);
  out += char(h.size() >> 8);
  return out + h;
}

void expectError(const std::string &bytes, const std::string &what) {
  Expected<Tensor> t = parseNpy(bytes, "bad.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("bad.npy: byte "), std::string::npos)
      << t.message();
  EXPECT_NE(t.message().find(what), std::string::npos) << t.message();
}

TEST(Npy, RejectsMalformedFiles) {
  expectError("not an npy file at all", "bad magic");
  expectError(std::string("\x93NUMPY\x01\x00\xff\x7f", 10),
              "runs past the end");
  expectError(
      header("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }"),
      "unsupported dtype '<f2'");
  expectError(
      header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"),
      "unsupported dtype '>f4'");
  expectError(
      header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }") +
          std::string(8, '\0'),
      "Fortran-order");
  expectError(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") +
          std::string(20, '\0'),
      "payload is 20 bytes but shape [2, 3] of f32 needs 24");
  expectError(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }") +
          std::string(12, '\0'),
      "payload is 12 bytes");
  expectError(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }"),
      "malformed 'shape'");
  expectError(header("{'descr': '<f4', 'fortran_order': False, }"),
              "header has no 'shape'");
  // A shape whose element count overflows must be rejected, not allocated.
  expectError(header("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (4294967296, 4294967296), }"),
              "too large");
}

TEST(Npy, MissingFileNamesThePath) {
  Expected<Tensor> t = readNpy("/nonexistent/x.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.message(),
            "cannot open '/nonexistent/x.npy': No such file or directory");
}

} // namespace
