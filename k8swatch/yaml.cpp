#include "k8swatch/yaml.hpp"

#include <yaml.h>

#include <charconv>
#include <map>
#include <regex>
#include <string>

namespace portico::k8s {
namespace {

using nlohmann::json;

constexpr unsigned MaxDepth = 100;
constexpr std::size_t MaxNodes = 1'000'000;  // per file, aliases expanded ("billion laughs")

// Plain (unquoted) YAML scalars are typed as the Kubernetes YAML decoder types them
// (YAML 1.1 booleans included), so `port: 80` is a number and `"80"` a string.
json plain_scalar(const std::string& s) {
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex hex("0x[0-9a-fA-F]+");
  static const std::regex real("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    if (s == t) {
      return true;
    }
  }
  for (const char* f :
       {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    if (s == f) {
      return false;
    }
  }
  if (std::regex_match(s, integer) || std::regex_match(s, hex)) {
    const bool is_hex = s.starts_with("0x");
    std::int64_t value = 0;
    const char* begin = s.data() + (is_hex ? 2 : (s.front() == '+' ? 1 : 0));
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value, is_hex ? 16 : 10);
    if (ec == std::errc{} && end == s.data() + s.size()) {
      return value;
    }
  }
  if (std::regex_match(s, real)) {
    // Out of a double's range ("1E400") stays text: JSON has no infinity to give it.
    double value = 0;
    const char* begin = s.data() + (s.front() == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec == std::errc{} && end == s.data() + s.size()) {
      return value;
    }
  }
  return s;
}

std::string text_of(const yaml_char_t* text) {
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

// libyaml's parser, one event at a time; owns the current event.
class Events {
 public:
  explicit Events(std::string_view text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Events() {
    release();
    yaml_parser_delete(&parser_);
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  std::optional<Failure> next() {
    release();
    if (yaml_parser_parse(&parser_, &event_) == 0) {
      return Failure{"line " + std::to_string(parser_.problem_mark.line + 1) + ", column " +
                     std::to_string(parser_.problem_mark.column + 1) + ": " +
                     (parser_.problem != nullptr ? parser_.problem : "syntax error")};
    }
    held_ = true;
    return std::nullopt;
  }
  const yaml_event_t& event() const { return event_; }

 private:
  void release() {
    if (held_) {
      yaml_event_delete(&event_);
      held_ = false;
    }
  }
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool held_ = false;
};

class Builder {
 public:
  explicit Builder(Events& events) : events_(events) {}

  // Builds the node whose first event is current; leaves its last event current.
  std::optional<Failure> node(unsigned depth, json& out) {
    if (depth > MaxDepth) {
      return Failure{"nested deeper than " + std::to_string(MaxDepth) + " levels"};
    }
    const yaml_event_t& event = events_.event();
    std::string anchor;
    switch (event.type) {
      case YAML_ALIAS_EVENT: {
        const auto it = anchors_.find(text_of(event.data.alias.anchor));
        if (it == anchors_.end()) {
          return Failure{"alias to an unknown anchor"};
        }
        out = it->second;
        return count(out);
      }
      case YAML_SCALAR_EVENT: {
        anchor = text_of(event.data.scalar.anchor);
        std::string value(reinterpret_cast<const char*>(event.data.scalar.value),
                          event.data.scalar.length);
        // Only an untagged plain scalar is typed; quoted or tagged ones are strings.
        const bool typed =
            event.data.scalar.tag == nullptr && event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        out = typed ? plain_scalar(value) : json(std::move(value));
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        anchor = text_of(event.data.sequence_start.anchor);
        out = json::array();
        for (;;) {
          if (auto failure = events_.next()) {
            return failure;
          }
          if (events_.event().type == YAML_SEQUENCE_END_EVENT) {
            break;
          }
          json item;
          if (auto failure = node(depth + 1, item)) {
            return failure;
          }
          out.push_back(std::move(item));
        }
        break;
      case YAML_MAPPING_START_EVENT:
        anchor = text_of(event.data.mapping_start.anchor);
        out = json::object();
        for (;;) {
          if (auto failure = events_.next()) {
            return failure;
          }
          if (events_.event().type == YAML_MAPPING_END_EVENT) {
            break;
          }
          json key;
          if (auto failure = node(depth + 1, key)) {
            return failure;
          }
          if (!key.is_primitive() || key.is_null()) {
            return Failure{"a mapping key must be a scalar"};
          }
          if (auto failure = events_.next()) {
            return failure;
          }
          json value;
          if (auto failure = node(depth + 1, value)) {
            return failure;
          }
          out[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
        }
        break;
      default:
        return Failure{"unexpected YAML event"};
    }
    if (!anchor.empty()) {
      anchors_[anchor] = out;
    }
    return count(json());
  }

  void forget_anchors() { anchors_.clear(); }

 private:
  static std::size_t nodes_in(const json& value) {
    std::size_t n = 1;
    if (value.is_structured()) {
      for (const auto& item : value) {
        n += nodes_in(item);
      }
    }
    return n;
  }

  // Counts `value`'s nodes (one for a freshly built node) against the file's budget.
  std::optional<Failure> count(const json& value) {
    nodes_ += nodes_in(value);
    return nodes_ > MaxNodes ? std::optional<Failure>(Failure{"too many nodes (aliases expand "
                                                              "past a million)"})
                             : std::nullopt;
  }

  Events& events_;
  std::map<std::string, json> anchors_;
  std::size_t nodes_ = 0;
};

}  // namespace

Expected<std::vector<json>> parse_yaml(std::string_view text) {
  Events events(text);
  Builder builder(events);
  std::vector<json> documents;
  if (auto failure = events.next()) {  // stream start
    return *failure;
  }
  for (;;) {
    if (auto failure = events.next()) {
      return *failure;
    }
    if (events.event().type == YAML_STREAM_END_EVENT) {
      return documents;
    }
    // Document start, its root node, document end.
    json document;
    std::optional<Failure> failure = events.next();
    if (!failure) {
      failure = builder.node(0, document);
    }
    if (!failure) {
      failure = events.next();
    }
    if (failure) {
      return *failure;
    }
    documents.push_back(std::move(document));
    builder.forget_anchors();  // anchors belong to their document
  }
}

}  // namespace portico::k8s
