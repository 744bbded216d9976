"""The measuring client: a serial-side program on the PTY and a TCP peer, in one process.

Every loop here is bounded by a deadline. Data is a fixed pseudo-random pattern whose period
(65521 bytes, a prime) is not a multiple of any buffer size, so a lost, duplicated or reordered
chunk is noticed; the received stream is compared with it as it arrives.
"""

import os
import random
import select
import socket
import statistics
import subprocess
import sys
import termios
import time
import tty

from procstat import rss_kib

PERIOD = 65521
PATTERN = random.Random(2285).randbytes(PERIOD)
CHUNK = 64 * 1024
PATTERN_X = PATTERN * (1 + (256 * 1024) // PERIOD + 1)  # any offset + 256 KiB fits
PATTERN_VIEW = memoryview(PATTERN_X)
ECHO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "echo.py")

BAUD_CONST = {9600: termios.B9600, 115200: termios.B115200, 921600: termios.B921600}


def open_serial(path, baud=921600, blocking=False):
    """Opens the PTY slave as a serial program would: raw, 8N1, at the device's baud rate."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | (0 if blocking else os.O_NONBLOCK))
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    speed = BAUD_CONST.get(baud, termios.B921600)
    attrs[4] = attrs[5] = speed
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def connect(ip, port, blocking=False):
    s = socket.create_connection((ip, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(blocking)
    if blocking:
        s.settimeout(2.0)
    return s


class Stream:
    """Checks a received byte stream against the pattern."""

    def __init__(self):
        self.n = 0
        self.bad_at = None

    def feed(self, data):
        if self.bad_at is None:
            o = self.n % PERIOD
            if PATTERN_X[o : o + len(data)] != data:
                self.bad_at = self.n
        self.n += len(data)


def pump(direction, fd, sock, seconds, pids, limit=None):
    """Moves the pattern for `seconds` (or until `limit` bytes are written, whichever comes
    first), serial→network (`s2n`) or network→serial (`n2s`), then
    waits for the rest to arrive (at most 3 s without progress). Returns a dict with bytes sent
    and received, the elapsed time from the first write to the last byte, whether the stream
    arrived intact, and the largest resident memory of `pids` sampled every 100 ms."""
    write = (lambda v: os.write(fd, v)) if direction == "s2n" else sock.send
    read = (lambda: sock.recv(1 << 18)) if direction == "s2n" else (lambda: os.read(fd, 1 << 18))
    wfd, rfd = (fd, sock.fileno()) if direction == "s2n" else (sock.fileno(), fd)
    poller = select.poll()
    poller.register(rfd, select.POLLIN)
    poller.register(wfd, select.POLLOUT)
    stream = Stream()
    sent = 0
    sending = True
    rss_max = rss_kib(pids)
    t0 = time.perf_counter()
    last_rx = t0
    next_sample = t0 + 0.1
    hard_stop = t0 + seconds + 10
    limit = limit or float("inf")
    while True:
        now = time.perf_counter()
        if now >= next_sample:
            rss_max = max(rss_max, rss_kib(pids))
            next_sample = now + 0.1
        if sending and (now - t0 >= seconds or sent >= limit):
            sending = False
            poller.unregister(wfd)
        if not sending and (stream.n >= sent or now - last_rx > 3.0):
            break
        if now > hard_stop:
            break
        for efd, ev in poller.poll(100):
            if efd == rfd:
                try:
                    data = read()
                except (BlockingIOError, InterruptedError):
                    continue
                if not data:
                    raise RuntimeError("the server closed the connection")
                stream.feed(data)
                last_rx = time.perf_counter()
            elif efd == wfd and sending:
                o = sent % PERIOD
                try:
                    sent += write(PATTERN_VIEW[o : o + int(min(CHUNK, limit - sent))])
                except (BlockingIOError, InterruptedError):
                    pass
    return {
        "sent": sent,
        "received": stream.n,
        "intact": stream.bad_at is None and stream.n == sent,
        "bad_at": stream.bad_at,
        "seconds": last_rx - t0,
        "rss_max_kib": rss_max,
    }


def start_echo(path, baud):
    """The far side of the round trip: a separate process that opens the serial port and
    writes back every byte it reads."""
    proc = subprocess.Popen([sys.executable, "-B", ECHO, path, str(baud)], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    line = proc.stdout.readline()
    if line.strip() != b"ready":
        proc.kill()
        raise RuntimeError(f"echo did not start: {line!r}")
    return proc


def round_trips(sock, samples, warmup=200):
    """1-byte round trips from the TCP side through the server to the serial-side echo and back;
    returns the round-trip times in microseconds."""
    times = []
    timeouts = 0
    byte = b"\x55"
    for i in range(warmup + samples):
        t0 = time.perf_counter_ns()
        sock.sendall(byte)
        try:
            got = sock.recv(16)
        except socket.timeout:
            timeouts += 1
            if timeouts > 5:
                raise RuntimeError("round trip timed out 5 times")
            continue
        t1 = time.perf_counter_ns()
        if got != byte:
            raise RuntimeError(f"echo returned {got!r}")
        if i >= warmup:
            times.append((t1 - t0) / 1000)
    return times


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def summarize_rtt(times):
    return {"p50": statistics.median(times), "p99": percentile(times, 99), "n": len(times)}


def paced_rate(direction, fd, sock, nbytes):
    """Sends `nbytes` at once and times their arrival on the far side. The rate is the slope of
    a least-squares line through (arrival time, bytes so far) for every read: the path's constant
    latency drops out, and one late wake-up of the reader (or of the server, which then catches
    up on its drift-free schedule) moves a few points, not the end points of the measurement."""
    wfd = fd if direction == "s2n" else sock.fileno()
    write = (lambda v: os.write(fd, v)) if direction == "s2n" else sock.send
    read = (lambda: sock.recv(1 << 16)) if direction == "s2n" else (lambda: os.read(fd, 1 << 16))
    rfd = sock.fileno() if direction == "s2n" else fd
    poller = select.poll()
    poller.register(rfd, select.POLLIN)
    poller.register(wfd, select.POLLOUT)
    data = (PATTERN * (nbytes // PERIOD + 1))[:nbytes]
    view = memoryview(data)
    sent = 0
    stream = Stream()
    times, counts = [], []
    deadline = time.perf_counter() + nbytes / 90 + 10  # bounded: well above the slowest rate
    while stream.n < nbytes and time.perf_counter() < deadline:
        for efd, _ in poller.poll(200):
            if efd == rfd:
                try:
                    chunk = read()
                except (BlockingIOError, InterruptedError):
                    continue
                times.append(time.perf_counter())
                stream.feed(chunk)
                counts.append(stream.n)
            elif efd == wfd:
                try:
                    sent += write(view[sent : sent + CHUNK])
                except (BlockingIOError, InterruptedError):
                    pass
                if sent >= nbytes:
                    poller.unregister(wfd)
    if stream.n < nbytes or stream.bad_at is not None or len(times) < 3:
        raise RuntimeError(f"paced transfer incomplete: {stream.n} of {nbytes} bytes")
    t0 = times[0]
    slope, _ = statistics.linear_regression([t - t0 for t in times], counts)
    endpoints = (counts[-1] - counts[0]) / (times[-1] - times[0])
    return slope, endpoints


def settle():
    """Lets the server notice the serial-side program and the new session before data flows."""
    time.sleep(0.25)
