#pragma once
// Process-wide structured logging to stderr: one line per event, text or JSON, each naming
// its component and level. Any thread may log; each line is a single write(2), so lines from
// different threads never interleave. Configure once at start-up, before threads exist.
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace portico::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

struct Field {
  std::string_view key;
  std::string value;
};

void configure(Format format, Level min_level);
bool enabled(Level level) noexcept;
void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void debug(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Debug)) {
    write(Level::Debug, c, m, f);
  }
}
inline void info(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::Info, c, m, f);
}
inline void warn(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::Warn, c, m, f);
}
inline void error(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::Error, c, m, f);
}

// For a coroutine's completion handler: logs the exception that ended it, if any. An
// exception there is a bug, not an expected failure; it ends that coroutine only.
void unexpected(std::string_view component, std::string_view what, std::exception_ptr error);

// A line formatted elsewhere (the access log), written whole, whatever the level.
void write_line(std::string_view line);

// Escapes a string for inclusion in a JSON document (also used by the admin endpoints).
std::string json_escape(std::string_view s);

}  // namespace portico::log
