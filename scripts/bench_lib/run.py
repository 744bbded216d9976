"""scripts/bench: m2285-sim against socat and ser2net in the same position, in one run.

Prints one table of measurements and ratios (sim / other) and writes it into docs/BENCHMARKS.md
between the `bench:begin` and `bench:end` markers (the rest of that file is kept). It never
decides pass or fail: the numbers are only meaningful relative to each other on the same machine.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import fleet
import measure
import sessions
import setups
from progress import Progress
from procstat import rss_kib, total_cpu

SERVERS = ["sim", "ser2net", "ser2net-nocd", "socat"]
LABEL = {"sim": "m2285-sim", "ser2net": "ser2net", "ser2net-nocd": "ser2net chardelay off",
         "socat": "socat"}
MIB = 1024 * 1024
NO_PACING = {k: "no pacing¹" for k in SERVERS[1:]}  # the cells of the simulator-only rows


# The status line on a terminal (progress.py); replaced in main() once the total is known.
PROGRESS = Progress(1)


def log(msg):
    PROGRESS.log(f"[bench {time.strftime('%H:%M:%S')}] {msg}")


def begin(what):
    """Shows `what` as the work in progress."""
    PROGRESS.start(what)


def done(n=1):
    """Counts `n` pieces of work as finished."""
    PROGRESS.step(n)


def throughput(kind, args, workdir, direction, pacing, baud=921600):
    # Paced, only what the line can carry in the run's time is written: more would only wait in
    # socket and PTY buffers after the clock stops.
    limit = int(baud / 10 * args.seconds) if pacing else None
    with setups.start(kind, args.sim, workdir, baud=baud, pacing=pacing) as srv:
        fd = measure.open_serial(srv.serial_path, baud)
        sock = measure.connect(srv.ip, srv.port)
        try:
            measure.settle()
            idle = rss_kib(srv.pids)
            cpu0, hcpu0 = total_cpu(srv.pids), total_cpu(srv.helper_pids)
            r = measure.pump(direction, fd, sock, args.seconds, srv.pids, limit=limit)
            r["cpu"] = total_cpu(srv.pids) - cpu0
            r["helper_cpu"] = total_cpu(srv.helper_pids) - hcpu0
            r["rss_idle_kib"] = idle
        finally:
            sock.close()
            os.close(fd)
    derive(r)
    log(f"{kind:13} {direction} pacing={'on' if pacing else 'off'}: {r['mbps']:.2f} MB/s, "
        f"{r['received']} of {r['sent']} bytes{'' if r['intact'] else ' NOT INTACT'}, "
        f"cpu {r['cpu']:.2f} s")
    return r


def derive(r):
    r["mbps"] = r["received"] / r["seconds"] / 1e6 if r["seconds"] > 0 else 0.0
    r["cpu_per_mib"] = r["cpu"] / (r["received"] / MIB) if r["received"] else float("nan")
    r["helper_cpu_per_mib"] = r["helper_cpu"] / (r["received"] / MIB) if r["received"] else 0.0
    return r


def combine(rounds):
    """One result from several rounds of the same transfer: sums, and the worst case."""
    keys = ("sent", "received", "seconds", "cpu", "helper_cpu")
    total = {k: sum(r[k] for r in rounds) for k in keys}
    total["intact"] = all(r["intact"] for r in rounds)
    bad = [r["bad_at"] for r in rounds if r["bad_at"] is not None]
    total["bad_at"] = bad[0] if bad else None
    total["rss_idle_kib"] = statistics.median(r["rss_idle_kib"] for r in rounds)
    total["rss_max_kib"] = max(r["rss_max_kib"] for r in rounds)
    return derive(total)


def latency(kind, args, workdir, pacing, samples, baud=921600):
    with setups.start(kind, args.sim, workdir, baud=baud, pacing=pacing) as srv:
        echo = measure.start_echo(srv.serial_path, baud)
        try:
            sock = measure.connect(srv.ip, srv.port, blocking=True)
            try:
                measure.settle()
                times = measure.round_trips(sock, samples)
            finally:
                sock.close()
        finally:
            echo.kill()
            echo.wait()
    r = measure.summarize_rtt(times)
    log(f"{kind:13} RTT pacing={'on' if pacing else 'off'}: p50 {r['p50']:.1f} us, "
        f"p99 {r['p99']:.1f} us over {r['n']}")
    return times


def startup(kind, args, workdir, pair):
    """One start and stop; returns milliseconds from process start to ready."""
    if kind == "sim":
        srv = setups.start_sim(args.sim, workdir, 921600, False)
    elif kind == "socat":
        srv = setups.start_socat(workdir, probe_connect=True)
    else:
        srv = setups.start_ser2net(workdir, chardelay=(kind == "ser2net"), pair=pair,
                                   probe_connect=True)
    srv.stop()
    return srv.startup_s * 1000


def fidelity(args, workdir, baud, direction):
    seconds = args.fidelity_seconds
    nbytes = int(baud / 10 * seconds)
    with setups.start("sim", args.sim, workdir, baud=baud, pacing=True) as srv:
        fd = measure.open_serial(srv.serial_path, baud)
        sock = measure.connect(srv.ip, srv.port)
        try:
            measure.settle()
            rate, endpoints = measure.paced_rate(direction, fd, sock, nbytes)
        finally:
            sock.close()
            os.close(fd)
    theory = baud / 10
    log(f"sim fidelity {baud} {direction}: {rate:.2f} B/s vs {theory:.0f} "
        f"({(rate / theory - 1) * 100:+.3f}%; first to last arrival {endpoints:.2f} B/s)")
    return {"rate": rate, "theory": theory, "endpoints": endpoints}


# ---------------------------------------------------------------------------------------------
# The table


def fmt(v, digits):
    if isinstance(v, tuple):
        return fmt(v[0], digits) + v[1]
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return f"{v:.{digits}f}"


def ratio(a, b):
    mark = ""
    if isinstance(a, tuple):
        a, mark = a
    if isinstance(b, tuple):
        b, mark = b[0], mark or b[1]
    if a is None or b is None or isinstance(a, str) or isinstance(b, str) or not b:
        return "—"
    return f"{a / b:.2f}{mark}"


DIRECTION = {"s2n": "serial→network", "n2s": "network→serial"}


def loss_line(what, r):
    gap = "" if r["bad_at"] is None else f"; the stream broke at byte {r['bad_at']}"
    return (f"{what}: {r['received']} of {r['sent']} bytes arrived "
            f"({(1 - r['received'] / r['sent']) * 100:.1f}% missing){gap}")


def marked(r, key):
    """A measurement of a transfer, marked ⁴ when the data did not all arrive intact."""
    return r[key] if r["intact"] else (r[key], "⁴")


def build_rows(res):
    """Rows: (metric, better, {server: value}, digits). `better` says which way is good."""
    rows = []
    t = res["throughput"]
    for d, name in (("s2n", "serial→network"), ("n2s", "network→serial")):
        rows.append((f"throughput {name}, pacing off (MB/s)", "higher",
                     {k: marked(t[k][d], "mbps") for k in SERVERS}, 2))
    for d, name in (("s2n", "serial→network"), ("n2s", "network→serial")):
        rows.append((f"throughput {name} at 921600 baud (MB/s; line max 0.0922)", "higher",
                     {"sim": marked(res["paced"][d], "mbps")} | NO_PACING, 4))
    lat = res["latency"]
    for p in ("p50", "p99"):
        rows.append((f"1-byte round trip {p}, pacing off (µs)", "lower",
                     {k: lat[k][p] for k in SERVERS}, 1))
    for p in ("p50", "p99"):
        rows.append((f"1-byte round trip {p} at 921600 baud (µs)", "lower",
                     {"sim": res["latency_paced"][p]} | NO_PACING, 1))
    for d, name in (("s2n", "serial→network"), ("n2s", "network→serial")):
        rows.append((f"CPU s per MiB {name}, pacing off²", "lower",
                     {k: marked(t[k][d], "cpu_per_mib") for k in SERVERS}, 4))
    for d in ("s2n", "n2s"):
        rows.append((f"CPU s per MiB {DIRECTION[d]} at 921600 baud²", "lower",
                     {"sim": marked(res["paced"][d], "cpu_per_mib")}
                     | NO_PACING, 3))
    rows.append(("resident memory idle (MiB)", "lower",
                 {k: t[k]["s2n"]["rss_idle_kib"] / 1024 for k in SERVERS}, 1))
    for d in ("s2n", "n2s"):
        rows.append((f"resident memory under load {DIRECTION[d]}, max (MiB)", "lower",
                     {k: t[k][d]["rss_max_kib"] / 1024 for k in SERVERS}, 1))
    rows.append(("start to ready, median (ms)³", "lower",
                 {k: res["startup"][k]["median_ms"] for k in SERVERS}, 1))
    for (baud, d), f in sorted(res["fidelity"].items(), key=lambda kv: (kv[0][0], kv[0][1] == "n2s")):
        name = "serial→network" if d == "s2n" else "network→serial"
        dev = (f["rate"] / f["theory"] - 1) * 100
        rows.append((f"byte rate at {baud} baud {name} (B/s; theory {f['theory']:.0f})", "=",
                     {"sim": f"{f['rate']:.1f} ({dev:+.3f}%)"}
                     | NO_PACING, 1))
    return rows


def render(rows):
    head = ["metric", "better"] + [LABEL[k] for k in SERVERS] + \
        ["sim / ser2net", "sim / ser2net cd off", "sim / socat"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for metric, better, vals, digits in rows:
        cells = [metric, better] + [fmt(vals.get(k), digits) for k in SERVERS]
        cells += [ratio(vals.get("sim"), vals.get(k)) for k in ("ser2net", "ser2net-nocd", "socat")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])

    def version(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).splitlines()[0].strip()
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unknown"

    def git(*a):
        try:
            return subprocess.run(["git", *a], capture_output=True, text=True, timeout=10,
                                  cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--", "crates") else ""
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "mem": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "ser2net": version(["ser2net", "-v"]),
        "socat": _socat_version(),
        "python": platform.python_version(),
        "commit": commit + dirty,
    }


def _socat_version():
    try:
        out = subprocess.run(["socat", "-V"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    for line in out.splitlines():
        if line.startswith("socat version"):
            return line.split(" on ")[0]
    return "unknown"


FOOTNOTES = """\
¹ A PTY has no baud rate: socat and ser2net move bytes at host speed whatever rate is set (their
  throughput and round trip are the pacing-off rows); only the simulator paces, so a ratio would
  compare different things.
² CPU of the server process only (utime+stime from /proc/PID/stat, all threads). ser2net's socat
  pair (the stand-in for the serial cable) is not counted; it used {pair_cpu} s/MiB more on
  average. Kernel work done outside the processes (PTY flip-buffer work in kworkers) is not
  counted for anyone.
³ m2285-sim: process start to its JSON ready line; socat and ser2net: process start to the first
  TCP connect that succeeds (polled every 0.2 ms). Median of {startup_runs} starts.
⁴ Not all data arrived intact (see the list below): the rate counts the bytes that arrived.
"""


def write_doc(path, block, marker="bench"):
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        post = rest.split(end, 1)[1]
        text = pre + begin + "\n" + block + "\n" + end + post
    else:
        text = ("# Benchmarks\n\n" if not text else text + "\n")
        text += begin + "\n" + block + "\n" + end + "\n"
    with open(path, "w") as f:
        f.write(text)


def fleet_rows(args, workdir):
    """The fleet rows: plants of each size in `args.fleet_sizes`."""
    rows = []
    for n in args.fleet_sizes:
        begin(f"fleet of {n}")
        r = fleet.measure(args.sim, workdir, n, force=args.fleet_force)
        done()
        rows.append(r)
        if "skipped" in r:
            log(f"fleet of {n}: not run: {r['skipped']}")
        else:
            log(f"fleet of {r['count']} in {r['processes']} process(es): ready in "
                f"{r['ready_s']:.2f} s, {r['rss_per_device_kib']:.0f} KiB, "
                f"{r['fds_per_device']:.1f} descriptors per device, {r['threads']} threads")
    return rows


def fleet_block(rows):
    """The fleet section of the results."""
    return ("Fleet mode (`m2285-sim fleet`, idle devices, measured 1 s after the last ready line; "
            "a plant larger than one process's open-file limit runs as several processes with "
            "disjoint `--first-index` slices, docs/fleet.md):\n\n" + fleet.table(rows))


def fleet_only(args):
    """`scripts/bench --fleet`: the fleet rows alone."""
    started = time.monotonic()
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="m2285-bench-") as workdir:
        rows = fleet_rows(args, workdir)
    m = machine()
    block = "\n".join([
        f"Command: `{args.command}`  ",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem']}, Linux {m['kernel']}; "
        f"{m['date']}; m2285-sim {m['commit']}; took {time.monotonic() - started:.0f} s; "
        f"load average {load_before:.2f} before, {loadavg():.2f} after",
        "",
        fleet_block(rows),
    ])
    print(block)
    if args.doc:
        write_doc(args.doc, block, "fleet")
        log(f"fleet table written to {args.doc}")


PROTOCOL_PEERS = {"telnet": ("Telnet/RFC 2217", "ser2net"), "tls": ("TLS", "socat")}


def protocol_sessions(args, workdir):
    """Telnet and TLS sessions, the simulator and its peer server taking turns round by round."""
    out = {}
    for proto, (_, peer) in PROTOCOL_PEERS.items():
        tp = {k: {"s2n": [], "n2s": []} for k in ("sim", peer)}
        rtt = {k: [] for k in ("sim", peer)}
        for _ in range(args.rounds):
            for kind in ("sim", peer):
                for d in ("s2n", "n2s"):
                    r = sessions.throughput(proto, kind, args.sim, workdir, d, args.seconds)
                    r["helper_cpu"], r["rss_idle_kib"] = 0.0, 0
                    tp[kind][d].append(r)
                    log(f"{proto} {kind:7} {d}: {derive(dict(r))['mbps']:.2f} MB/s"
                        f"{'' if r['intact'] else ' NOT INTACT'}")
                rtt[kind] += sessions.latency(proto, kind, args.sim, workdir,
                                              args.samples // args.rounds // 3)
        out[proto] = {k: {"tp": {d: combine(tp[k][d]) for d in ("s2n", "n2s")},
                          "rtt": measure.summarize_rtt(rtt[k])} for k in ("sim", peer)}
        log(f"{proto}: rtt p50 sim {out[proto]['sim']['rtt']['p50']:.1f} us, "
            f"{peer} {out[proto][peer]['rtt']['p50']:.1f} us")
    return out


def session_table(res):
    lines = ["| session | metric | better | m2285-sim | peer | peer's value | sim / peer |",
             "|---|---|---|---|---|---|---|"]
    for proto, (name, peer) in PROTOCOL_PEERS.items():
        r = res[proto]
        rows = []
        for d in ("s2n", "n2s"):
            rows.append((f"throughput {DIRECTION[d]} (MB/s)", "higher",
                         marked(r["sim"]["tp"][d], "mbps"), marked(r[peer]["tp"][d], "mbps"), 2))
        for p in ("p50", "p99"):
            rows.append((f"1-byte round trip {p} (µs)", "lower", r["sim"]["rtt"][p],
                         r[peer]["rtt"][p], 1))
        for d in ("s2n", "n2s"):
            rows.append((f"CPU s per MiB {DIRECTION[d]}", "lower",
                         marked(r["sim"]["tp"][d], "cpu_per_mib"),
                         marked(r[peer]["tp"][d], "cpu_per_mib"), 4))
        for metric, better, a, b, digits in rows:
            lines.append(f"| {name} | {metric} | {better} | {fmt(a, digits)} | {peer} | "
                         f"{fmt(b, digits)} | {ratio(a, b)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sim", required=True, help="the m2285-sim binary")
    ap.add_argument("--doc", help="write the table into this markdown file")
    ap.add_argument("--command", default="scripts/bench", help="the command line to record")
    ap.add_argument("--rounds", type=int, default=3,
                    help="the servers take turns this many times for throughput and round trips")
    ap.add_argument("--seconds", type=float, default=2.0,
                    help="length of each throughput run (one per round, server and direction)")
    ap.add_argument("--samples", type=int, default=6000,
                    help="round trips per server (spread over the rounds)")
    ap.add_argument("--paced-samples", type=int, default=1000,
                    help="round trips of the simulator at 921600 baud")
    ap.add_argument("--startup-runs", type=int, default=10)
    ap.add_argument("--fidelity-seconds", type=float, default=3.0)
    ap.add_argument("--quick", action="store_true", help="short runs, to try the script out")
    ap.add_argument("--fleet", action="store_true", help="only the fleet rows")
    ap.add_argument("--fleet-force", action="store_true",
                    help="run plants larger than the machine's cores can keep idle")
    ap.add_argument("--fleet-sizes", type=lambda s: [int(x) for x in s.split(",")],
                    default=list(fleet.SIZES), help="plant sizes, e.g. 1000,4000,10000")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.samples, args.paced_samples = 1, 1.0, 500, 200
        args.startup_runs, args.fidelity_seconds = 3, 1.0
        args.fleet_sizes = [n for n in args.fleet_sizes if n <= 1000]
    args.sim = os.path.abspath(args.sim)
    global PROGRESS
    if args.fleet:
        PROGRESS = Progress(len(args.fleet_sizes))
        try:
            fleet_only(args)
        finally:
            PROGRESS.close()
        return
    for tool in ("socat", "ser2net"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found (scripts/bench installs it)")

    PROGRESS = Progress(args.rounds * len(SERVERS) + args.startup_runs + 2 + 1 + 6
                        + len(args.fleet_sizes))
    try:
        measure_all(args)
    finally:
        PROGRESS.close()


def measure_all(args):
    """Measures everything, prints the table and writes it into the doc when asked."""
    started = time.monotonic()
    load_before = loadavg()
    if load_before > 0.5 * (os.cpu_count() or 1):
        log(f"warning: load average {load_before:.2f} before the run; other work on this "
            "machine will show up in the numbers (they are interleaved, so ratios suffer less)")
    res = {"throughput": {}, "latency": {}, "startup": {}, "fidelity": {}}
    # The servers take turns, round by round, so that anything else the machine does while the
    # benchmark runs falls on all of them alike.
    tp = {k: {"s2n": [], "n2s": []} for k in SERVERS}
    rtt = {k: [] for k in SERVERS}
    boot = {k: [] for k in SERVERS}
    with tempfile.TemporaryDirectory(prefix="m2285-bench-") as workdir:
        for rnd in range(args.rounds):
            log(f"round {rnd + 1} of {args.rounds}")
            for kind in SERVERS:
                begin(f"round {rnd + 1}: {LABEL[kind]} throughput and round trips")
                for d in ("s2n", "n2s"):
                    tp[kind][d].append(throughput(kind, args, workdir, d, pacing=False))
                rtt[kind] += latency(kind, args, workdir, False, args.samples // args.rounds)
                done()
        # ser2net's start-up is timed without its socat pair, which stays up between starts.
        pair = setups.Ser2netPair(workdir)
        try:
            for run_no in range(args.startup_runs):
                begin(f"start-up {run_no + 1} of {args.startup_runs}")
                for kind in SERVERS:
                    boot[kind].append(startup(kind, args, workdir, pair))
                done()
        finally:
            setups.stop_process(pair.proc)
        for kind in SERVERS:
            res["throughput"][kind] = {d: combine(tp[kind][d]) for d in ("s2n", "n2s")}
            res["latency"][kind] = measure.summarize_rtt(rtt[kind])
            res["startup"][kind] = {"median_ms": statistics.median(boot[kind]),
                                    "max_ms": max(boot[kind])}
            log(f"{kind:13} start to ready: median {res['startup'][kind]['median_ms']:.1f} ms, "
                f"max {res['startup'][kind]['max_ms']:.1f} ms")
        res["sessions"] = protocol_sessions(args, workdir)
        res["paced"] = {}
        for d in ("s2n", "n2s"):
            begin(f"m2285-sim paced throughput {DIRECTION[d]}")
            res["paced"][d] = throughput("sim", args, workdir, d, pacing=True)
            done()
        begin("m2285-sim paced round trips")
        res["latency_paced"] = measure.summarize_rtt(
            latency("sim", args, workdir, True, args.paced_samples))
        done()
        for baud in (9600, 115200, 921600):
            for d in ("s2n", "n2s"):
                begin(f"fidelity at {baud} baud {DIRECTION[d]}")
                res["fidelity"][(baud, d)] = fidelity(args, workdir, baud, d)
                done()
        res["fleet"] = fleet_rows(args, workdir)
        res["fleet_load"] = fleet.under_load(args.sim, workdir, seconds=args.fidelity_seconds)
        fl = res["fleet_load"]
        log(f"fleet of {fl['count']} under load: {fl['aggregate']:.0f} B/s together, worst "
            f"device {fl['worst_rate']:.1f} B/s ({fl['worst_error_pct']:+.3f}%)")
    load_after = loadavg()

    m = machine()
    lost = [loss_line(f"{LABEL[k]} {DIRECTION[d]}, pacing off", r)
            for k in SERVERS for d, r in res["throughput"][k].items() if not r["intact"]]
    lost += [loss_line(f"m2285-sim {DIRECTION[d]} at 921600 baud", r)
             for d, r in res["paced"].items() if not r["intact"]]
    pair_cpu = statistics.mean(res["throughput"]["ser2net"][d]["helper_cpu_per_mib"]
                               for d in ("s2n", "n2s"))
    table = render(build_rows(res))
    block = "\n".join([
        f"Command: `{args.command}`  ",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem']}, Linux {m['kernel']}; "
        f"{m['date']}  ",
        f"Versions: m2285-sim {m['commit']}, {m['ser2net']}, {m['socat']}, Python {m['python']}  ",
        f"Run: {args.rounds} rounds (the servers take turns) of {args.seconds:g} s per throughput "
        f"run and direction, {args.samples} round trips per server, "
        f"{args.startup_runs} starts per server, {args.fidelity_seconds:g} s per fidelity run; "
        f"took {time.monotonic() - started:.0f} s; load average {load_before:.2f} before, "
        f"{load_after:.2f} after",
        "",
        table,
        "",
        FOOTNOTES.format(pair_cpu=f"{pair_cpu:.4f}", startup_runs=args.startup_runs).rstrip(),
    ])
    block += "\n\n" + fleet_block(res["fleet"])
    block += "\n\nSessions with a protocol (pacing off; Telnet/RFC 2217 against ser2net " + \
        "`telnet(rfc2217)` with chardelay off, TLS through `openssl s_client -tls1_2` " + \
        "against `socat OPENSSL-LISTEN` with the same certificate; " + \
        "scripts/bench_lib/sessions.py):\n\n" + \
        session_table(res["sessions"])
    block += "\n\nFleet under load (`m2285-sim fleet --count 100`, paced, every device " + \
        f"moving {args.fidelity_seconds:g} s worth of its line network→serial at once; rate " + \
        "as for the fidelity rows):\n\n" + fleet.load_table(res["fleet_load"])
    if lost:
        block += "\n\nData not delivered intact (counted as not moved):\n" + \
            "\n".join(f"* {x}" for x in lost)
    PROGRESS.close()
    print(block)
    if args.doc:
        write_doc(args.doc, block)
        log(f"table written to {args.doc}")


if __name__ == "__main__":
    main()
