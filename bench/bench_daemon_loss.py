#!/usr/bin/env python3
"""The whole daemon on a lossy link: rct2mqtt (scheduler + client) polling the simulator at a
real device's speed (200 ms per reply, 5 replies/s) while the simulator loses a share of its
replies, a third each dropped, cut short with a valid CRC and sent with a CRC error.

Every value is asked for more often than the link can serve (fast values every second, the rest
every 10 s, budget frames_per_second = 5 as shipped), so the link is the bottleneck. The daemon's
own debug summary (every 10 s: "N answers, M failed reads") gives the answers; the first
`warm-up` seconds (inventory, discovery) are left out. Prints answers/s against the limit
5/s × (1 − loss) per loss level.

usage: bench/bench_daemon_loss.py BUILD_DIR [SECONDS] [LOSS_PERCENT ...]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from bench_support import free_port, start_mosquitto, stop, wait_listening

SUMMARY = re.compile(rb"(\d+) answers, (\d+) failed reads in the last (\d+) s")
WARM_UP = 20.0


def run(build, seconds, loss_percent):
    rct2mqtt = os.path.join(build, "daemon/app/rct2mqtt")
    rctclient = os.path.join(build, "tools/rctclient/rctclient")
    tmp = tempfile.mkdtemp(prefix="rct2mqtt-bench-loss-")
    procs = []
    try:
        broker, mqtt_port = start_mosquitto(tmp)
        procs.append(broker)
        sim_port = free_port()
        share = loss_percent / 100.0 / 3
        sim = [rctclient, "simulator", "--port", str(sim_port), "--service-time-ms", "200"]
        if share > 0:
            for fault in ("drop", "truncate", "corrupt_crc"):
                sim += ["--fault", f"{fault}={share:.4f}"]
        procs.append(subprocess.Popen(sim, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        wait_listening(mqtt_port)
        wait_listening(sim_port)
        with open(f"{tmp}/rct2mqtt.toml", "w") as f:
            f.write(f'state_dir = "{tmp}/state"\n[logging]\nlevel = "debug"\n'
                    f'[mqtt]\nuri = "tcp://127.0.0.1:{mqtt_port}"\n'
                    f'[[inverter]]\nhost = "127.0.0.1"\nport = {sim_port}\n'
                    f'[poll]\nfast_interval = 1\nslow_interval = 10\n')
        log = open(f"{tmp}/daemon.log", "wb")
        daemon = subprocess.Popen([rct2mqtt, "-c", f"{tmp}/rct2mqtt.toml"],
                                  stdout=log, stderr=subprocess.STDOUT)
        procs.append(daemon)
        time.sleep(WARM_UP + seconds)
        stop(procs)
        log.close()
        with open(f"{tmp}/daemon.log", "rb") as f:
            lines = [m for m in (SUMMARY.search(line) for line in f) if m]
        # Each summary covers the 10 s before it; skip those that end within the warm-up.
        skip = int(WARM_UP // 10)
        counted = lines[skip:]
        answers = sum(int(m.group(1)) for m in counted)
        failed = sum(int(m.group(2)) for m in counted)
        span = sum(int(m.group(3)) for m in counted)
        return answers, failed, span
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
    losses = [float(a) for a in sys.argv[3:]] or [0.0, 5.0, 9.0, 10.0, 20.0]
    print("| loss | limit answers/s | answers/s | of limit | failed reads | measured |")
    print("|---|---|---|---|---|---|")
    for loss in losses:
        answers, failed, span = run(build, seconds, loss)
        limit = 5.0 * (1 - loss / 100.0)
        rate = answers / span if span else 0.0
        print(f"| {loss:g} % | {limit:.2f} | {rate:.2f} | {rate / limit:.2f} | {failed} | "
              f"{span} s |", flush=True)


if __name__ == "__main__":
    main()
