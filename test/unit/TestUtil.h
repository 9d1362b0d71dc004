//===- TestUtil.h - helpers shared by the unit tests ------------*- C++ -*-===//
#ifndef DLC_TEST_UNIT_TESTUTIL_H
#define DLC_TEST_UNIT_TESTUTIL_H

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace dlctest {

/// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/dlc-test-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty())
      std::system(("rm -rf '" + path_ + "'").c_str());
  }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

} // namespace dlctest

#endif // DLC_TEST_UNIT_TESTUTIL_H
