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


def under_load(sim, workdir, count=100, seconds=3.0, baud=921600, base="127.0.79.0"):
    """`count` devices paced at `baud`, each moving `seconds` worth of the line network→serial at
    once: every device gets its bytes on one TCP connection and its serial-side program reads
    them from its PTY. Returns the aggregate rate (all bytes / first to last arrival) and, per
    device, the rate measured as for the fidelity rows (slope through the arrivals); the worst
    device's deviation from baud/10 is the pacing error under load."""
    import select
    import socket
    import statistics

    import measure

    d = os.path.join(workdir, f"fleet-load{count}")
    proc = subprocess.Popen(
        [sim, "fleet", "--count", str(count), "--ip-base", base, "--log", "error",
         "--set", "sim.free_ports=true", "--set", f"port1.serial.baud={baud}",
         "--set", "port1.serial.inter_char_timeout_ms=0",
         "--pty-dir", os.path.join(d, "ptys"), "--state-dir", os.path.join(d, "state")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    fds, socks = [], []
    try:
        devices = json.loads(proc.stdout.readline())["devices"]
        for dev in devices:
            fds.append(measure.open_serial(dev["link"] or dev["pty"], baud))
            s = socket.create_connection((dev["ip"], dev["ports"]["data"]), timeout=5)
            s.setblocking(False)
            socks.append(s)
        measure.settle()
        nbytes = int(baud / 10 * seconds)
        data = (measure.PATTERN * (nbytes // measure.PERIOD + 1))[:nbytes]
        sent = [0] * len(devices)
        streams = [measure.Stream() for _ in devices]
        arrivals = [([], []) for _ in devices]
        poller = select.poll()
        by_fd = {}
        for i, fd in enumerate(fds):
            poller.register(fd, select.POLLIN)
            by_fd[fd] = ("pty", i)
        for i, s in enumerate(socks):
            poller.register(s.fileno(), select.POLLOUT)
            by_fd[s.fileno()] = ("sock", i)
        deadline = time.perf_counter() + seconds * 3 + 10
        while time.perf_counter() < deadline and any(st.n < nbytes for st in streams):
            for fd, _ in poller.poll(200):
                kind, i = by_fd[fd]
                if kind == "sock":
                    try:
                        sent[i] += socks[i].send(data[sent[i]:sent[i] + 65536])
                    except (BlockingIOError, InterruptedError):
                        pass
                    if sent[i] >= nbytes:
                        poller.unregister(fd)
                else:
                    try:
                        chunk = os.read(fd, 65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    streams[i].feed(chunk)
                    arrivals[i][0].append(time.perf_counter())
                    arrivals[i][1].append(streams[i].n)
        rates = []
        for times, counts in arrivals:
            if len(times) < 3:
                rates.append(0.0)
                continue
            slope, _ = statistics.linear_regression([t - times[0] for t in times], counts)
            rates.append(slope)
        first = min(t[0][0] for t in arrivals if t[0])
        last = max(t[0][-1] for t in arrivals if t[0])
        theory = baud / 10
        worst = max(rates, key=lambda r: abs(r / theory - 1))
        return {"count": len(devices), "baud": baud, "aggregate": sum(s.n for s in streams) /
                (last - first), "theory_aggregate": theory * len(devices),
                "worst_rate": worst, "worst_error_pct": (worst / theory - 1) * 100,
                "intact": all(s.bad_at is None and s.n == nbytes for s in streams),
                "received": sum(s.n for s in streams), "expected": nbytes * len(devices)}
    finally:
        for s in socks:
            s.close()
        for fd in fds:
            os.close(fd)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load_table(r):
    """A markdown table of the fleet-under-load measurement."""
    return "\n".join([
        "| devices | baud | aggregate rate (B/s; theory) | worst device's rate (B/s; error) "
        "| all streams intact |",
        "|---|---|---|---|---|",
        f"| {r['count']} | {r['baud']} | {r['aggregate']:.0f} ({r['theory_aggregate']:.0f}) | "
        f"{r['worst_rate']:.1f} ({r['worst_error_pct']:+.3f}%) | "
        f"{'yes' if r['intact'] else 'no: %d of %d bytes' % (r['received'], r['expected'])} |",
    ])
