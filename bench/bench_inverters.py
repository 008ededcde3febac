#!/usr/bin/env python3
"""Many-inverter benchmark: what each extra inverter costs one rct2mqtt process.

For N = 1, 10, 50 (or the counts given): Mosquitto on a free loopback port, N `rctclient
simulator` processes (one simulated inverter each, own port, own seed and so own serial number;
one simulator is one serial link, so N inverters need N of them; their memory is not measured),
and rct2mqtt with one [[inverter]] per simulator, Home Assistant discovery on, every value on one
interval. Once every inverter has said `online` (deadline, not a sleep), the daemon runs CYCLES
poll cycles; then its private memory (Private_Clean + Private_Dirty of smaps_rollup: heap, stacks
and the pages of its binary and libraries no other process maps, so another rct2mqtt of the same
build, or any process sharing a library with it, lowers the figure: on a busy machine it moves
by several hundred kB from run to run), anonymous memory (heap and stacks alone: the steadier
figure), PSS (shared pages divided among the processes that map them), RSS, peak RSS (VmHWM)
(bench_support.memory_kib) and CPU (utime + stime) per reply are read. The per-extra-inverter
figures are (M(N) - M(first N)) / (N - first N). Replies are counted where they are sent:
the simulators log each one (--verbose, "→ all: ..."), so the count includes every read the
daemon handled, published or suppressed by a deadband.

usage: bench/bench_inverters.py BUILD_DIR [--cycles K] [--interval S] [N ...]
"""
import argparse
import glob
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

from bench_support import memory_kib, start_mosquitto, stop, wait_listening

START_DEADLINE = 120.0  # s for every inverter to come online


def read_line(proc, deadline):
    """One line of proc's stdout, or SystemExit at the deadline."""
    data = b""
    fd = proc.stdout.fileno()
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SystemExit("simulator did not say where it listens")
        chunk = os.read(fd, 1)
        if not chunk:
            raise SystemExit("simulator exited before listening")
        data += chunk
    return data.decode()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def replies_sent(log_dir):
    total = 0
    for path in glob.glob(f"{log_dir}/sim-*.log"):
        with open(path, "rb") as f:
            total += f.read().count("→ all:".encode())
    return total


def run(build, n, cycles, interval):
    rct2mqtt = os.path.join(build, "daemon/app/rct2mqtt")
    rctclient = os.path.join(build, "tools/rctclient/rctclient")
    tmp = tempfile.mkdtemp(prefix="rct2mqtt-bench-inverters-")
    procs = []
    try:
        broker, mqtt_port = start_mosquitto(tmp)
        procs.append(broker)
        sim_ports = []
        for i in range(n):
            with open(f"{tmp}/sim-{i}.log", "wb") as log:
                sim = subprocess.Popen([rctclient, "simulator", "--port", "0", "--seed",
                                        str(i + 1), "--service-time-ms", "2", "--verbose"],
                                       stdout=subprocess.PIPE, stderr=log)
            procs.append(sim)
            line = read_line(sim, time.monotonic() + 10)  # "listening on 127.0.0.1:PORT"
            sim_ports.append(int(line.rsplit(":", 1)[1]))
        wait_listening(mqtt_port)

        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(mqtt_port), "-v",
                                "-t", "rct2mqtt/+/status"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        procs.append(sub)
        secs = f"{interval:g}"
        with open(f"{tmp}/rct2mqtt.toml", "w") as f:
            f.write(f'state_dir = "{tmp}/state"\n[logging]\nlevel = "warn"\n'
                    f'[mqtt]\nuri = "tcp://127.0.0.1:{mqtt_port}"\n'
                    f'[poll]\nfast_interval = {secs}\nslow_interval = {secs}\n'
                    f'static_interval = {secs}\n')
            for i, port in enumerate(sim_ports):
                f.write(f'[[inverter]]\nname = "sim{i}"\nhost = "127.0.0.1"\nport = {port}\n'
                        f'frames_per_second = 100\n')
        daemon = subprocess.Popen([rct2mqtt, "-c", f"{tmp}/rct2mqtt.toml"],
                                  stderr=subprocess.DEVNULL)
        procs.append(daemon)

        # Every inverter online: N serials said "online" on <base>/<serial>/status.
        online = set()
        buf = b""
        fd = sub.stdout.fileno()
        deadline = time.monotonic() + START_DEADLINE
        while len(online) < n:
            left = deadline - time.monotonic()
            if daemon.poll() is not None:
                raise SystemExit(f"rct2mqtt exited ({daemon.returncode}) before all were online")
            if left <= 0:
                raise SystemExit(f"N={n}: only {len(online)} inverters online after "
                                 f"{START_DEADLINE:.0f} s")
            if select.select([fd], [], [], min(left, 1.0))[0]:
                buf += os.read(fd, 1 << 16)
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    topic, _, payload = line.partition(b" ")
                    if payload == b"online":
                        online.add(topic)
                    elif payload == b"offline":
                        online.discard(topic)

        # Start the window at a cycle boundary of nobody in particular: the inverters came up at
        # different times, so any moment sees the same mix of cycles in flight.
        cpu0, replies0, t0 = cpu_seconds(daemon.pid), replies_sent(tmp), time.monotonic()
        time.sleep(cycles * interval)  # the measurement window, not a synchronisation
        cpu1, replies1, t1 = cpu_seconds(daemon.pid), replies_sent(tmp), time.monotonic()
        mem = memory_kib(daemon.pid)
        if daemon.poll() is not None:
            raise SystemExit(f"rct2mqtt exited ({daemon.returncode}) while measured")
        replies = replies1 - replies0
        return {
            "n": n,
            "private": mem["private"],
            "anonymous": mem["anonymous"],
            "pss": mem["pss"],
            "rss": mem["rss"],
            "hwm": mem["hwm"],
            "replies": replies,
            "seconds": t1 - t0,
            "cpu": cpu1 - cpu0,
        }
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("counts", nargs="*", type=int, default=[1, 10, 50])
    ap.add_argument("--cycles", type=int, default=4, help="poll cycles measured (default 4)")
    ap.add_argument("--interval", type=float, default=5.0,
                    help="poll interval of every value, s (default 5)")
    args = ap.parse_args()

    rows = [run(args.build, n, args.cycles, args.interval) for n in args.counts]
    base = rows[0]
    print(f"{args.cycles} cycles of {args.interval:g} s per row; memory in kB (KiB)")
    print("| inverters | private | anonymous | per extra inverter (private / anonymous) | PSS "
          "| RSS | peak RSS (VmHWM) | replies/s | CPU µs per reply |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        extra = "–"
        if r["n"] != base["n"]:
            extra = " / ".join(f"{(r[k] - base[k]) / (r['n'] - base['n']):.0f}"
                               for k in ("private", "anonymous"))
        per_reply = f"{r['cpu'] / r['replies'] * 1e6:.0f}" if r["replies"] else "–"
        print(f"| {r['n']} | {r['private']} | {r['anonymous']} | {extra} | {r['pss']} "
              f"| {r['rss']} "
              f"| {r['hwm']} | {r['replies'] / r['seconds']:.0f} | {per_reply} |")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    main()
