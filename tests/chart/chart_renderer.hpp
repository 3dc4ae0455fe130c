#pragma once
// ChartRenderer: renders charts/portico the way `helm template` does, for the small subset of
// Go templates the chart keeps to: {{ .Values.a.b }}, {{ .Release.Name }},
// {{ .Release.Namespace }}, {{ .Chart.Name }}, {{ .Chart.AppVersion }}, if / if not / else /
// end, and the {{- / -}} whitespace trims. There is no helm binary on these machines; this
// keeps deploy/portico.yaml (the chart rendered with its default values) checkably in sync.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "proxy/common/expected.hpp"

namespace portico::chart {

struct Release {
  std::string name = "portico";
  std::string namespace_ = "portico";
};

// Every template under `chart_dir`/templates, in file name order, each document headed by
// "# Source: portico/templates/FILE" as helm does. `overrides` is merged over values.yaml.
Expected<std::string> render_chart(const std::filesystem::path& chart_dir, const Release& release,
                                   const nlohmann::json& overrides = nlohmann::json::object());

// One template's text.
Expected<std::string> render_template(const std::string& text, const nlohmann::json& context);

}  // namespace portico::chart
