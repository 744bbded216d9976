"""Sessions with a protocol on the network side: Telnet/RFC 2217 and TLS, each against the peer
server that speaks the same protocol in the same position (TCP on a loopback address <-> a PTY).

* telnet  m2285-sim with `port1.host.telnet=true` against ser2net with
          `accepter: telnet(rfc2217),tcp,IP,PORT` (and `chardelay: false`, its fastest setting).
          The network peer here speaks Telnet: it asks for BINARY both ways, refuses every other
          option (so no RFC 2217 notifications interleave with the data), doubles 0xFF when it
          sends and undoes the doubling when it receives.
* tls     m2285-sim with `port1.crypto.method=ssl` against
          `socat PTY,link=L,raw,echo=0 OPENSSL-LISTEN:PORT,bind=IP,cert=C,key=K,verify=0,nodelay`,
          both with the same certificate and key; the network peer is `openssl s_client -quiet
          -tls1_2` (the simulator offers TLS 1.2 only, so socat is held to it too), driven
          through its stdin and stdout.

Throughput and 1-byte round trips as for raw TCP (measure.py), with the same pattern check.
"""

import os
import select
import subprocess
import time

import measure
import setups
from procstat import rss_kib, total_cpu

IAC, SB, SE, WILL, WONT, DO, DONT = 255, 250, 240, 251, 252, 253, 254
BINARY = 0
TELNET_IP = {"sim": "127.0.77.5", "ser2net": "127.0.77.6"}
TLS_IP = {"sim": "127.0.77.7", "socat": "127.0.77.8"}
CHUNK = 16 * 1024


class TcpPeer:
    """A plain non-blocking TCP socket as the network peer."""

    def __init__(self, sock):
        self.sock = sock
        self.rfd = self.wfd = sock.fileno()

    def send(self, view):
        return self.sock.send(view)

    def flushed(self):
        return True

    def recv(self):
        data = self.sock.recv(1 << 18)
        return None if not data else data

    def close(self):
        self.sock.close()


class TelnetPeer(TcpPeer):
    """A Telnet client in binary mode that refuses every other option."""

    def __init__(self, sock):
        super().__init__(sock)
        self.out = b""
        self.carry = b""
        self.state = None  # slow path: None, "iac", "opt", "sb", "sb_iac"
        self.cmd = 0
        sock.sendall(bytes([IAC, WILL, BINARY, IAC, DO, BINARY]))

    def send(self, view):
        if self.out:
            self.flushed()
            return 0
        self.out = bytes(view).replace(b"\xff", b"\xff\xff")
        self.flushed()
        return len(view)

    def flushed(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return False
            self.out = self.out[n:]
        return True

    def recv(self):
        data = self.sock.recv(1 << 18)
        if not data:
            return None
        data = self.carry + data
        self.carry = b""
        if self.state is None:
            rest = data.replace(b"\xff\xff", b"")
            lone = rest.count(b"\xff")
            if lone == 0:
                return data.replace(b"\xff\xff", b"\xff")
            if lone == 1 and rest.endswith(b"\xff"):
                # An escape split across reads: keep its first half for the next read.
                self.carry = b"\xff"
                return data[:-1].replace(b"\xff\xff", b"\xff")
        return self._slow(data)

    def _slow(self, data):
        """Byte by byte, answering negotiations (only at the start of a session)."""
        out = bytearray()
        replies = bytearray()
        for b in data:
            st = self.state
            if st is None:
                if b == IAC:
                    self.state = "iac"
                else:
                    out.append(b)
            elif st == "iac":
                if b == IAC:
                    out.append(IAC)
                    self.state = None
                elif b in (WILL, WONT, DO, DONT):
                    self.cmd, self.state = b, "opt"
                elif b == SB:
                    self.state = "sb"
                else:
                    self.state = None
            elif st == "opt":
                if b != BINARY and self.cmd == DO:
                    replies += bytes([IAC, WONT, b])
                elif b != BINARY and self.cmd == WILL:
                    replies += bytes([IAC, DONT, b])
                self.state = None
            elif st == "sb":
                if b == IAC:
                    self.state = "sb_iac"
            elif st == "sb_iac":
                self.state = None if b == SE else "sb"
        if replies:
            self.out += bytes(replies)
            self.flushed()
        return bytes(out)


class PipePeer:
    """`openssl s_client` as the network peer: bytes go in on its stdin and come out on its
    stdout."""

    def __init__(self, proc):
        self.proc = proc
        self.wfd = proc.stdin.fileno()
        self.rfd = proc.stdout.fileno()
        os.set_blocking(self.wfd, False)
        os.set_blocking(self.rfd, False)

    def send(self, view):
        return os.write(self.wfd, view)

    def flushed(self):
        return True

    def recv(self):
        data = os.read(self.rfd, 1 << 18)
        return None if not data else data

    def close(self):
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        setups.stop_process(self.proc)


def pump(direction, fd, peer, seconds, pids):
    """measure.pump with a protocol peer: moves the pattern for `seconds` and waits for the rest
    (at most 3 s without progress)."""
    if direction == "s2n":
        wfd, rfd = fd, peer.rfd
        write = lambda v: os.write(fd, v)  # noqa: E731
        read = peer.recv
    else:
        wfd, rfd = peer.wfd, fd
        write = peer.send
        read = lambda: os.read(fd, 1 << 18) or None  # noqa: E731
    poller = select.poll()
    poller.register(rfd, select.POLLIN)
    poller.register(wfd, select.POLLOUT)
    stream = measure.Stream()
    sent = 0
    sending = True
    draining = direction == "n2s"  # the peer's own buffer must empty after the last write
    rss_max = rss_kib(pids)
    t0 = time.perf_counter()
    last_rx, next_sample, hard_stop = t0, t0 + 0.1, t0 + seconds + 10
    while True:
        now = time.perf_counter()
        if now >= next_sample:
            rss_max, next_sample = max(rss_max, rss_kib(pids)), now + 0.1
        if sending and now - t0 >= seconds:
            sending = False
        if not sending and draining and peer.flushed():
            draining = False
        if not sending and not draining and wfd in (fd, peer.wfd):
            try:
                poller.unregister(wfd)
            except KeyError:
                pass
            wfd = -1
        if not sending and (stream.n >= sent or now - last_rx > 3.0):
            break
        if now > hard_stop:
            break
        for efd, _ in poller.poll(100):
            if efd == rfd:
                try:
                    data = read()
                except (BlockingIOError, InterruptedError):
                    continue
                if data is None:
                    raise RuntimeError("the server closed the connection")
                stream.feed(data)
                last_rx = time.perf_counter()
            elif efd == wfd:
                try:
                    if sending:
                        o = sent % measure.PERIOD
                        sent += write(measure.PATTERN_VIEW[o : o + CHUNK])
                    else:
                        peer.flushed()
                except (BlockingIOError, InterruptedError):
                    pass
    return {"sent": sent, "received": stream.n, "bad_at": stream.bad_at,
            "intact": stream.bad_at is None and stream.n == sent,
            "seconds": last_rx - t0, "rss_max_kib": rss_max}


def round_trips(peer, samples, warmup=200):
    """1-byte round trips through `peer`; microseconds each."""
    times = []
    for i in range(warmup + samples):
        t0 = time.perf_counter_ns()
        n = 0
        while n == 0:
            n = peer.send(b"\x55")
        got = b""
        deadline = time.monotonic() + 2
        while not got:
            if not select.select([peer.rfd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise RuntimeError("round trip timed out")
            try:
                got = peer.recv()
            except (BlockingIOError, InterruptedError):
                continue
            if got is None:
                raise RuntimeError("the server closed the connection")
        t1 = time.perf_counter_ns()
        if got != b"\x55":
            raise RuntimeError(f"echo returned {got!r}")
        if i >= warmup:
            times.append((t1 - t0) / 1000)
    return times


def make_cert(workdir):
    """One self-signed ECDSA P-256 certificate for both TLS servers."""
    cert, key = os.path.join(workdir, "bench-cert.pem"), os.path.join(workdir, "bench-key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=bench", "-keyout", key, "-out", cert], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return cert, key


def start(protocol, kind, binary, workdir):
    """The server `kind` for `protocol` (telnet: sim, ser2net; tls: sim, socat)."""
    if protocol == "telnet":
        ip = TELNET_IP[kind]
        if kind == "sim":
            return setups.start_sim(binary, workdir, 921600, False, ip=ip,
                                    extra=["port1.host.telnet=true"])
        return setups.start_ser2net(workdir, chardelay=False, ip=ip, accepter="telnet(rfc2217),tcp")
    cert, key = make_cert(workdir)
    ip = TLS_IP[kind]
    if kind == "sim":
        return setups.start_sim(binary, workdir, 921600, False, ip=ip,
                                extra=["port1.crypto.method=ssl", f"port1.crypto.cert_file={cert}",
                                       f"port1.crypto.key_file={key}"])
    return setups.start_socat(workdir, ip=ip,
                              listen=f"OPENSSL-LISTEN:{{port}},bind={ip},reuseaddr,cert={cert},"
                                     f"key={key},verify=0,nodelay")


def connect(protocol, srv):
    if protocol == "telnet":
        sock = measure.connect(srv.ip, srv.port)
        peer = TelnetPeer(sock)
        # Let the negotiation finish (answered in TelnetPeer._slow) before data flows.
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            if select.select([sock], [], [], 0.05)[0]:
                try:
                    peer.recv()
                except (BlockingIOError, InterruptedError):
                    pass
        return peer
    proc = subprocess.Popen(["openssl", "s_client", "-quiet", "-tls1_2", "-connect",
                             f"{srv.ip}:{srv.port}"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peer = PipePeer(proc)
    time.sleep(0.3)  # the handshake
    if proc.poll() is not None:
        raise RuntimeError("openssl s_client exited")
    return peer


def throughput(protocol, kind, binary, workdir, direction, seconds):
    with start(protocol, kind, binary, workdir) as srv:
        fd = measure.open_serial(srv.serial_path)
        peer = connect(protocol, srv)
        try:
            measure.settle()
            cpu0 = total_cpu(srv.pids)
            r = pump(direction, fd, peer, seconds, srv.pids)
            r["cpu"] = total_cpu(srv.pids) - cpu0
        finally:
            peer.close()
            os.close(fd)
    return r


def latency(protocol, kind, binary, workdir, samples):
    with start(protocol, kind, binary, workdir) as srv:
        echo = measure.start_echo(srv.serial_path, 921600)
        try:
            peer = connect(protocol, srv)
            try:
                measure.settle()
                return round_trips(peer, samples)
            finally:
                peer.close()
        finally:
            echo.kill()
            echo.wait()

