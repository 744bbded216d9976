"""Fleet mode: start-up time and resident memory per device for N devices in one process."""

import json
import os
import subprocess
import time


def measure(sim, workdir, count, base="127.0.78.0"):
    """Starts `m2285-sim fleet --count N`, waits for its ready line, reads VmRSS after one second
    of idling, and stops it. Returns seconds to ready and KiB of resident memory per device."""
    d = os.path.join(workdir, f"fleet{count}")
    start = time.monotonic()
    proc = subprocess.Popen(
        [sim, "fleet", "--count", str(count), "--ip-base", base, "--log", "error",
         "--set", "sim.free_ports=true", "--pty-dir", os.path.join(d, "ptys"),
         "--state-dir", os.path.join(d, "state")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline()
        ready = time.monotonic() - start
        devices = len(json.loads(line)["devices"])
        time.sleep(1.0)
        rss_kib = 0
        with open(f"/proc/{proc.pid}/status") as f:
            for entry in f:
                if entry.startswith("VmRSS:"):
                    rss_kib = int(entry.split()[1])
        return {"count": devices, "ready_s": ready, "rss_per_device_kib": rss_kib / devices}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def table(results):
    """A markdown table of the fleet measurements."""
    rows = ["| devices | start to ready (s) | resident memory per device (KiB) |",
            "|---|---|---|"]
    for r in results:
        rows.append(f"| {r['count']} | {r['ready_s']:.3f} | {r['rss_per_device_kib']:.0f} |")
    return "\n".join(rows)
