//===- IdxTest.cpp - IDX files and the MNIST-format loader ----------------===//
#include "dlrt/Idx.h"
#include "TestUtil.h"
#include "dlrt/FileIO.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <sys/stat.h>

using namespace dlrt;

namespace {

std::string idx(const std::vector<uint32_t> &dims,
                const std::vector<uint8_t> &data, uint8_t type = 0x08) {
  std::string b = {0, 0, char(type), char(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8)
      b += char((d >> s) & 0xff);
  b.append(data.begin(), data.end());
  return b;
}

void writeGzip(const std::string &path, const std::string &bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), unsigned(bytes.size())),
            int(bytes.size()));
  gzclose(f);
}

TEST(Idx, LoadsAndNormalisesPlainAndGzipFiles) {
  dlctest::TempDir dir;
  std::vector<uint8_t> pixels = {0, 255, 51,  102, 0,   0,
                                 0, 0,   255, 255, 255, 255};
  ASSERT_TRUE(writeFileAtomic(dir.file("train-images-idx3-ubyte"),
                              idx({3, 2, 2}, pixels))
                  .ok());
  ASSERT_TRUE(
      writeFileAtomic(dir.file("train-labels-idx1-ubyte"), idx({3}, {7, 0, 9}))
          .ok());
  writeGzip(dir.file("t10k-images-idx3-ubyte.gz"), idx({3, 2, 2}, pixels));
  writeGzip(dir.file("t10k-labels-idx1-ubyte.gz"), idx({3}, {1, 2, 3}));
  for (const char *split : {"train", "t10k"}) {
    SCOPED_TRACE(split);
    auto set = loadMnistFormat(dir.file(""), split, 0.5, 0.5);
    ASSERT_TRUE(set.ok()) << set.message();
    EXPECT_EQ(set->images().shape(), (Shape{3, 1, 2, 2}));
    EXPECT_EQ(set->labels.shape(), (Shape{3}));
    // (x / 255 - 0.5) / 0.5: 0 -> -1, 255 -> 1, 51 -> -0.6.
    EXPECT_FLOAT_EQ(set->images().data<float>()[0], -1.0f);
    EXPECT_FLOAT_EQ(set->images().data<float>()[1], 1.0f);
    EXPECT_FLOAT_EQ(set->images().data<float>()[2], -0.6f);
  }
  auto t = loadMnistFormat(dir.file(""), "t10k", 0, 1);
  EXPECT_EQ(t->labels.data<int64_t>()[2], 3);
}

// 8-bit pixels stay bytes (a quarter of the memory of f32) and are
// normalised when rows are copied out, with the loader's own formula.
TEST(Idx, PixelsStayBytesUntilCopiedOut) {
  dlctest::TempDir dir;
  std::vector<uint8_t> pixels;
  for (int i = 0; i < 4 * 6; ++i)
    pixels.push_back(uint8_t(i * 11));
  ASSERT_TRUE(writeFileAtomic(dir.file("train-images-idx3-ubyte"),
                              idx({4, 2, 3}, pixels))
                  .ok());
  ASSERT_TRUE(writeFileAtomic(dir.file("train-labels-idx1-ubyte"),
                              idx({4}, {1, 2, 3, 4}))
                  .ok());
  auto set = loadMnistFormat(dir.file(""), "train", 0.25, 0.5);
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->size(), 4);
  EXPECT_EQ(set->pixelsPerImage(), 6);
  EXPECT_EQ(set->bytes.size() - set->byteOffset, pixels.size());
  EXPECT_TRUE(set->floats.empty());
  float rows[12];
  set->copyImages(2, 2, rows); // images 2 and 3
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(rows[i], float((pixels[12 + i] / 255.0 - 0.25) / 0.5)) << i;
}

void expectError(const std::string &bytes, const std::string &what) {
  auto t = parseIdxU8(bytes, "bad.idx");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("bad.idx: byte "), std::string::npos)
      << t.message();
  EXPECT_NE(t.message().find(what), std::string::npos) << t.message();
}

TEST(Idx, RejectsMalformedFiles) {
  expectError("ab", "too short");
  expectError(idx({2}, {1, 2}).replace(0, 1, "\x01"), "bad magic");
  expectError(idx({2}, {1, 2}, 0x0D), "unsupported IDX element type");
  expectError(std::string({0, 0, 8, 9}), "unsupported number of dimensions");
  expectError(std::string({0, 0, 8, 2, 0, 0}), "truncated header");
  expectError(idx({2, 3}, {1, 2, 3}),
              "promises 6 bytes of data (shape [2, 3]) but the file holds 3");
  expectError(idx({2}, {1, 2, 3}), "promises 2 bytes");
  // A header promising 2^64 bytes must not be believed.
  expectError(idx({0xffffffff, 0xffffffff}, {1}), "promises");
}

TEST(Idx, InconsistentSetsAndCorruptFilesNameTheFile) {
  dlctest::TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir.file("train-images-idx3-ubyte"),
                              idx({3, 1, 1}, {1, 2, 3}))
                  .ok());
  ASSERT_TRUE(
      writeFileAtomic(dir.file("train-labels-idx1-ubyte"), idx({2}, {0, 1}))
          .ok());
  auto s = loadMnistFormat(dir.file(""), "train", 0, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("holds 3 images but"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("holds 2 labels"), std::string::npos)
      << s.message();

  ASSERT_TRUE(
      writeFileAtomic(dir.file("train-labels-idx1-ubyte"), idx({3}, {0, 12, 1}))
          .ok());
  s = loadMnistFormat(dir.file(""), "train", 0, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("byte 9: label 12 is not below 10"),
            std::string::npos)
      << s.message();

  std::string gz = dir.file("t10k-images-idx3-ubyte.gz");
  writeGzip(gz, idx({100, 1, 1}, std::vector<uint8_t>(100, 7)));
  std::string bytes = *readFile(gz);
  ASSERT_TRUE(writeFileAtomic(gz, bytes.substr(0, bytes.size() / 2)).ok());
  auto t = readIdxU8(gz);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("t10k-images-idx3-ubyte.gz"), std::string::npos)
      << t.message();

  auto missing = loadMnistFormat(dir.file("nowhere"), "train", 0, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("cannot open"), std::string::npos);
}

TEST(Idx, FashionMnistFromDebian) {
  const char *dir = "/usr/share/datasets/fashion-mnist";
  struct stat st;
  if (::stat(dir, &st) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto test = loadMnistFormat(dir, "t10k", 0.5, 0.5);
  ASSERT_TRUE(test.ok()) << test.message();
  EXPECT_EQ(test->shape, (Shape{10000, 1, 28, 28}));
  int64_t counts[10] = {0};
  for (int64_t i = 0; i < 10000; ++i)
    ++counts[test->labels.data<int64_t>()[i]];
  for (int64_t c : counts)
    EXPECT_EQ(c, 1000) << "Fashion-MNIST's test split is balanced";
}

} // namespace
