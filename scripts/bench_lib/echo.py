"""The far side of the round-trip measurement: opens the serial port (PTY slave) raw and writes
back every byte it reads. Prints `ready` once the port is open. Exits when the port hangs up or
after 120 s, whichever comes first."""

import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import open_serial  # noqa: E402


def main():
    path, baud = sys.argv[1], int(sys.argv[2])
    fd = open_serial(path, baud, blocking=True)
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while time.monotonic() < deadline:
        if not poller.poll(1000):
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        os.write(fd, data)


if __name__ == "__main__":
    main()
