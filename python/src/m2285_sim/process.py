"""One running ``m2285-sim`` process: started with its ready line read, stopped for sure."""

import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .events import EventStream

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class SimError(RuntimeError):
    """The simulator did not start: the message carries its stderr."""


class SimProcess:
    """Starts ``binary ARGS`` in a fresh work directory, waits for the ready line, and on
    :meth:`stop` ends the process and removes the directory (PTY links, state directories)."""

    def __init__(self, binary, args_for, tag: str, start_timeout: float = 20.0, env=None):
        self.workdir = Path(tempfile.mkdtemp(prefix=f"m2285-{tag}-"))
        self.stderr_path = self.workdir / "stderr.log"
        args = [str(binary)] + [str(a) for a in args_for(self.workdir)]
        self.args = args
        self.started = time.monotonic()
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                preexec_fn=_die_with_parent, env=env,
            )
        self.events = EventStream(self.proc.stdout)
        ready = self.events.first(start_timeout)
        if ready is None or ready.get("event") != "ready":
            self.stop()
            raise SimError(
                f"m2285-sim printed no ready line within {start_timeout} s "
                f"(exit {self.proc.returncode}); command: {' '.join(args)}\n"
                f"stderr:\n{self.stderr_text()}")
        self.ready = ready
        self.startup_seconds = time.monotonic() - self.started

    @property
    def pid(self) -> int:
        """The simulator's process id."""
        return self.proc.pid

    def stderr_text(self) -> str:
        """What the simulator logged on stderr so far."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def running(self) -> bool:
        """True while the process has not exited."""
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0):
        """SIGTERM, then SIGKILL after ``timeout``; then the work directory goes. Idempotent."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self.proc.returncode

    def kill(self):
        """SIGKILL (a power cut), without cleaning up; :meth:`stop` still cleans up later."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
