// `rctclient frame decode -` on a large capture, through the real binary: a realistic inverter
// stream (real registry OIDs, so that names and values are decoded: mostly FLOAT responses, some
// integer, BOOL and ENUM ones, strings up to 64 bytes, time-series LONG_RESPONSEs, a 0x00 before
// every frame) written as hex text, 64 wire bytes (128 digits) per line, the form `frame decode`
// reads. Prints MB/s of wire bytes (and of hex text) from start to exit of the process, output
// to /dev/null, best of the rounds; and per CPU second of the process (user + system), the
// steadier figure on a machine that other work shares.
//
//   bench_frame_decode RCTCLIENT [wire_MB] [rounds]     (defaults: 64 MB, 3 rounds)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/frame.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/registry.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Capture {
  std::vector<std::uint8_t> wire;
  std::size_t frames = 0;
};

std::vector<std::uint32_t> oids_of(const rct::Registry& registry, rct::DataType type,
                                   std::size_t n) {
  std::vector<std::uint32_t> out;
  for (const rct::OidInfo& info : registry.all()) {
    if (info.response_type == type && out.size() < n) out.push_back(info.id);
  }
  return out;
}

// User + system time of the waited-for children (the shell and rctclient).
double children_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Capture make_capture(std::size_t wire_bytes) {
  const rct::Registry registry;
  std::mt19937 rng(20261205);
  struct Pick {
    rct::DataType type;
    std::vector<std::uint32_t> oids;
    unsigned weight;  // frames per 100
  };
  std::vector<Pick> picks = {
      {rct::DataType::kFloat, oids_of(registry, rct::DataType::kFloat, 120), 78},
      {rct::DataType::kUint8, oids_of(registry, rct::DataType::kUint8, 20), 6},
      {rct::DataType::kUint32, oids_of(registry, rct::DataType::kUint32, 10), 4},
      {rct::DataType::kBool, oids_of(registry, rct::DataType::kBool, 10), 4},
      {rct::DataType::kEnum, oids_of(registry, rct::DataType::kEnum, 5), 3},
      {rct::DataType::kString, oids_of(registry, rct::DataType::kString, 15), 4},
      {rct::DataType::kTimeSeries, oids_of(registry, rct::DataType::kTimeSeries, 3), 1},
  };
  std::uniform_real_distribution<float> power(-6000.0F, 6000.0F);
  Capture c;
  rct::Frame frame;
  while (c.wire.size() < wire_bytes) {
    unsigned r = rng() % 100;
    const Pick* pick = &picks.back();
    for (const Pick& p : picks) {
      if (r < p.weight) {
        pick = &p;
        break;
      }
      r -= p.weight;
    }
    frame.oid = pick->oids[rng() % pick->oids.size()];
    frame.payload.clear();
    auto put_word = [&frame](std::uint32_t v) {
      for (int s = 24; s >= 0; s -= 8) frame.payload.push_back(static_cast<std::uint8_t>(v >> s));
    };
    auto put_float = [&put_word](float f) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &f, sizeof bits);
      put_word(bits);
    };
    switch (pick->type) {
      case rct::DataType::kFloat:
        put_float(power(rng));
        break;
      case rct::DataType::kUint32:
        put_word(rng());
        break;
      case rct::DataType::kUint8:
      case rct::DataType::kEnum:
        frame.payload.push_back(static_cast<std::uint8_t>(rng() % 8));
        break;
      case rct::DataType::kBool:
        frame.payload.push_back(static_cast<std::uint8_t>(rng() % 2));
        break;
      case rct::DataType::kString: {
        const unsigned n = 1 + rng() % 64;
        for (unsigned i = 0; i < n; ++i) {
          frame.payload.push_back(static_cast<std::uint8_t>(0x20 + rng() % 0x5F));
        }
        break;
      }
      case rct::DataType::kTimeSeries: {
        const std::uint32_t t0 = 1718971200;
        put_word(t0);
        const unsigned samples = 20 + rng() % 60;
        for (unsigned i = 0; i < samples; ++i) {
          put_word(t0 - 300 * i);
          put_float(power(rng));
        }
        break;
      }
      default:
        break;
    }
    frame.command = pick->type == rct::DataType::kTimeSeries
                        ? rct::Command::kLongResponse
                        : rct::command_for_payload(rct::Command::kResponse, frame.payload.size());
    c.wire.push_back(0x00);
    if (!rct::encode_frame(frame, c.wire).ok()) std::abort();
    ++c.frames;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s RCTCLIENT [wire_MB] [rounds]\n", argv[0]);
    return 2;
  }
  const std::string rctclient = argv[1];
  const double megabytes = argc > 2 ? std::atof(argv[2]) : 64.0;
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;

  const Capture capture = make_capture(static_cast<std::size_t>(megabytes * 1e6));
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("bench_frame_decode_" + std::to_string(::getpid()) + ".hex");
  std::size_t hex_bytes = 0;
  {
    std::ofstream out(file, std::ios::binary);
    constexpr std::size_t kLine = 64;
    for (std::size_t at = 0; at < capture.wire.size(); at += kLine) {
      const std::size_t n = std::min(kLine, capture.wire.size() - at);
      const std::string line = rct::to_hex(std::span(capture.wire).subspan(at, n)) + "\n";
      out << line;
      hex_bytes += line.size();
    }
  }
  std::printf("capture: %.1f MB of wire bytes, %zu frames, %.1f MB of hex text\n",
              static_cast<double>(capture.wire.size()) / 1e6, capture.frames,
              static_cast<double>(hex_bytes) / 1e6);

  const std::string command =
      "'" + rctclient + "' frame decode - < '" + file.string() + "' > /dev/null";
  double best = 1e100;
  double best_cpu = 1e100;
  for (int round = 0; round < rounds; ++round) {
    const double cpu0 = children_cpu_seconds();
    const auto t0 = Clock::now();
    const int status = std::system(command.c_str());
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = children_cpu_seconds() - cpu0;
    best_cpu = std::min(best_cpu, cpu);
    if (status != 0) {
      std::fprintf(stderr, "%s failed (%d)\n", command.c_str(), status);
      std::filesystem::remove(file);
      return 1;
    }
    best = std::min(best, s);
    std::printf("round %d: %.2f s, %.2f s CPU\n", round + 1, s, cpu);
  }
  std::filesystem::remove(file);
  const double wire_mb = static_cast<double>(capture.wire.size()) / 1e6;
  std::printf(
      "frame decode -: %.1f MB/s of wire bytes (%.1f MB/s of hex), %.2f M frames/s, "
      "best of %d\n",
      wire_mb / best, static_cast<double>(hex_bytes) / 1e6 / best,
      static_cast<double>(capture.frames) / 1e6 / best, rounds);
  std::printf("per CPU second: %.1f MB/s of wire bytes\n", wire_mb / best_cpu);
  return 0;
}
