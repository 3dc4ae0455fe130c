#include "proxy/common/log.hpp"

#include "proxy/common/utc_time.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace portico::log {
namespace {

// Written once before any thread starts, read-only afterwards.
Format g_format = Format::Text;
Level g_min_level = Level::Info;

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "info";
}

// Text values are quoted only when they would otherwise be ambiguous to read back.
void append_text_value(std::string& line, std::string_view value) {
  const bool plain = !value.empty() && value.find_first_of(" \"=\t\n") == std::string_view::npos;
  if (plain) {
    line += value;
  } else {
    line += '"';
    line += json_escape(value);
    line += '"';
  }
}

}  // namespace

void configure(Format format, Level min_level) {
  g_format = format;
  g_min_level = min_level;
}

bool enabled(Level level) noexcept {
  return level >= g_min_level;
}

void unexpected(std::string_view component, std::string_view what, std::exception_ptr error) {
  if (!error) {
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::error(component, std::string(what) + " ended by an unexpected exception",
               {{"error", e.what()}});
  } catch (...) {
    log::error(component, std::string(what) + " ended by an unexpected exception");
  }
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
  if (!enabled(level)) {
    return;
  }
  std::string line;
  if (g_format == Format::Json) {
    line = "{\"time\":\"" + utc_now_rfc3339(3) + "\",\"level\":\"" +
           std::string(level_name(level)) + "\",\"component\":\"" + json_escape(component) +
           "\",\"msg\":\"" + json_escape(message) + '"';
    for (const auto& f : fields) {
      line += ",\"" + json_escape(f.key) + "\":\"" + json_escape(f.value) + '"';
    }
    line += "}\n";
  } else {
    line = utc_now_rfc3339(3) + ' ' + std::string(level_name(level)) + ' ' +
           std::string(component) + ": " + std::string(message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      append_text_value(line, f.value);
    }
    line += '\n';
  }
  write_line(line);
}

void write_line(std::string_view line) {
  // One write per line keeps lines whole when several threads log at once.
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace portico::log
