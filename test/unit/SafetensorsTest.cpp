//===- SafetensorsTest.cpp - checkpoints and hostile headers --------------===//
#include "dlrt/Safetensors.h"
#include "TestUtil.h"
#include "dlrt/FileIO.h"

#include <gtest/gtest.h>

#include <cstring>
#include <sys/stat.h>

using namespace dlrt;

namespace {

std::string withHeader(const std::string &json, const std::string &data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i)
    out[i] = char((n >> (8 * i)) & 0xff);
  return out + json + data;
}

TEST(Safetensors, RoundTrips) {
  TensorMap map;
  Tensor a(DType::F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    a.data<float>()[i] = i * 1.5f;
  Tensor b(DType::I64, {4});
  for (int i = 0; i < 4; ++i)
    b.data<int64_t>()[i] = -i;
  map["fc1.weight"] = a;
  map["step"] = b;
  map["empty"] = Tensor(DType::F64, {0});
  std::string bytes = serializeSafetensors(map);
  uint64_t headerLen;
  std::memcpy(&headerLen, bytes.data(), 8);
  EXPECT_EQ(headerLen % 8, 0u) << "data section must be 8-byte aligned";
  Expected<TensorMap> back = parseSafetensors(bytes, "mem");
  ASSERT_TRUE(back.ok()) << back.message();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ(back->at("fc1.weight").shape(), (Shape{2, 3}));
  EXPECT_EQ(back->at("fc1.weight").data<float>()[5], 7.5f);
  EXPECT_EQ(back->at("step").data<int64_t>()[3], -3);
  EXPECT_EQ(back->at("empty").numElements(), 0);
}

TEST(Safetensors, ReadsMetadataAndIgnoresIt) {
  std::string json = R"({"__metadata__":{"format":"pt"},)"
                     R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  Expected<TensorMap> t =
      parseSafetensors(withHeader(json, std::string(8, '\0')), "m");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->size(), 1u);
}

void expectError(const std::string &bytes, const std::string &what) {
  Expected<TensorMap> t = parseSafetensors(bytes, "ckpt.safetensors");
  ASSERT_FALSE(t.ok()) << "accepted a bad file; expected: " << what;
  EXPECT_NE(t.message().find("ckpt.safetensors"), std::string::npos);
  EXPECT_NE(t.message().find(what), std::string::npos) << t.message();
}

TEST(Safetensors, RejectsHeadersThatLie) {
  std::string data(24, '\0');
  expectError("abc", "too short");
  // Header length beyond the file.
  std::string lying = withHeader("{}", "");
  lying[0] = char(0xff);
  lying[5] = char(0x7f);
  expectError(lying, "runs past the end");
  expectError(withHeader("[1, 2]", ""), "not a JSON object");
  expectError(withHeader("{not json", ""), "not a JSON object");
  expectError(
      withHeader(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})",
                 data),
      "unsupported dtype 'F16'");
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                 data),
      "non-integer or negative");
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})",
                 data),
      "non-array 'shape'");
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})",
                 data),
      "two integers");
  // Offsets past the data section (the classic out-of-bounds read).
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})",
                 data),
      "outside the 24-byte data section");
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,4]}})",
                 data),
      "outside");
  // Size that disagrees with dtype x shape.
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                 data),
      "holds 8 bytes but f32[3] needs 12");
  expectError(
      withHeader(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                 R"("data_offsets":[0,8]}})",
                 data),
      "implausibly large");
  expectError(
      withHeader(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                 R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                 data),
      "overlap");
}

TEST(Safetensors, FailedSaveKeepsThePreviousFile) {
  dlctest::TempDir dir;
  std::string path = dir.file("ckpt.safetensors");
  TensorMap map;
  map["w"] = Tensor(DType::F32, {4});
  ASSERT_TRUE(writeSafetensors(path, map).ok());
  std::string before = *readFile(path);

  // A save that cannot even start (the parent is a regular file) reports
  // the path and leaves the existing checkpoint alone.
  Status s = writeSafetensors(path + "/child", map);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot write"), std::string::npos) << s.message();
  EXPECT_EQ(*readFile(path), before);

  // A directory in the way of the rename: the temporary is cleaned up.
  std::string blocked = dir.file("blocked");
  ASSERT_EQ(mkdir(blocked.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((blocked + "/inner").c_str(), 0755), 0);
  s = writeSafetensors(blocked, map);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot replace"), std::string::npos)
      << s.message();
  Expected<std::string> leftover =
      readFile(blocked + ".tmp." + std::to_string(getpid()));
  EXPECT_FALSE(leftover.ok()) << "temporary file left behind";
}

} // namespace
