#!/usr/bin/env python3
"""Proxy benchmark: N tools reading through rct2mqtt's local RCT proxy (docs/proxy.md).

Starts Mosquitto and `rctclient simulator` at a real device's speed (200 ms per reply) on free
loopback ports, then rct2mqtt with the shipped settings that matter here: the default poll set at
the example intervals (fast 10 s, slow 60 s, static 3600 s, battery modules 300 s), the
inverter's `frames_per_second = 5`, `proxy_max_age` 15 s and `proxy_frames_per_second` 2 (the
defaults);
`proxy_clients = 24` instead of 8 so that 20 clients fit. Home Assistant discovery is off, the
Prometheus endpoint on.

After a warm-up (the daemon's first full read of everything takes ~40 s at 5 frames/s) the
daemon runs SECONDS alone (N = 0, its own polling), then `bench_proxy_clients` runs N = 1, 5
and 20 core Clients for SECONDS each, every client reading the same 20 values in turn, one READ
at a time, in a loop:

  14 the daemon polls every 10 s (fast), normally answered from the cache:
     dc_conv.dc_conv_struct[0].p_dc_lp, dc_conv.dc_conv_struct[1].p_dc_lp, g_sync.u_sg_avg[0],
     g_sync.u_sg_avg[1], g_sync.p_ac_sum_lp, g_sync.u_l_rms[0..2], g_sync.p_ac_grid_sum_lp,
     grid_pll[0].f, g_sync.p_ac_load_sum_lp, g_sync.p_acc_lp, battery.soc, battery.voltage
   2 it polls rarely (battery.soh every 60 s, inverter_sn every hour), so they are older than
     proxy_max_age most of the time: forwarded, then served from the cache for 15 s
   4 it does not poll at all: forwarded on first ask, then from the cache for 15 s:
     nsm.f_low_entry, nsm.startup_grad, rb485.f_grid[1], rb485.f_grid[2]

Per N it prints:
  answers/s per client   mean, min and max over the clients of the answers each got, per second
  upstream frames/s      the increase of rct2mqtt_frames_sent_total on the metrics endpoint over
                         the run (what the daemon sent to the simulator: its polling and the
                         forwards, re-sends included), per second
  from cache             of the READs the proxy answered, the share it answered from the cache;
                         from the daemon's info line per proxy client when it closes ("F frames,
                         C from cache, W forwarded (A answered)"): sum C / (sum C + sum A). A
                         forwarded READ counts once per client even when clients shared one
                         upstream request.

The upstream figures are also counted from the simulator's own log (--verbose, one line per
frame received): all frames, and the READs of the 14 fast, the 2 rarely polled and the 4 unpolled
values of the bench. Without clients the simulator gets 1.4 READs/s of the fast ones and none of
the unpolled ones, so what lies above that is forwards. The daemon's slow values come every 60 s
in one batch: with rows of 20 s only one row gets it, so compare upstream rates over rows of
60 s (SECONDS = 60).

usage: bench/bench_proxy.py BUILD_DIR [SECONDS (20)] [WARMUP_SECONDS (45)]
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_support import free_port, start_mosquitto, stop, wait_listening

PROXY_BENCH_NAMES = [
    "dc_conv.dc_conv_struct[0].p_dc_lp", "dc_conv.dc_conv_struct[1].p_dc_lp",
    "g_sync.u_sg_avg[0]", "g_sync.u_sg_avg[1]", "g_sync.p_ac_sum_lp", "g_sync.u_l_rms[0]",
    "g_sync.u_l_rms[1]", "g_sync.u_l_rms[2]", "g_sync.p_ac_grid_sum_lp", "grid_pll[0].f",
    "g_sync.p_ac_load_sum_lp", "g_sync.p_acc_lp", "battery.soc", "battery.voltage",
    "battery.soh", "inverter_sn",
    "nsm.f_low_entry", "nsm.startup_grad", "rb485.f_grid[1]", "rb485.f_grid[2]",
]

SIM_LINE = re.compile(r"\] client \d+ → (\w+) 0x[0-9A-Fa-f]+ (\S+)")
CLOSED_LINE = re.compile(r"proxy client .* closed \(.*\) after [0-9.]+ s: (\d+) frames, "
                         r"(\d+) from cache, (\d+) forwarded \((\d+) answered\)")


def scrape(port, metric):
    """The sum of `metric` over its label sets on the daemon's Prometheus endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(metric + "{") or line.startswith(metric + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def closed_lines(log_path, offset):
    """The proxy clients' closing figures logged after byte `offset`: [(frames, cache, fwd, ans)]."""
    with open(log_path, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    return [tuple(int(g) for g in m.groups()) for m in CLOSED_LINE.finditer(text)]


def simulator_reads(log_path, offset):
    """What the simulator logged receiving after byte `offset` (--verbose: one line a frame):
    all frames, and the READs of the fast, rarely polled and unpolled values of the bench."""
    with open(log_path, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    counts = {"all": 0, "fast": 0, "rare": 0, "unpolled": 0}
    for m in SIM_LINE.finditer(text):
        counts["all"] += 1
        if m.group(1) != "READ":
            continue
        name = m.group(2)
        if name in PROXY_BENCH_NAMES[:14]:
            counts["fast"] += 1
        elif name in PROXY_BENCH_NAMES[14:16]:
            counts["rare"] += 1
        elif name in PROXY_BENCH_NAMES[16:]:
            counts["unpolled"] += 1
    return counts


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    warmup = float(sys.argv[3]) if len(sys.argv) > 3 else 45.0
    rct2mqtt = os.path.join(build, "daemon/app/rct2mqtt")
    rctclient = os.path.join(build, "tools/rctclient/rctclient")
    load = os.path.join(build, "bench/bench_proxy_clients")
    tmp = tempfile.mkdtemp(prefix="rct2mqtt-proxy-bench-")
    procs = []
    notify = None
    try:
        broker, mqtt_port = start_mosquitto(tmp)
        procs.append(broker)
        sim_port = free_port()
        sim_log_path = f"{tmp}/simulator.log"
        with open(sim_log_path, "wb") as sim_log:
            procs.append(subprocess.Popen([rctclient, "simulator", "--port", str(sim_port),
                                           "--service-time-ms", "200", "--verbose"],
                                          stdout=sim_log, stderr=sim_log))
        wait_listening(mqtt_port)
        wait_listening(sim_port)
        proxy_port = free_port()
        metrics_port = free_port()
        with open(f"{tmp}/rct2mqtt.toml", "w") as f:
            f.write(f'state_dir = "{tmp}/state"\n[logging]\nlevel = "info"\n'
                    f'[mqtt]\nuri = "tcp://127.0.0.1:{mqtt_port}"\n'
                    f'[homeassistant]\nenabled = false\n'
                    f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n'
                    f'[[inverter]]\nhost = "127.0.0.1"\nport = {sim_port}\n'
                    f'frames_per_second = 5\n'
                    f'proxy = "127.0.0.1:{proxy_port}"\nproxy_clients = 24\n'
                    f'[poll]\ndefaults = true\nfast_interval = 10\nslow_interval = 60\n'
                    f'static_interval = 3600\nmodule_interval = 300\n')
        notify_path = f"{tmp}/notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        env.pop("JOURNAL_STREAM", None)
        log_path = f"{tmp}/rct2mqtt.log"
        log = open(log_path, "wb")
        daemon = subprocess.Popen([rct2mqtt, "-c", f"{tmp}/rct2mqtt.toml"], env=env,
                                  stdout=log, stderr=log)
        log.close()
        procs.append(daemon)
        while b"READY=1" not in notify.recv(4096):
            pass
        wait_listening(proxy_port, timeout=30)
        wait_listening(metrics_port)
        print(f"warm-up {warmup:.0f} s (the daemon's first read of everything) ...", flush=True)
        time.sleep(warmup)

        rows = []
        for n in (0, 1, 5, 20):
            sent0 = scrape(metrics_port, "rct2mqtt_frames_sent_total")
            offset = os.path.getsize(log_path)
            sim_offset = os.path.getsize(sim_log_path)
            t0 = time.monotonic()
            if n == 0:
                time.sleep(seconds)
                clients = []
            else:
                out = subprocess.run([load, "127.0.0.1", str(proxy_port), str(n), str(seconds)]
                                     + PROXY_BENCH_NAMES, capture_output=True, text=True,
                                     timeout=seconds + 60, check=True)
                clients = json.loads(out.stdout)["clients"]
            elapsed = time.monotonic() - t0
            sent = scrape(metrics_port, "rct2mqtt_frames_sent_total") - sent0
            closed = []
            deadline = time.monotonic() + 10
            while n and len(closed) < n and time.monotonic() < deadline:
                time.sleep(0.1)
                closed = closed_lines(log_path, offset)
            received = simulator_reads(sim_log_path, sim_offset)
            rows.append((n, clients, sent / elapsed, closed,
                         {k: v / elapsed for k, v in received.items()}))
            if daemon.poll() is not None:
                raise SystemExit(f"rct2mqtt exited with {daemon.returncode}")

        print(f"\n{seconds:.0f} s per row, 20 values per client in turn. Upstream: "
              f"rct2mqtt_frames_sent_total per second (metrics) / frames the simulator logged "
              f"per second; READs/s the simulator got of the bench's 14 fast, 2 rarely polled "
              f"and 4 unpolled values\n")
        print("| clients | answers/s per client: mean (min–max) | failed reads | "
              "upstream frames/s: sent / received | of them READs/s: fast, rare, unpolled | "
              "proxy READs answered | from cache | forwarded (answered) |")
        print("|---|---|---|---|---|---|---|---|")
        for n, clients, upstream, closed, sim in rows:
            sim_text = (f"{upstream:.2f} / {sim['all']:.2f}",
                        f"{sim['fast']:.2f}, {sim['rare']:.2f}, {sim['unpolled']:.2f}")
            if n == 0:
                print(f"| 0 (daemon alone) | – | – | {sim_text[0]} | {sim_text[1]} | – | – | – |")
                continue
            rates = [c["answers"] / seconds for c in clients]
            failed = {}
            for c in clients:
                for k, v in c["failed"].items():
                    failed[k] = failed.get(k, 0) + v
            failed_text = ", ".join(f"{v} {k}" for k, v in sorted(failed.items())) or "0"
            cache = sum(c[1] for c in closed)
            fwd = sum(c[2] for c in closed)
            ans = sum(c[3] for c in closed)
            share = f"{100 * cache / (cache + ans):.2f} %" if cache + ans else "–"
            logged = "" if len(closed) == n else f" (logged for {len(closed)} of {n})"
            print(f"| {n} | {sum(rates) / n:.1f} ({min(rates):.1f}–{max(rates):.1f}) | "
                  f"{failed_text} | {sim_text[0]} | {sim_text[1]} | {cache + ans}{logged} | "
                  f"{share} | {fwd} ({ans}) |")
        means = [f"{n}: {sum(c['mean_answer_ms'] for c in cl) / n:.2f} ms"
                 for n, cl, _, _, _ in rows if n]
        print(f"\nmean time to an answer, per N: {', '.join(means)}")
    finally:
        stop(procs)
        if notify is not None:
            notify.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
