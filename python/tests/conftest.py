"""The plugin's own tests run inner pytest sessions with pytester."""

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def inner_runs_use_this_binary(m2285_binary, monkeypatch):
    """Inner pytest runs (pytester gives them a HOME of their own, where rustup finds no
    toolchain) use the binary this session found."""
    monkeypatch.setenv("M2285_SIM_BIN", str(m2285_binary))
