//===- DatasetsTest.cpp - CIFAR-10 binary and .npy data sets --------------===//
//
// Synthetic files with known bytes: values must come out as
// (byte / 255 - mean) / std exactly as the loaders promise (f32 of a double
// computation, so EXPECT_FLOAT_EQ), and every malformed file must be
// rejected with its name and what is wrong.
//
//===----------------------------------------------------------------------===//
#include "dlrt/Datasets.h"
#include "TestUtil.h"
#include "dlrt/FileIO.h"
#include "dlrt/Npy.h"

#include <gtest/gtest.h>

using namespace dlrt;

namespace {

/// A CIFAR-10 record: the label, then 3072 pixels (i + seed) mod 256.
std::string record(uint8_t label, int seed) {
  std::string r(1 + 3072, '\0');
  r[0] = char(label);
  for (int i = 0; i < 3072; ++i)
    r[1 + i] = char((i + seed) % 256);
  return r;
}

float scaled(int byte, double mean, double stddev) {
  return static_cast<float>((byte / 255.0 - mean) / stddev);
}

TEST(Datasets, Cifar10RecordsBecomeNormalisedImages) {
  dlctest::TempDir dir;
  ASSERT_TRUE(
      writeFileAtomic(dir.file("test_batch.bin"), record(3, 0) + record(9, 7))
          .ok());
  auto set = loadDataset("cifar10:" + dir.file(""), "test", 0.5, 0.25);
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->images().shape(), (Shape{2, 3, 32, 32}));
  EXPECT_EQ(set->labels.data<int64_t>()[0], 3);
  EXPECT_EQ(set->labels.data<int64_t>()[1], 9);
  // Channel-major within a record: pixel (c, y, x) is byte 1024 c + 32 y + x.
  EXPECT_FLOAT_EQ(set->images().data<float>()[1024 + 33],
                  scaled(1057 % 256, 0.5, 0.25));
  EXPECT_FLOAT_EQ(set->images().data<float>()[3072 + 5], scaled(12, 0.5, 0.25));

  // The training split reads five files; a missing one is named.
  auto train = loadCifar10(dir.file(""), "train", 0, 1);
  ASSERT_FALSE(train.ok());
  EXPECT_NE(train.message().find("data_batch_1.bin"), std::string::npos)
      << train.message();
}

TEST(Datasets, Cifar10RejectsTruncatedFilesAndBadLabels) {
  dlctest::TempDir dir;
  std::string cut = record(1, 0) + record(2, 0).substr(0, 100);
  ASSERT_TRUE(writeFileAtomic(dir.file("test_batch.bin"), cut).ok());
  auto s = loadCifar10(dir.file(""), "test", 0, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("test_batch.bin: 3173 bytes is not a whole "
                             "number of 3073-byte CIFAR-10 records "
                             "(truncated? the last record starts at byte "
                             "offset 3073)"),
            std::string::npos)
      << s.message();
  ASSERT_TRUE(
      writeFileAtomic(dir.file("test_batch.bin"), record(1, 0) + record(12, 0))
          .ok());
  s = loadCifar10(dir.file(""), "test", 0, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("byte offset 3073: label 12 is not below 10"),
            std::string::npos)
      << s.message();
}

/// A .npy file of uint8 data, written by hand (dlrt has no uint8 tensor).
std::string npyU8(const std::string &shape, const std::string &data) {
  std::string header =
      "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header + data;
}

TEST(Datasets, NpyPairsLoadUint8AndFloatImages) {
  dlctest::TempDir dir;
  std::string pixels = {0, char(255), 51, 102, 0, 0};
  ASSERT_TRUE(
      writeFileAtomic(dir.file("train_images.npy"), npyU8("(2, 3)", pixels))
          .ok());
  Tensor labels(DType::I64, {2});
  labels.data<int64_t>()[0] = 4;
  labels.data<int64_t>()[1] = 1;
  ASSERT_TRUE(writeNpy(dir.file("train_labels.npy"), labels).ok());
  auto set = loadDataset("npy:" + dir.file(""), "train", 0.5, 0.5);
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->images().shape(), (Shape{2, 3}));
  EXPECT_FLOAT_EQ(set->images().data<float>()[1], scaled(255, 0.5, 0.5));
  EXPECT_FLOAT_EQ(set->images().data<float>()[3], scaled(102, 0.5, 0.5));
  EXPECT_EQ(set->labels.data<int64_t>()[0], 4);

  // Float images are taken as values, then normalised.
  Tensor f(DType::F32, {2, 2});
  f.data<float>()[2] = 3;
  ASSERT_TRUE(writeNpy(dir.file("test_images.npy"), f).ok());
  Tensor three(DType::I32, {3});
  ASSERT_TRUE(writeNpy(dir.file("test_labels.npy"), three).ok());
  auto bad = loadNpyDataset(dir.file(""), "test", 0, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("holds 2 images but"), std::string::npos)
      << bad.message();
  EXPECT_NE(bad.message().find("test_labels.npy holds 3 labels"),
            std::string::npos)
      << bad.message();
  Tensor two(DType::I32, {2});
  ASSERT_TRUE(writeNpy(dir.file("test_labels.npy"), two).ok());
  auto good = loadNpyDataset(dir.file(""), "test", 1, 2);
  ASSERT_TRUE(good.ok()) << good.message();
  EXPECT_FLOAT_EQ(good->images().data<float>()[2], 1.0f);
}

TEST(Datasets, UnknownKindsAndMalformedSpecsAreErrors) {
  auto s = loadDataset("imagenet:/tmp", "train", 0, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "unknown data set kind 'imagenet' (expected "
                         "fashion-mnist, mnist, cifar10 or npy)");
  s = loadDataset("cifar10", "train", 0, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "malformed data set 'cifar10' (expected KIND:DIR)");
}

} // namespace
