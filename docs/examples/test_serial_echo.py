"""Example from docs/testing.md: a Python test against the simulator (run by scripts/test)."""

from pathlib import Path

import pytest


def test_a_peer_reaches_the_serial_program(m2285_device):
    # The program on the serial side opens the port (a PTY) with pyserial...
    port = m2285_device.serial(baudrate=9600, timeout=2)
    # ...and a network peer connects to the device's data port (pyserial's socket:// URL reads
    # with a timeout like a serial port; `m2285_device.connect()` gives a plain socket).
    peer = m2285_device.serial_for_url(m2285_device.socket_url, timeout=2)
    m2285_device.events.wait_for("session_opened", timeout=5)
    peer.write(b"PING\r\n")
    assert port.read(6) == b"PING\r\n"  # paced at 9600 baud: 6.25 ms
    port.write(b"PONG\r\n")
    assert peer.read(6) == b"PONG\r\n"
    assert m2285_device.control.status()["sessions"][0]["state"] == "established"


@pytest.mark.m2285(config="rfc2217")
def test_a_remote_com_port_changes_the_baud_rate(m2285_device):
    remote = m2285_device.serial_for_url(m2285_device.rfc2217_url, baudrate=19200, timeout=2)
    assert remote.baudrate == 19200
    assert m2285_device.control.status()["serial"]["settings"].startswith("19200 ")


def test_a_scenario_in_virtual_time(m2285_scenario):
    result = m2285_scenario(Path(__file__).with_name("serial-echo.toml"))
    assert result.passed
