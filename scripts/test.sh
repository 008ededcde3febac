#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test.
#   0. Node-RED 4 from npm into build/node-red, once (for the [node-red] test of the example flow)
#   L. lint: clang-format --dry-run -Werror over every C++ file (first, a few seconds), and
#      clang-tidy (.clang-tidy) over every non-test source, niced in the background from the end
#      of the release build on, so that it mostly uses the CPU the tests leave idle while they
#      wait; its result is collected before the summary.
#   1. release build (-O2, no debug info: CI time): unit + integration tests (ctest)
#   2. AddressSanitizer + UBSan build (clang, -O0, line tables only): the same tests, the unit tests
#      as one ctest per source file (a sanitized test process takes ~0.5 s to start and end)
#   Both are unity builds (CMAKE_UNITY_BUILD: each target's sources compiled in batches of 8),
#   which parse the heavy headers (Asio, nlohmann/json, Catch2, spdlog) once per batch instead
#   of once per file: a clean release tree builds in 196 s instead of 351 s on 2 cores. It also
#   keeps file-local names unique across files, which is checked this way.
#   3. clang libFuzzer build: each fuzz target for RCT_FUZZ_SECONDS (default 30) seconds
#   4. Debian package: scripts/package.sh, then tests/package/package_test.sh (install, run,
#      upgrade, purge; skipped unless root)
#   Warnings are errors in every tree built here (-DRCT_WERROR=ON; off by default for users).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
bash scripts/deps.sh "${RCT_BUILD_PACKAGES[@]}" "${RCT_TEST_PACKAGES[@]}" "${RCT_PACKAGE_PACKAGES[@]}"

jobs=$(nproc)
# Tests spend most of their time waiting on sockets and child processes (brokers, simulators,
# daemons), so ctest runs twice as many at once as there are cores: on 2 cores the release tests
# take 55 s instead of 100 s, the sanitized ones 95 s instead of 150 s. Every wait in them has a
# deadline, not a duration; they also pass at three per core.
ctest_jobs=${RCT_CTEST_JOBS:-$((jobs * 2))}
# The same flags as the demo's build (scripts/demo.sh), so both share one build tree.
release_flags="-O2 -DNDEBUG"
fuzz_seconds=${RCT_FUZZ_SECONDS:-30}
passed=0
failed=0
started=$(date +%s)
stage() { echo "== $1 (at $(( $(date +%s) - started )) s)"; }
# Background jobs (clang-tidy, the package build), each in its own process group, so that an
# abort of this script stops them.
background=()
trap 'for g in "${background[@]}"; do kill -- "-$g" 2>/dev/null || true; done' EXIT

run_ctest() {  # $1 = build dir
  local log="$1/ctest.log" rc=0
  ctest --test-dir "$1" --output-on-failure -j "$ctest_jobs" 2>&1 | tee "$log" || rc=$?
  local p f
  p=$(grep -Eo '[0-9]+ tests? passed' "$log" | grep -Eo '^[0-9]+' || true)
  f=$(grep -Eo '[0-9]+ tests? failed out of [0-9]+' "$log" | grep -Eo '^[0-9]+' || true)
  total=$(grep -Eo 'failed out of [0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  f=${f:-0}
  passed=$((passed + ${total:-0} - f))
  failed=$((failed + f))
  [ $rc -eq 0 ] && [ "$f" -eq 0 ]
}

stage "Node-RED (npm, once)"
# A failed install must not hide the other results: the [node-red] test then fails and says why,
# or, where the npm registry cannot be reached (build/node-red/unavailable), skips and says why.
bash scripts/node-red.sh || [ -f build/node-red/unavailable ] \
  || echo "WARNING: Node-RED could not be installed; the [node-red] test will fail"
export RCT_NODE_RED="$PWD/build/node-red/node_modules/.bin/node-red"
skipped_note=""
if [ -f build/node-red/unavailable ]; then
  skipped_note=" (skipped: the [node-red] test, in both trees: $(cat build/node-red/unavailable))"
fi

stage "lint: clang-format"
# Every tracked C++ file (without git, e.g. an unpacked tarball: every one outside build/).
if git rev-parse --show-toplevel >/dev/null 2>&1; then
  mapfile -t cxx_files < <(git ls-files '*.cpp' '*.h' '*.inc')
else
  mapfile -t cxx_files < <(find . -path ./build -prune -o -type f \
                             \( -name '*.cpp' -o -name '*.h' -o -name '*.inc' \) -print)
fi
format_start=$SECONDS
if clang-format --dry-run -Werror "${cxx_files[@]}"; then
  echo "clang-format: ${#cxx_files[@]} files formatted ($((SECONDS - format_start)) s)"
  passed=$((passed + 1))
else
  echo "FAILED: clang-format (fix with: clang-format -i FILE)"
  failed=$((failed + 1))
fi
# clang-tidy reads the compile database of a tree that is configured, never built. It is a unity
# tree: clang-tidy then parses and walks the heavy headers once per batch of 8 sources instead of
# once per source (19 batches: 233 s of CPU instead of 650 s for the 98 sources one by one). The
# sources' findings are reported as usual, because HeaderFilterRegex (.clang-tidy) covers every
# source directory; bugprone-suspicious-include is off for this run only, as the batches are
# nothing but #includes of .cpp files. Tests off: only non-test sources are checked (core,
# config, daemon, tools, bench).
cmake -S . -B build/lint -G Ninja -DCMAKE_BUILD_TYPE=Release -DRCT_BUILD_TESTS=OFF \
  -DRCT_BUILD_BENCH=ON -DCMAKE_UNITY_BUILD=ON >/dev/null
tidy_files=$(grep -c '"file":' build/lint/compile_commands.json)

stage "release build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=$release_flags" \
  -DCMAKE_UNITY_BUILD=ON -DRCT_BUILD_TESTS=ON -DRCT_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"

# From here on the stages alternate between compiling (which clang-tidy, niced, hardly slows)
# and tests that mostly wait on sockets and processes (whose idle CPU it takes).
stage "lint: clang-tidy over $tidy_files unity batches starts in the background"
setsid bash -c 'TIMEFORMAT="%0R s, %0U s of CPU"
  { time nice -n 10 run-clang-tidy -p build/lint -j "$1" -quiet \
    -checks=-bugprone-suspicious-include >build/lint/clang-tidy.log 2>&1
  } 2>build/lint/clang-tidy.time' _ "$jobs" &
tidy_pid=$!
background+=("$tidy_pid")
stage "tests (release)"
run_ctest build/release || true

stage "AddressSanitizer + UBSan build"
# Compiled by clang, not g++: the same tree builds in 267 s instead of 473 s on 2 cores (clang
# parses and instruments the heavy headers faster), and a second compiler's warnings are errors
# too. The release tree and the package stay with g++.
cmake -S . -B build/asan-clang -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DRCT_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON -DRCT_BUILD_TESTS=ON \
  -DRCT_BUILD_BENCH=OFF -DRCT_UNIT_CTEST_PER_FILE=ON -DRCT_WERROR=ON >/dev/null
cmake --build build/asan-clang -j "$jobs"
stage "tests (ASan + UBSan)"
# ctest starts the tests it knows to be long first, from the times of an earlier run; in a fresh
# clone the only earlier run is the release tree's. Its integration tests have the same names
# here, and starting the 30-second ones first keeps them from trailing alone at the end.
mkdir -p build/asan-clang/Testing/Temporary
cp build/release/Testing/Temporary/CTestCostData.txt build/asan-clang/Testing/Temporary/ \
  2>/dev/null || true
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest build/asan-clang || true

stage "fuzz build (clang, libFuzzer + ASan + UBSan)"
CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCT_FUZZ=ON \
  -DRCT_WERROR=ON >/dev/null
cmake --build build/fuzz -j "$jobs"

# The package build starts now, in the background: the fuzz targets run one at a time on one core
# for a fixed time, which leaves the other core to it.
mkdir -p build
package_log=build/package-build.log
package_start=$SECONDS
setsid bash scripts/package.sh --no-debug >"$package_log" 2>&1 &
package_pid=$!
background+=("$package_pid")

for target in build/fuzz/tests/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=tests/fuzz/seeds/${name#fuzz_}
  echo "== $name for ${fuzz_seconds}s"
  if "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 -rss_limit_mb=2048 \
       -artifact_prefix=build/fuzz/ "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) \
       >build/fuzz/$name.log 2>&1; then
    tail -n 3 build/fuzz/$name.log
    passed=$((passed + 1))
  else
    tail -n 40 build/fuzz/$name.log
    echo "FAILED: $name (log: build/fuzz/$name.log)"
    failed=$((failed + 1))
  fi
done

stage "Debian package build (scripts/package.sh --no-debug)"
if wait "$package_pid"; then
  tail -n 5 "$package_log"
  passed=$((passed + 1))
  deb=$(tail -n 1 "$package_log")
  stage "Debian package tests (tests/package/package_test.sh)"
  rc=0
  bash tests/package/package_test.sh "$deb" || rc=$?
  case $rc in
    0) passed=$((passed + 1)) ;;
    77) echo "(package tests skipped, counted as neither passed nor failed)" ;;
    *) echo "FAILED: package tests"; failed=$((failed + 1)) ;;
  esac
else
  tail -n 40 "$package_log"
  echo "FAILED: package build (log: $package_log)"
  failed=$((failed + 1))
fi
echo "package stage: $((SECONDS - package_start)) s from the start of the package build"

stage "lint: clang-tidy (waiting for it)"
tidy_wait=$SECONDS
if wait "$tidy_pid"; then
  echo "clang-tidy: $tidy_files unity batches clean"
  passed=$((passed + 1))
else
  # The findings without the noise (the command lines, "N warnings generated", suppressions).
  grep -Ev '^(clang-tidy|[0-9]+ warnings? (and [0-9]+ errors? )?generated|Suppressed|Use -header-filter)' \
    build/lint/clang-tidy.log | tail -n 80 || true
  echo "FAILED: clang-tidy (log: build/lint/clang-tidy.log)"
  failed=$((failed + 1))
fi
trap - EXIT
echo "lint stage: clang-tidy took $(cat build/lint/clang-tidy.time) in the background;" \
     "the script waited $((SECONDS - tidy_wait)) s for it at the end"

echo "tests: $passed passed, $failed failed ($(( $(date +%s) - started )) s)$skipped_note"
[ "$failed" -eq 0 ]
