#include "daemon/adapters/metrics_server.h"

#include <dlfcn.h>

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace rct::daemon {
namespace {

// The module's factory, or the reason it cannot be had, naming every place looked. A module once
// loaded stays mapped to the end of the process (its server threads and cpp-httplib's own state
// live in it).
struct HttpModule {
  MakeMetricsEndpoint make = nullptr;
  std::string error;
};

// Where rct2mqtt-http.so is looked for, in order: beside the running executable (a build tree),
// then the installed module directory (<libdir>/rct2mqtt).
std::vector<std::filesystem::path> http_module_candidates() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(self.parent_path() / kHttpModuleFileName);
  out.push_back(std::filesystem::path(RCT2MQTT_MODULE_DIR) / kHttpModuleFileName);
  return out;
}

HttpModule load_http_module() {
  HttpModule module;
  for (const std::filesystem::path& path : http_module_candidates()) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      module.error += (module.error.empty() ? "" : "; ") + path.string() + ": not found";
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      module.error += (module.error.empty() ? "" : "; ") + std::string(why ? why : path.c_str());
      continue;
    }
    void* symbol = ::dlsym(handle, kMakeMetricsEndpointSymbol);
    if (symbol == nullptr) {
      ::dlclose(handle);
      module.error +=
          (module.error.empty() ? "" : "; ") + path.string() + ": no " + kMakeMetricsEndpointSymbol;
      continue;
    }
    module.make = reinterpret_cast<MakeMetricsEndpoint>(symbol);
    module.error.clear();
    return module;
  }
  module.error = "cannot load the HTTP module (" + module.error + ")";
  return module;
}

}  // namespace

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer() {
  stop();
}

std::optional<std::string> MetricsServer::start(const std::string& host, std::uint16_t port) {
  stop();
  // Loaded on the first start that succeeds: after a failure the next start (a reload once the
  // module is installed) tries again.
  if (!endpoint_) {
    const HttpModule module = load_http_module();
    if (module.make == nullptr) return module.error;
    endpoint_.reset(module.make());
  }
  if (auto error = endpoint_->start(host, port)) return error;
  serving_ = true;
  return std::nullopt;
}

void MetricsServer::stop() {
  if (!serving_) return;
  endpoint_->stop();
  serving_ = false;
}

void MetricsServer::set_text(std::string text) {
  if (endpoint_) endpoint_->set_text(std::move(text));
}

}  // namespace rct::daemon
