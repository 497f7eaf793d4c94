// process_* metrics read from /proc at scrape time.
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/metrics/registry.h"

namespace mockforge::metrics {
namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

struct StatmPages {
  double virtual_pages = 0;
  double resident_pages = 0;
};

StatmPages read_statm() {
  StatmPages pages;
  std::ifstream in("/proc/self/statm");
  in >> pages.virtual_pages >> pages.resident_pages;
  return pages;
}

double count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory handle opened to count them
}

double cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stod(field);
    if (index == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<Sample> one(double value) { return {Sample{{}, value}}; }

}  // namespace

std::shared_ptr<void> register_process_metrics(Registry& registry, std::string_view version) {
  const double start_time = now_seconds();
  const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::vector<std::shared_ptr<void>> handles;
  handles.push_back(registry.callback(
      "process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.",
      MetricType::kGauge, {}, [start_time] { return one(start_time); }));
  handles.push_back(registry.callback(
      "process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge, {},
      [page_size] { return one(read_statm().resident_pages * page_size); }));
  handles.push_back(registry.callback(
      "process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge, {},
      [page_size] { return one(read_statm().virtual_pages * page_size); }));
  handles.push_back(registry.callback("process_open_fds", "Number of open file descriptors.",
                                      MetricType::kGauge, {},
                                      [] { return one(count_open_fds()); }));
  handles.push_back(registry.callback("process_cpu_seconds_total",
                                      "Total user and system CPU time spent in seconds.",
                                      MetricType::kCounter, {}, [] { return one(cpu_seconds()); }));
  handles.push_back(registry.callback("mockforge_uptime_seconds",
                                      "Seconds since mockforge started.", MetricType::kGauge, {},
                                      [start_time] { return one(now_seconds() - start_time); }));
  handles.push_back(registry.callback("mockforge_build_info",
                                      "mockforge version, as a label; the value is always 1.",
                                      MetricType::kGauge, {"version"}, [v = std::string(version)] {
                                        return std::vector<Sample>{Sample{{v}, 1.0}};
                                      }));
  return std::make_shared<std::vector<std::shared_ptr<void>>>(std::move(handles));
}

}  // namespace mockforge::metrics
