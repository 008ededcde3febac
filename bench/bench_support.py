"""What the daemon benches share: free loopback ports, a broker of their own, stopping processes."""
import shutil
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def start_mosquitto(tmp):
    """A Mosquitto of our own on a free loopback port: (process, port)."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    with open(f"{tmp}/mosquitto.conf", "w") as f:
        f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    proc = subprocess.Popen([mosquitto, "-c", f"{tmp}/mosquitto.conf"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def memory_kib(pid):
    """The memory of process `pid` in KiB, from /proc/PID/smaps_rollup and /proc/PID/status.

    rss        Rss: every page the process has in RAM, shared ones (libc, libstdc++, Paho,
               libraries other processes map too) counted in full.
    pss        Pss: the same with each shared page divided by the number of processes mapping
               it; summed over all processes it is the RAM in use, so it is the fair share.
    private    Private_Clean + Private_Dirty: pages no other process maps (heap, stacks, the
               binary's own pages): what the machine gets back when the daemon exits, i.e. what
               the daemon itself adds. It drops when another process maps the same file pages
               (a second rct2mqtt of the same build).
    anonymous  Anonymous: heap, stacks and written data pages alone, the part of `private` the
               daemon made itself; the steadiest figure from run to run.
    hwm        VmHWM: the peak of rss.
    """
    keys = {"Rss": 0, "Pss": 0, "Private_Clean": 0, "Private_Dirty": 0, "Anonymous": 0}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in keys:
                keys[name] = int(rest.split()[0])
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return {"rss": keys["Rss"], "pss": keys["Pss"],
            "private": keys["Private_Clean"] + keys["Private_Dirty"],
            "anonymous": keys["Anonymous"], "hwm": hwm}


def stop(procs):
    """SIGTERM to every process still running, newest first; then wait, killing stragglers."""
    for p in reversed(procs):
        if p.poll() is None:
            try:
                p.terminate()
            except OSError:
                pass
    for p in reversed(procs):
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
