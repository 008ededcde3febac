#!/usr/bin/env bash
# The run command: installs what is missing, builds rctclient and rct2mqtt, then runs the whole
# chain on loopback: simulator (:18899) → rct2mqtt → Mosquitto (:1883, started unless one is
# already listening) → a live mosquitto_sub view, until Ctrl-C (or until stopped, e.g.
# `timeout 20 bash scripts/demo.sh`). Background processes are cleaned up on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
bash scripts/deps.sh "${RCT_BUILD_PACKAGES[@]}" "${RCT_RUN_PACKAGES[@]}"
# Tests are not needed to run the demo (and their Catch2 package is not installed for it).
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCMAKE_UNITY_BUILD=ON -DRCT_BUILD_TESTS=OFF -DRCT_WERROR=ON >/dev/null
cmake --build build/release -j "$(nproc)" --target rctclient rct2mqtt

demo=build/demo
mkdir -p "$demo/state"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_listening() {
  for _ in $(seq 50); do listening "$1" && return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

if listening 1883; then
  echo "using the MQTT broker already listening on 127.0.0.1:1883"
else
  mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > "$demo/mosquitto.conf"
  # With accounts and access control instead (docs/mqtt.md section 9): only the bridge, Home
  # Assistant and Node-RED accounts may send commands, every other account only reads. Replace
  # the line above with these, and give rct2mqtt its account below ([mqtt] username/password):
  #   mosquitto_passwd -c -b "$demo/passwd" rct2mqtt demo-bridge
  #   mosquitto_passwd -b "$demo/passwd" nodered demo-nodered
  #   printf 'listener 1883 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\n' \
  #     "$PWD/$demo/passwd" "$PWD/examples/mosquitto/rct2mqtt.acl" > "$demo/mosquitto.conf"
  "$mosquitto_bin" -c "$demo/mosquitto.conf" >"$demo/mosquitto.log" 2>&1 &
  pids+=($!)
  wait_listening 1883
  echo "started Mosquitto on 127.0.0.1:1883 (log: $demo/mosquitto.log)"
fi

build/release/tools/rctclient/rctclient simulator --port 18899 --time-scale 60 \
  >"$demo/simulator.log" 2>&1 &
pids+=($!)
wait_listening 18899
echo "started the simulator on 127.0.0.1:18899 (log: $demo/simulator.log)"

cat >"$demo/rct2mqtt.toml" <<TOML
# Written by scripts/demo.sh: the simulator on loopback, short intervals.
state_dir = "$PWD/$demo/state"

[mqtt]
uri = "tcp://127.0.0.1:1883"
client_id = "rct2mqtt-demo"
# With the access-controlled broker above:
#username = "rct2mqtt"
#password = "demo-bridge"

[[inverter]]
host = "127.0.0.1"
port = 18899

[poll]
fast_interval = 2
slow_interval = 10
TOML

build/release/daemon/app/rct2mqtt -c "$demo/rct2mqtt.toml" 2>"$demo/rct2mqtt.log" &
pids+=($!)
echo "started rct2mqtt (log: $demo/rct2mqtt.log); values as they arrive (Ctrl-C stops):"
echo
mosquitto_sub -h 127.0.0.1 -p 1883 -v -t 'rct2mqtt/#' &
pids+=($!)
wait "${pids[-1]}"
