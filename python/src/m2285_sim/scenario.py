"""Runs scenario files in virtual time (``m2285-sim run``, docs/scenarios.md)."""

import subprocess
import tempfile
from pathlib import Path

from .binary import find_binary, repository_root


class ScenarioFailed(AssertionError):
    """A scenario's expectation failed (exit 1) or its file has mistakes (exit 2); the message
    is what ``m2285-sim run`` printed: the failed step, its line, its device time and the events
    before it."""

    def __init__(self, result):
        self.result = result
        what = "has mistakes" if result.returncode == 2 else "failed"
        super().__init__(f"scenario {result.path} {what}:\n{result.output.rstrip()}")


class ScenarioResult:
    """How a run went: ``returncode`` (0 passed, 1 failed, 2 mistakes), ``output`` (stdout and
    stderr), ``path`` of the scenario file, ``trace`` of the JSON-lines trace if asked for."""

    def __init__(self, path, returncode, output, trace):
        self.path, self.returncode, self.output, self.trace = path, returncode, output, trace

    @property
    def passed(self) -> bool:
        """True when every expectation was met."""
        return self.returncode == 0


def run_scenario(scenario, seed=None, trace=None, report=None, binary=None, check=True,
                 timeout=600.0) -> ScenarioResult:
    """Runs one scenario: ``scenario`` is a path, a name in the repository's ``scenarios/``,
    or TOML text (anything with a newline). With ``check`` a failure raises
    :class:`ScenarioFailed`."""
    binary = find_binary(binary)
    tmp = None
    text = str(scenario)
    if "\n" in text:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".toml", prefix="m2285-scenario-",
                                          delete=False)
        tmp.write(text)
        tmp.close()
        path = Path(tmp.name)
    else:
        path = Path(text)
        root = repository_root()
        if not path.is_file() and root is not None:
            named = root / "scenarios" / (text if text.endswith(".toml") else f"{text}.toml")
            path = named if named.is_file() else path
    args = [str(binary), "run", str(path)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if trace is not None:
        args += ["--trace", str(trace)]
    if report is not None:
        args += ["--report", str(report)]
    try:
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)
    finally:
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
    result = ScenarioResult(path if tmp is None else "<inline>", proc.returncode, proc.stdout,
                            trace)
    if check and not result.passed:
        raise ScenarioFailed(result)
    return result
