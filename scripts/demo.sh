#!/usr/bin/env bash
# The run command: installs what is missing, builds, and shows the protocol core at work.
# (The daemon demo — simulator → rct2mqtt → Mosquitto — replaces this once the daemon exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
bash scripts/deps.sh "${RCT_BUILD_PACKAGES[@]}"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCT_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)" --target rctclient
rc=build/release/tools/rctclient/rctclient
show() { echo; echo "\$ rctclient $*"; "$rc" "$@"; }
show registry show battery.soc
show frame encode --command READ --id 0x959930BF
show frame decode 002b0508959930bf3e97b1919c86
show value decode --type float 3e97b191
show registry list --group battery
