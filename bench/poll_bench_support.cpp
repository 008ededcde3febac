#include "bench/poll_bench_support.h"

#include <bit>
#include <cstdint>
#include <variant>

#include "core/value_codec.h"

namespace rct::bench {
namespace {

// Floats compare by their bits: a NaN the simulator sent is the NaN handed up.
bool bitwise_same(const Value& a, const Value& b) {
  const float* fa = std::get_if<float>(&a);
  const float* fb = std::get_if<float>(&b);
  if (fa != nullptr && fb != nullptr) {
    return std::bit_cast<std::uint32_t>(*fa) == std::bit_cast<std::uint32_t>(*fb);
  }
  return a == b;
}

}  // namespace

std::vector<std::uint32_t> scalar_poll_list(const Registry& registry, std::size_t count) {
  std::vector<std::uint32_t> scalars;
  for (const OidInfo& info : registry.all()) {
    if (rct::is_fixed_size_scalar(info.response_type)) scalars.push_back(info.id);
  }
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < count && i < scalars.size(); ++i) {
    out.push_back(scalars[i * scalars.size() / count]);
  }
  return out;
}

bool sent_intact(const Registry& registry, const sim::Simulator& sim, const client::Reading& r) {
  const OidInfo* info = registry.find(r.oid);
  const DataType type = info != nullptr ? info->response_type : DataType::kUnknown;
  for (const std::vector<std::uint8_t>& payload : sim.truth(r.oid, r.address)) {
    auto v = decode_value(type, payload);
    if (v.ok() && bitwise_same(*v, r.value)) return true;
  }
  return false;
}

}  // namespace rct::bench
