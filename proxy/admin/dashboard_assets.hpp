#pragma once
// The dashboard's files (proxy/admin/dashboard/), built into the binary by
// cmake/embed_assets.cmake: the admin listener serves them with no file or download at run time.
#include <string_view>

namespace portico {

struct DashboardAsset {
  std::string_view content_type;
  std::string_view body;
};

// "index.html", "dashboard.js", "dashboard.css": the file, or null.
const DashboardAsset* find_dashboard_asset(std::string_view name);

}  // namespace portico
