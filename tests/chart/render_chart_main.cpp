// render-chart CHART_DIR: prints the chart rendered with its default values (release
// "portico" in namespace "portico"). script/render-chart writes it to deploy/portico.yaml.
#include <cstdio>

#include "tests/chart/chart_renderer.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: render-chart CHART_DIR\n");
    return 2;
  }
  auto rendered = portico::chart::render_chart(argv[1], {});
  if (!rendered) {
    std::fprintf(stderr, "render-chart: %s\n", rendered.error().c_str());
    return 1;
  }
  std::fputs(rendered->c_str(), stdout);
  return 0;
}
