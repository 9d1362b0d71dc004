//===- Status.h - error values for the runtime ------------------*- C++ -*-===//
//
// The runtime is built without exceptions (like LLVM) and must never abort on
// bad input, so every fallible call returns a Status or an Expected<T>.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_STATUS_H
#define DLRT_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace dlrt {

/// Success, or an error message meant for the user.
class Status {
public:
  Status() = default;
  static Status error(std::string message) {
    Status s;
    s.message_ = std::move(message);
    return s;
  }
  bool ok() const { return !message_.has_value(); }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return *message_; }

private:
  std::optional<std::string> message_;
};

/// A value or the Status explaining why there is none.
template <typename T> class Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Status status) : status_(std::move(status)) {}
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  const Status &status() const { return status_; }
  const std::string &message() const { return status_.message(); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace dlrt

#endif // DLRT_STATUS_H
