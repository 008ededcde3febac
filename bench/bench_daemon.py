#!/usr/bin/env python3
"""Daemon benchmark: rct2mqtt polling the default set (~100 values) against the simulator.

Starts Mosquitto and `rctclient simulator` (service time 5 ms) on free loopback ports, then
rct2mqtt with every value on a 1 s interval and a NOTIFY_SOCKET of our own. Prints the
start-to-READY time, its memory at the end (RSS, PSS, private and anonymous memory from
/proc/PID/smaps_rollup, peak RSS from VmHWM; bench_support.memory_kib says what each counts:
private is what the daemon itself adds) and CPU seconds per 1,000 values published (utime +
stime of the daemon against the messages a subscriber saw).

usage: bench/bench_daemon.py BUILD_DIR [SECONDS]
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from bench_support import free_port, memory_kib, start_mosquitto, wait_listening


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    rct2mqtt = os.path.join(build, "daemon/app/rct2mqtt")
    rctclient = os.path.join(build, "tools/rctclient/rctclient")
    tmp = tempfile.mkdtemp(prefix="rct2mqtt-bench-")
    procs = []
    try:
        broker, mqtt_port = start_mosquitto(tmp)
        procs.append(broker)
        sim_port = free_port()
        procs.append(subprocess.Popen([rctclient, "simulator", "--port", str(sim_port),
                                       "--service-time-ms", "5"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_listening(mqtt_port)
        wait_listening(sim_port)
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(mqtt_port), "-v",
                                "-t", "rct2mqtt/#"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        procs.append(sub)
        with open(f"{tmp}/rct2mqtt.toml", "w") as f:
            f.write(f'state_dir = "{tmp}/state"\n[logging]\nlevel = "warn"\n'
                    f'[mqtt]\nuri = "tcp://127.0.0.1:{mqtt_port}"\nheartbeat = 10\n'
                    f'[homeassistant]\nenabled = false\n'
                    f'[[inverter]]\nhost = "127.0.0.1"\nport = {sim_port}\n'
                    f'frames_per_second = 100\n'
                    f'[poll]\nfast_interval = 1\nslow_interval = 1\nstatic_interval = 1\n')
        notify_path = f"{tmp}/notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        started = time.monotonic()
        daemon = subprocess.Popen([rct2mqtt, "-c", f"{tmp}/rct2mqtt.toml"], env=env,
                                  stderr=subprocess.DEVNULL)
        procs.append(daemon)
        while b"READY=1" not in notify.recv(4096):
            pass
        ready_ms = (time.monotonic() - started) * 1000

        os.set_blocking(sub.stdout.fileno(), False)
        count = 0
        cpu0 = cpu_seconds(daemon.pid)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.2)
            try:
                count += os.read(sub.stdout.fileno(), 1 << 20).count(b"\n")
            except BlockingIOError:
                pass
        cpu = cpu_seconds(daemon.pid) - cpu0
        mem = memory_kib(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
        print(f"start to READY:             {ready_ms:.1f} ms")
        print(f"RSS (Rss):                  {mem['rss'] / 1024:.1f} MiB")
        print(f"PSS (Pss):                  {mem['pss'] / 1024:.1f} MiB")
        print(f"private (Private_*):        {mem['private'] / 1024:.1f} MiB "
              f"(what the daemon itself adds)")
        print(f"anonymous (Anonymous):      {mem['anonymous'] / 1024:.1f} MiB (heap and stacks)")
        print(f"peak RSS (VmHWM):           {mem['hwm'] / 1024:.1f} MiB")
        print(f"values published:           {count} in {seconds:.0f} s ({count / seconds:.0f}/s)")
        if count:
            print(f"CPU per 1,000 values:       {cpu / count * 1000:.3f} s "
                  f"({cpu:.2f} s CPU in {seconds:.0f} s)")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
