#pragma once
// Status and Result<T>: how every fallible operation in Astrolabe reports failure.
// No exceptions cross module boundaries; errors carry a code and a message that reads
// as a sentence fragment ("replaying WAL segment 12: bad CRC"), wrapped with context
// on the way up by Annotate().

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace astrolabe {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad input: config, bytes, query. Never retryable.
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kOutOfRange,
  kUnavailable,       // transient: a peer is down or overloaded. Retryable.
  kResourceExhausted, // a limit was hit (queue full, memory). Retryable later.
  kDeadlineExceeded,
  kPermissionDenied,
  kUnauthenticated,
  kCancelled,
  kInternal,
  kUnimplemented,
  kDataLoss,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a status with the same code whose message is "<context>: <message>".
  Status Annotate(std::string_view context) const;

  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // True for codes a sender may retry after a delay (kUnavailable, kResourceExhausted,
  // kDeadlineExceeded).
  bool IsRetryable() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status FailedPrecondition(std::string message);
Status Unavailable(std::string message);
Status ResourceExhausted(std::string message);
Status DeadlineExceeded(std::string message);
Status Internal(std::string message);
Status Cancelled(std::string message);
Status Unimplemented(std::string message);
Status AlreadyExists(std::string message);
Status PermissionDenied(std::string message);
Status Unauthenticated(std::string message);
Status OutOfRange(std::string message);
Status DataLoss(std::string message);

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Internal("Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : status_;
  }

  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace astrolabe

#define ASTROLABE_CONCAT_INNER(a, b) a##b
#define ASTROLABE_CONCAT(a, b) ASTROLABE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::astrolabe::Status _status_ = (expr);             \
    if (!_status_.ok()) return _status_;               \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()); or ASSIGN_OR_RETURN(x, Foo());
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ASTROLABE_CONCAT(_result_, __LINE__), lhs, expr)
