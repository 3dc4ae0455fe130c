#pragma once
// Expected<T>: a value, or the reason there is none. Expected failures (a bad manifest, an
// invalid flag) travel as values; exceptions are for bugs only.
#include <string>
#include <utility>
#include <variant>

namespace portico {

struct Failure {
  std::string reason;
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}
  Expected(Failure failure) : state_(std::move(failure)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const std::string& error() const { return std::get<1>(state_).reason; }

 private:
  std::variant<T, Failure> state_;
};

inline Failure fail(std::string reason) {
  return Failure{std::move(reason)};
}

}  // namespace portico
