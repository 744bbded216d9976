"""Fixtures and helpers for testing against the m2285-sim simulator.

Start a simulated Patton EtherBits Model 2285 from a test, use its serial port (a PTY) and its
network ports (loopback TCP), steer it through the control API, watch its events, and have it
cleaned up afterwards, even when the test fails. The pytest fixtures are in
:mod:`m2285_sim.plugin`; everything here also works without pytest.
"""

from .addresses import AddressPool
from .binary import find_binary
from .control import ControlClient, ControlError
from .device import Device, DeviceError, Endpoint
from .events import EventStream, EventTimeout
from .fleet import Fleet
from .scenario import ScenarioFailed, ScenarioResult, run_scenario

__all__ = [
    "AddressPool",
    "ControlClient",
    "ControlError",
    "Device",
    "DeviceError",
    "Endpoint",
    "EventStream",
    "EventTimeout",
    "Fleet",
    "ScenarioFailed",
    "ScenarioResult",
    "find_binary",
    "run_scenario",
]
