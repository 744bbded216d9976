"""The simulator's event stream: the JSON lines it prints on stdout, read by a thread."""

import json
import threading
import time


class EventTimeout(AssertionError):
    """No matching event arrived in time; the message lists what did arrive."""


class EventStream:
    """Events from a running simulator, in order, kept for the whole run.

    Iterate to get each event as it arrives (the iteration ends when the simulator exits), or
    call :meth:`wait_for` to wait for one that matches.
    """

    def __init__(self, stdout, first_line_timeout: float = 20.0):
        self.events = []
        self.bad_lines = []
        self.closed = False
        self.returned = set()
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stdout,), daemon=True)
        self.thread.start()

    def _read(self, stdout):
        for raw in stdout:
            line = raw.decode(errors="replace").strip() if isinstance(raw, bytes) else raw.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                with self.cond:
                    self.bad_lines.append(line)
                continue
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def first(self, timeout: float):
        """The first event (the ready line), or None if none came in ``timeout`` seconds."""
        end = time.monotonic() + timeout
        with self.cond:
            while not self.events and not self.closed:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.events[0] if self.events else None

    def seen(self) -> list:
        """Every event so far."""
        with self.cond:
            return list(self.events)

    def __iter__(self):
        return self.iter()

    def iter(self, timeout: float = None):
        """Yields events in order from the first; stops when the simulator exits, or when
        ``timeout`` seconds pass without a new one."""
        i = 0
        while True:
            with self.cond:
                end = None if timeout is None else time.monotonic() + timeout
                while i >= len(self.events) and not self.closed:
                    left = None if end is None else end - time.monotonic()
                    if left is not None and left <= 0:
                        return
                    self.cond.wait(left)
                if i >= len(self.events):
                    return
                event = self.events[i]
            i += 1
            yield event

    @staticmethod
    def matches(event: dict, name: str, fields: dict, where) -> bool:
        """True when ``event`` is named ``name``, has every field of ``fields`` and ``where``
        (a callable, optional) accepts it."""
        if event.get("event") != name:
            return False
        if any(event.get(k) != v for k, v in fields.items()):
            return False
        return where is None or bool(where(event))

    def wait_for(self, name: str, timeout: float = 5.0, where=None, **fields) -> dict:
        """The first event named ``name`` with these field values (and accepted by ``where``)
        that no earlier ``wait_for`` returned; events that came before the call count.
        Raises :class:`EventTimeout` naming what arrived instead."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, event in enumerate(self.events):
                    if i not in self.returned and self.matches(event, name, fields, where):
                        self.returned.add(i)
                        return event
                left = end - time.monotonic()
                if left <= 0 or self.closed:
                    break
                self.cond.wait(left)
            names = [e.get("event") for e in self.events[-20:]]
        why = "the simulator exited" if self.closed else f"{timeout} s passed"
        detail = f" with {fields}" if fields else ""
        raise EventTimeout(f"no '{name}' event{detail}: {why}; last events: {names}")
