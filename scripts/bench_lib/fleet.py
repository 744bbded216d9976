"""Fleet mode: a plant of N idle devices (1 000 / 4 000 / 10 000) as one or more fleet processes.

One process holds as many devices as its open-file hard limit allows (docs/fleet.md: 13
descriptors per device with room for connections); a larger plant is several processes with
disjoint slices (`--first-index`), as scripts/plant-member runs them. Measured after one second
of idling: start to ready (until the last process's ready line), resident memory per device,
threads, and descriptors per device (/proc/PID/status, /proc/PID/task, /proc/PID/fd, summed over
the processes). A plant needing more PTYs than `kernel.pty.max` allows raises it when run as root
(and restores it); otherwise the row says what it needs."""

import json
import os
import resource
import subprocess
import threading
import time

PTY = "/proc/sys/kernel/pty/"
DESCRIPTORS_PER_DEVICE = 13
PROCESS_DESCRIPTORS = 400
SIZES = (1000, 4000, 10000)
# CPU an idle device takes (its PTY look every 20 ms; docs/fleet.md "Idle CPU"), in cores.
IDLE_CORES_PER_DEVICE = 0.0008


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def per_process_limit():
    """How many devices one process may hold under the open-file hard limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    return max(1, (hard - PROCESS_DESCRIPTORS) // DESCRIPTORS_PER_DEVICE)


class PtyLimit:
    """Raises kernel.pty.max to fit `count` more PTYs while in the `with` block, if needed and
    allowed; `error` says why not."""

    def __init__(self, count):
        self.count, self.saved, self.error = count, None, None

    def __enter__(self):
        needed = self.count + read_int(PTY + "reserve") + read_int(PTY + "nr") + 64
        current = read_int(PTY + "max")
        if current < needed:
            try:
                with open(PTY + "max", "w") as f:
                    f.write(str(needed))
                self.saved = current
            except OSError as e:
                self.error = f"needs kernel.pty.max >= {needed} (is {current}; {e.strerror})"
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            with open(PTY + "max", "w") as f:
                f.write(str(self.saved))


def proc_sum(pids):
    """Threads, descriptors and resident KiB of the processes together."""
    threads = fds = rss = 0
    for pid in pids:
        threads += len(os.listdir(f"/proc/{pid}/task"))
        fds += len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/status") as f:
            rss += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return threads, fds, rss


def measure(sim, workdir, count, base="127.0.78.0", force=False):
    """Starts the plant of `count` devices, waits for every ready line, idles one second,
    measures, stops it. Returns the row. A plant whose idle devices alone would want more
    cores than the machine has is not started unless `force`: it would saturate the machine
    (a 4 000-device plant on 2 cores pushed the load average past 3 000)."""
    per = min(count, per_process_limit())
    members = -(-count // per)
    row = {"count": count, "processes": members}
    idle_cores = count * IDLE_CORES_PER_DEVICE
    if idle_cores > (os.cpu_count() or 1) and not force:
        row["skipped"] = (f"its idle devices want about {idle_cores:.1f} cores, the machine has "
                          f"{os.cpu_count()} (--fleet-force runs it anyway)")
        return row
    with PtyLimit(count) as ptys:
        if ptys.error:
            row["skipped"] = ptys.error
            return row
        d = os.path.join(workdir, f"fleet{count}")
        procs, drains = [], []
        os.makedirs(d, exist_ok=True)
        start = time.monotonic()
        try:
            for k in range(members):
                n = min(per, count - k * per)
                p = subprocess.Popen(
                    [sim, "fleet", "--count", str(n), "--first-index", str(k * per),
                     "--ip-base", base, "--log", "error", "--set", "sim.free_ports=true",
                     "--pty-dir", os.path.join(d, "ptys"),
                     "--state-dir", os.path.join(d, f"state{k}")],
                    stdout=subprocess.PIPE,
                    stderr=open(os.path.join(d, f"stderr{k}.log"), "wb"))
                procs.append(p)
            devices = 0
            for p in procs:
                line = p.stdout.readline()
                if not line:
                    p.wait()
                    with open(os.path.join(d, f"stderr{procs.index(p)}.log")) as f:
                        row["skipped"] = "a member failed: " + f.read()[-400:]
                    return row
                devices += len(json.loads(line)["devices"])
                # Keeps reading, so a member never waits on a full pipe.
                t = threading.Thread(target=lambda s=p.stdout: [None for _ in s], daemon=True)
                t.start()
                drains.append(t)
            row["ready_s"] = time.monotonic() - start
            # The ready line comes before the devices' loop threads start: wait for them all.
            expected = devices + 2 * members
            while proc_sum([p.pid for p in procs])[0] < expected:
                if time.monotonic() - start > 600:
                    break
                time.sleep(0.1)
            row["running_s"] = time.monotonic() - start
            time.sleep(1.0)
            threads, fds, rss = proc_sum([p.pid for p in procs])
            row.update(count=devices, threads=threads, fds_per_device=fds / devices,
                       rss_per_device_kib=rss / devices)
            return row
        finally:
            stop_start = time.monotonic()
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            row["stop_s"] = time.monotonic() - stop_start


def table(results):
    """A markdown table of the fleet measurements."""
    rows = ["| devices | processes | start to ready (s) | to every loop running (s) "
            "| resident memory per device (KiB) | threads | descriptors per device | stop (s) |",
            "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "skipped" in r:
            rows.append(f"| {r['count']} | {r['processes']} | not run: {r['skipped']} | | | | | |")
            continue
        rows.append(f"| {r['count']} | {r['processes']} | {r['ready_s']:.2f} | {r['running_s']:.2f} "
                    f"| {r['rss_per_device_kib']:.0f} | {r['threads']} "
                    f"| {r['fds_per_device']:.1f} | {r.get('stop_s', 0):.2f} |")
    return "\n".join(rows)
