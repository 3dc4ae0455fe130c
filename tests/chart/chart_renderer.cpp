#include "tests/chart/chart_renderer.hpp"

#include <algorithm>
#include <vector>

#include "k8swatch/yaml.hpp"
#include "proxy/common/read_file.hpp"

namespace portico::chart {
namespace {

using nlohmann::json;

struct Token {
  bool action = false;
  std::string text;  // the text, or the action without its braces and trim markers
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Expected<std::vector<Token>> tokenize(const std::string& text) {
  std::vector<Token> tokens;
  std::size_t at = 0;
  bool trim_next = false;
  while (at <= text.size()) {
    const auto open = text.find("{{", at);
    std::string literal =
        text.substr(at, open == std::string::npos ? std::string::npos : open - at);
    if (trim_next) {
      literal.erase(0, literal.find_first_not_of(" \t\r\n") == std::string::npos
                           ? literal.size()
                           : literal.find_first_not_of(" \t\r\n"));
    }
    if (open == std::string::npos) {
      tokens.push_back({false, literal});
      break;
    }
    const auto close = text.find("}}", open);
    if (close == std::string::npos) {
      return fail("unclosed {{ at offset " + std::to_string(open));
    }
    std::string action = text.substr(open + 2, close - open - 2);
    if (action.starts_with("-")) {
      while (!literal.empty() && is_space(literal.back())) {
        literal.pop_back();
      }
      action.erase(0, 1);
    }
    trim_next = action.ends_with("-");
    if (trim_next) {
      action.pop_back();
    }
    const auto first = action.find_first_not_of(' ');
    const auto last = action.find_last_not_of(' ');
    tokens.push_back({false, literal});
    tokens.push_back(
        {true, first == std::string::npos ? "" : action.substr(first, last - first + 1)});
    at = close + 2;
  }
  return tokens;
}

// ".Values.a.b" looked up in the context.
Expected<json> lookup(const std::string& path, const json& context) {
  if (!path.starts_with(".")) {
    return fail("unsupported expression \"" + path + "\"");
  }
  const json* node = &context;
  std::size_t at = 1;
  while (at <= path.size()) {
    const auto dot = path.find('.', at);
    const std::string key =
        path.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
    if (!node->is_object() || !node->contains(key)) {
      return json();  // missing is nil, as in Go templates
    }
    node = &(*node)[key];
    if (dot == std::string::npos) {
      break;
    }
    at = dot + 1;
  }
  return *node;
}

bool truthy(const json& value) {
  if (value.is_boolean()) {
    return value.get<bool>();
  }
  if (value.is_number()) {
    return value.get<double>() != 0;
  }
  // nlohmann's empty() is false for every string: Go templates take "" as false.
  if (value.is_string()) {
    return !value.get_ref<const std::string&>().empty();
  }
  if (value.is_array() || value.is_object()) {
    return !value.empty();
  }
  return false;
}

std::string printed(const json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_null()) {
    return "<no value>";
  }
  return value.dump();
}

void merge(json& into, const json& from) {
  for (const auto& [key, value] : from.items()) {
    if (value.is_object() && into.contains(key) && into[key].is_object()) {
      merge(into[key], value);
    } else {
      into[key] = value;
    }
  }
}

}  // namespace

Expected<std::string> render_template(const std::string& text, const json& context) {
  auto tokens = tokenize(text);
  if (!tokens) {
    return fail(tokens.error());
  }
  // Each open `if`: whether its branch is live, and whether the enclosing one is.
  struct Branch {
    bool parent_live;
    bool condition;
    bool in_else = false;
    bool live() const { return parent_live && (in_else ? !condition : condition); }
  };
  std::vector<Branch> branches;
  const auto live = [&] { return branches.empty() || branches.back().live(); };
  std::string out;
  for (const auto& token : *tokens) {
    if (!token.action) {
      if (live()) {
        out += token.text;
      }
      continue;
    }
    const std::string& action = token.text;
    if (action.starts_with("if ")) {
      std::string expression = action.substr(3);
      const bool negate = expression.starts_with("not ");
      if (negate) {
        expression.erase(0, 4);
      }
      auto value = lookup(expression, context);
      if (!value) {
        return fail(value.error());
      }
      branches.push_back({live(), truthy(*value) != negate});
    } else if (action == "else") {
      if (branches.empty()) {
        return fail("else without if");
      }
      branches.back().in_else = true;
    } else if (action == "end") {
      if (branches.empty()) {
        return fail("end without if");
      }
      branches.pop_back();
    } else if (live()) {
      auto value = lookup(action, context);
      if (!value) {
        return fail(value.error());
      }
      out += printed(*value);
    }
  }
  if (!branches.empty()) {
    return fail("if without end");
  }
  return out;
}

Expected<std::string> render_chart(const std::filesystem::path& chart_dir, const Release& release,
                                   const json& overrides) {
  const auto chart_text = read_file((chart_dir / "Chart.yaml").string());
  const auto values_text = read_file((chart_dir / "values.yaml").string());
  if (!chart_text || !values_text) {
    return fail("no Chart.yaml or values.yaml in " + chart_dir.string());
  }
  auto chart = k8s::parse_yaml(*chart_text);
  auto values = k8s::parse_yaml(*values_text);
  if (!chart || !values || chart->empty() || values->empty()) {
    return fail("Chart.yaml or values.yaml does not parse");
  }
  json context = {{"Values", values->front()},
                  {"Release", {{"Name", release.name}, {"Namespace", release.namespace_}}},
                  {"Chart",
                   {{"Name", chart->front().value("name", "")},
                    {"AppVersion", chart->front().value("appVersion", "")}}}};
  merge(context["Values"], overrides);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(chart_dir / "templates")) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (const auto& file : files) {
    auto rendered = render_template(read_file(file.string()).value_or(""), context);
    if (!rendered) {
      return fail(file.filename().string() + ": " + rendered.error());
    }
    // helm template: "---" and a Source comment before every document of the file.
    const std::string header = "---\n# Source: " + chart->front().value("name", "") +
                               "/templates/" + file.filename().string() + "\n";
    std::string text = *rendered;
    std::size_t at = 0;
    out += header;
    for (auto next = text.find("\n---\n", at); next != std::string::npos;
         next = text.find("\n---\n", at)) {
      out += text.substr(at, next + 1 - at) + header;
      at = next + 5;
    }
    out += text.substr(at);
    if (!out.ends_with("\n")) {
      out += "\n";
    }
  }
  return out;
}

}  // namespace portico::chart
