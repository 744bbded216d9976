"""Finds the ``m2285-sim`` binary, building it with cargo inside the repository."""

import json
import os
import shutil
import subprocess
from pathlib import Path

_cached = {}


def repository_root(start: Path = None):
    """The m2285-sim workspace this package sits in (or the working directory is in), or None."""
    candidates = [Path(__file__).resolve()] + ([start.resolve()] if start else []) + [Path.cwd()]
    for origin in candidates:
        for d in [origin] + list(origin.parents):
            if (d / "Cargo.toml").is_file() and (d / "crates" / "sim" / "Cargo.toml").is_file():
                return d
    return None


def build_with_cargo(root: Path) -> Path:
    """Runs ``cargo build -p m2285-sim`` in ``root`` and returns the binary cargo reports."""
    cargo = shutil.which("cargo")
    if cargo is None:
        raise FileNotFoundError("cargo is not on PATH")
    proc = subprocess.run(
        [cargo, "build", "-q", "-p", "m2285-sim", "--bin", "m2285-sim",
         "--message-format=json-render-diagnostics"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cargo build -p m2285-sim failed:\n{proc.stderr}")
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg.get("target", {}).get("name") == "m2285-sim":
            return Path(msg["executable"])
    raise RuntimeError("cargo built m2285-sim but did not say where the binary is")


def find_binary(explicit=None) -> Path:
    """The simulator binary: ``explicit``, else ``$M2285_SIM_BIN``, else a cargo build of the
    repository this package belongs to, else ``m2285-sim`` on PATH (``cargo install``)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("M2285_SIM_BIN")
    if env:
        return Path(env)
    if "binary" in _cached:
        return _cached["binary"]
    root = repository_root()
    found = None
    if root is not None and shutil.which("cargo"):
        found = build_with_cargo(root)
    elif shutil.which("m2285-sim"):
        found = Path(shutil.which("m2285-sim"))
    if found is None:
        raise FileNotFoundError(
            "m2285-sim not found: set M2285_SIM_BIN, run inside the repository with cargo, "
            "or `cargo install --path crates/sim`")
    _cached["binary"] = found
    return found


def sim_config_path(name: str):
    """``sim-configs/NAME.toml`` of the repository, or None."""
    root = repository_root()
    if root is None:
        return None
    path = root / "sim-configs" / (name if name.endswith(".toml") else f"{name}.toml")
    return path if path.is_file() else None
