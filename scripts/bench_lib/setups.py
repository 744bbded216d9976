"""The servers under test, each in the same position: a TCP listener on a loopback address on one
side, a PTY path that the serial-side program opens on the other.

* sim      m2285-sim --pty LINK --ip IP (TCP server mode, inter-character timeout 0)
* socat    socat PTY,link=LINK,raw,echo=0 TCP-LISTEN:PORT,bind=IP,reuseaddr  (one session, then
           it exits; started afresh for every measurement)
* ser2net  socat PTY,link=A,raw,echo=0 PTY,link=B,raw,echo=0   (a null-modem pair standing for the
           serial cable), and ser2net -n -u -c FILE with a YAML connection
           tcp,IP,PORT <-> serialdev,A,921600n81,local; the serial-side program opens B.

`start(kind, ...)` returns a Running server: where to connect, which PIDs are the server (their CPU
and memory are measured) and which are helpers (ser2net's socat pair), and how long the start took.
"""

import os
import signal
import socket
import subprocess
import threading
import time

LOOPBACK = {"sim": "127.0.77.1", "socat": "127.0.77.2", "ser2net": "127.0.77.3",
            "ser2net-nocd": "127.0.77.4"}

SER2NET_YAML = """%YAML 1.1
---
connection: &bench
  accepter: {accepter},{ip},{port}
  connector: serialdev,{dev},{baud}n81,local
  options:
    kickolduser: true
{extra}"""


class StartError(RuntimeError):
    pass


def free_port(ip):
    """A TCP port that is free on `ip` now (socat and ser2net need a number up front)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def listening(ip, port):
    """True once a socket listens on ip:port (read from /proc/net/tcp, without connecting: a
    probe connection would use up socat's single session)."""
    want = "%08X:%04X" % (int.from_bytes(socket.inet_aton(ip), "little"), port)
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if cols[1] == want and cols[3] == "0A":
                return True
    return False


def wait_until(pred, timeout, what, step=0.0005):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise StartError(f"timed out waiting for {what}")
        time.sleep(step)


def connect_once(ip, port):
    try:
        with socket.create_connection((ip, port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(proc, timeout=3.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class Running:
    """A started server; use as a context manager so it is always stopped."""

    def __init__(self, kind, serial_path, ip, port, procs, helpers, startup_s, workdir):
        self.kind = kind
        self.serial_path = serial_path
        self.ip = ip
        self.port = port
        self.procs = procs
        self.helpers = helpers
        self.startup_s = startup_s
        self.workdir = workdir
        self.events = []  # the simulator's JSON event lines after the ready line

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    @property
    def helper_pids(self):
        return [p.pid for p in self.helpers]

    def stop(self):
        for p in self.procs + self.helpers:
            stop_process(p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Ser2netPair:
    """ser2net's socat null-modem pair; kept across ser2net restarts in the start-up loop."""

    def __init__(self, workdir):
        self.a = os.path.join(workdir, "ser2net-A")
        self.b = os.path.join(workdir, "ser2net-B")
        for p in (self.a, self.b):
            if os.path.lexists(p):
                os.unlink(p)
        self.proc = subprocess.Popen(
            ["socat", f"PTY,link={self.a},raw,echo=0", f"PTY,link={self.b},raw,echo=0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(workdir, "ser2net-pair.log"), "ab"),
        )
        wait_until(lambda: os.path.exists(self.a) and os.path.exists(self.b), 5, "socat pair links")


def start_sim(binary, workdir, baud, pacing, ip=LOOPBACK["sim"], extra=()):
    link = os.path.join(workdir, "sim-tty")
    state = os.path.join(workdir, "sim-state")
    os.makedirs(state, exist_ok=True)
    args = [
        binary, "--pty", link, "--ip", ip, "--state-dir", state, "--log", "warn",
        "--set", "sim.free_ports=true",
        "--set", f"sim.pacing={'true' if pacing else 'false'}",
        "--set", f"port1.serial.baud={baud}",
        "--set", "port1.serial.inter_char_timeout_ms=0",
    ]
    for setting in extra:
        args += ["--set", setting]
    ready = {}
    events = []
    got = threading.Event()
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=open(os.path.join(workdir, "sim.log"), "ab"))

    def drain():
        # Reads every event line, so the simulator never blocks on a full stdout pipe.
        import json
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if not got.is_set() and ev.get("event") == "ready":
                ready["t"] = time.perf_counter()
                ready["ev"] = ev
                got.set()
            elif len(events) < 10000:
                events.append(ev)

    threading.Thread(target=drain, daemon=True).start()
    if not got.wait(10):
        stop_process(proc)
        raise StartError("m2285-sim printed no ready line within 10 s (see sim.log)")
    port = ready["ev"]["ports"]["data"]
    srv = Running("sim", link, ip, port, [proc], [], ready["t"] - t0, workdir)
    srv.events = events
    return srv


def start_socat(workdir, ip=LOOPBACK["socat"], probe_connect=False, listen=None):
    link = os.path.join(workdir, "socat-tty")
    if os.path.lexists(link):
        os.unlink(link)
    port = free_port(ip)
    # PTY first: socat opens its addresses in order, and must not wait for a TCP client before
    # the serial-side program can open the link.
    listen = (listen or "TCP-LISTEN:{port},bind=" + ip + ",reuseaddr").format(port=port)
    args = ["socat", f"PTY,link={link},raw,echo=0", listen]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(workdir, "socat.log"), "ab"))
    ready = _wait_ready(proc, ip, port, probe_connect)
    wait_until(lambda: os.path.exists(link), 5, "socat link")
    return Running("socat", link, ip, port, [proc], [], ready - t0, workdir)


def start_ser2net(workdir, chardelay, baud=921600, pair=None, probe_connect=False, ip=None,
                  accepter="tcp"):
    kind = "ser2net" if chardelay else "ser2net-nocd"
    ip = ip or LOOPBACK[kind]
    own_pair = pair is None
    if own_pair:
        pair = Ser2netPair(workdir)
    port = free_port(ip)
    conf = os.path.join(workdir, f"{kind}.yaml")
    with open(conf, "w") as f:
        f.write(SER2NET_YAML.format(ip=ip, port=port, dev=pair.a, baud=baud, accepter=accepter,
                                    extra="" if chardelay else "    chardelay: false\n"))
    args = ["ser2net", "-n", "-u", "-c", conf, "-P", os.path.join(workdir, f"{kind}.pid")]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(workdir, f"{kind}.log"), "ab"))
    try:
        ready = _wait_ready(proc, ip, port, probe_connect)
    except StartError:
        if own_pair:
            stop_process(pair.proc)
        raise
    helpers = [pair.proc] if own_pair else []
    return Running(kind, pair.b, ip, port, [proc], helpers, ready - t0, workdir)


def _wait_ready(proc, ip, port, probe_connect):
    """Start-up ends at the first successful connect (probe_connect) or when the port listens."""
    check = (lambda: connect_once(ip, port)) if probe_connect else (lambda: listening(ip, port))

    def ok():
        if proc.poll() is not None:
            raise StartError(f"{proc.args[0]} exited with {proc.returncode}")
        return check()

    try:
        wait_until(ok, 10, f"{proc.args[0]} to listen on {ip}:{port}", step=0.0002)
    except StartError:
        stop_process(proc)
        raise
    return time.perf_counter()


def start(kind, binary, workdir, baud=921600, pacing=False):
    if kind == "sim":
        return start_sim(binary, workdir, baud, pacing)
    if kind == "socat":
        return start_socat(workdir)
    if kind == "ser2net":
        return start_ser2net(workdir, chardelay=True, baud=baud)
    if kind == "ser2net-nocd":
        return start_ser2net(workdir, chardelay=False, baud=baud)
    raise ValueError(kind)
