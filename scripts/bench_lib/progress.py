"""Progress of scripts/bench on a terminal: one status line on stderr, redrawn in place.

Drawn only when stderr is a terminal (never into a pipe, a file or a CI log). Log lines go
through `log`, which erases the status line first and draws it again after, so the two never
mix on one line.
"""

import sys
import time

ERASE = "\r\x1b[2K"


class Progress:
    """Counts finished pieces of work out of a known total and shows them with the elapsed time
    and the piece running now."""

    def __init__(self, total, stream=None):
        self.stream = stream or sys.stderr
        self.drawn = self.stream.isatty()
        self.total = max(total, 1)
        self.done = 0
        self.what = ""
        self.started = time.monotonic()

    def start(self, what):
        """The piece of work called `what` begins."""
        self.what = what
        self._draw()

    def step(self, n=1):
        """`n` pieces of work are finished."""
        self.done = min(self.done + n, self.total)
        self._draw()

    def log(self, line):
        """Prints a log line above the status line."""
        if self.drawn:
            self.stream.write(ERASE)
        print(line, file=self.stream, flush=True)
        self._draw()

    def close(self):
        """Erases the status line for good."""
        if self.drawn:
            self.stream.write(ERASE)
            self.stream.flush()
        self.drawn = False

    def _draw(self):
        if not self.drawn:
            return
        width = 30
        filled = width * self.done // self.total
        bar = "=" * filled + (">" if filled < width else "") + " " * (width - filled - 1)
        elapsed = int(time.monotonic() - self.started)
        self.stream.write(f"{ERASE}bench {self.done}/{self.total} [{bar}] "
                          f"{elapsed // 60}:{elapsed % 60:02d} {self.what}"[:200])
        self.stream.flush()
