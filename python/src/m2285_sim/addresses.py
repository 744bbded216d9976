"""Loopback addresses for simulated devices, distinct per pytest-xdist worker and per device.

The project's own Rust tests use 127.100.0.0 - 127.199.255.255 and fleets default to
127.50.0.0; this pool hands out 127.(200 + worker).x.y, so a worker never meets another worker's
devices or the Rust tests' addresses. The third octet starts from the process id so two pytest
runs side by side rarely meet either (and with free ports they would still not clash).
"""

import os
import threading


def worker_index() -> int:
    """The pytest-xdist worker number (``gw3`` is 3), 0 without xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = "".join(c for c in name if c.isdigit())
    return int(digits) if digits else 0


class AddressPool:
    """Hands out loopback addresses: single ones for devices, blocks of 250 for fleets."""

    PER_BLOCK = 250

    def __init__(self, worker: int = None, start_block: int = None):
        self.worker = worker_index() if worker is None else worker
        self.second = 200 + self.worker % 50
        self.block = (os.getpid() % 128) * 2 if start_block is None else start_block
        self.used_in_block = 0
        self.lock = threading.Lock()

    def device(self) -> str:
        """A fresh address for one device, e.g. ``127.201.14.3``."""
        with self.lock:
            if self.used_in_block >= self.PER_BLOCK:
                self._next_block()
            self.used_in_block += 1
            return f"127.{self.second}.{self.block % 256}.{self.used_in_block}"

    def fleet_base(self, count: int) -> str:
        """A base ``127.a.b.0`` for a fleet of ``count`` devices (127.a.b.1 ...), fresh blocks."""
        with self.lock:
            self._next_block()
            base = f"127.{self.second}.{self.block % 256}.0"
            blocks = max(1, -(-count // self.PER_BLOCK))
            self.block += blocks - 1
            self.used_in_block = self.PER_BLOCK
            return base

    def _next_block(self):
        self.block += 1
        self.used_in_block = 0
