"""The device fixtures against the real simulator: bytes, RFC 2217, faults, configuration."""

import json
import subprocess
import time

import pytest
import serial

from m2285_sim import ControlError, EventTimeout


def read_exactly(read, n, timeout=5.0):
    """Reads ``n`` bytes with ``read(k)`` (pyserial or a socket) or what came in ``timeout``."""
    got = b""
    end = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        got += read(n - len(got))
    return got


def test_device_moves_bytes_through_pyserial(m2285_device):
    port = m2285_device.serial(baudrate=9600, timeout=0.5)
    peer = m2285_device.connect()
    m2285_device.events.wait_for("session_opened", timeout=5)
    peer.sendall(b"from the network\r\n")
    assert read_exactly(port.read, 18) == b"from the network\r\n"
    port.write(b"from the serial side")
    peer.settimeout(0.5)

    def recv(n):
        try:
            return peer.recv(n)
        except TimeoutError:
            return b""

    assert read_exactly(recv, 20) == b"from the serial side"


def test_socket_url_opens_with_pyserial(m2285_device):
    port = m2285_device.serial(baudrate=9600, timeout=0.5)
    remote = m2285_device.serial_for_url(m2285_device.socket_url, timeout=0.5)
    port.write(b"ping")
    assert read_exactly(remote.read, 4) == b"ping"


@pytest.mark.m2285(config="rfc2217")
def test_rfc2217_sets_baud_and_ctl_status_shows_it(m2285_device, m2285_binary):
    remote = m2285_device.serial_for_url(m2285_device.rfc2217_url, baudrate=57600, timeout=1)
    assert remote.baudrate == 57600
    status = m2285_device.control.status()
    assert status["serial"]["settings"].startswith("57600 "), status["serial"]
    # The command-line client says the same.
    out = subprocess.run(
        [str(m2285_binary), "ctl", "--addr", f"{m2285_device.ip}:{m2285_device.ports['control']}",
         "status"], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert json.loads(out)["serial"]["settings"].startswith("57600 ")


def test_fault_breaks_a_session(m2285_device):
    peer = m2285_device.connect()
    opened = m2285_device.events.wait_for("session_opened", timeout=5)
    added = m2285_device.control.fault_add("net.reset", id="cut")
    assert added["name"] == "net.reset"
    closed = m2285_device.events.wait_for("session_closed", timeout=5, conn=opened["conn"])
    assert "reset" in json.dumps(closed), closed
    peer.settimeout(5)
    with pytest.raises((ConnectionResetError, BrokenPipeError)):
        # A reset connection either reports the RST at once or reads as closed then fails.
        while peer.recv(100):
            pass
        peer.sendall(b"x")
        peer.sendall(b"x")


def test_config_from_a_dict_and_control_set(m2285_start):
    dev = m2285_start({"port1.serial.baud": 115200})
    assert dev.control.config_get("port1.serial.baud") == 115200
    dev.control.config_set({"port1.serial.baud": 19200})
    assert dev.control.config_get("port1.serial.baud") == 19200
    dev.events.wait_for("config_applied", timeout=5)
    with pytest.raises(ControlError) as err:
        dev.control.config_set({"port1.serial.baud": "fast"})
    assert err.value.status == 400 and "baud" in str(err.value)


def test_config_from_a_file(m2285_start, tmp_path):
    conf = tmp_path / "dev.toml"
    conf.write_text('[port1.serial]\nbaud = 38400\n')
    dev = m2285_start(conf)
    assert dev.status()["serial"]["settings"].startswith("38400 ")


def test_signals_and_break_through_the_control_client(m2285_device):
    m2285_device.control.set_signals(dsr=False)
    assert m2285_device.control.signals()["inputs"]["dsr"] is False
    m2285_device.events.wait_for("signal_changed", timeout=5, signal="dsr", high=False)
    assert m2285_device.control.send_break(100) == {"break_ms": 100}
    m2285_device.events.wait_for("break_received", timeout=5, duration_ms=100)


def test_wait_for_names_what_came_instead(m2285_device):
    with pytest.raises(EventTimeout) as err:
        m2285_device.events.wait_for("session_opened", timeout=0.3)
    assert "ready" in str(err.value)


def test_events_iterate_in_order(m2285_device):
    m2285_device.connect()
    names = []
    for event in m2285_device.events.iter(timeout=5):
        names.append(event["event"])
        if event["event"] == "session_opened":
            break
    assert names[0] == "ready" and names[-1] == "session_opened"


@pytest.mark.m2285_fleet(count=3, per_device={2: {"port1.serial.baud": 115200}})
def test_fleet_devices_are_independent(m2285_fleet):
    assert len(m2285_fleet) == 3
    assert len({d.ip for d in m2285_fleet}) == 3
    third = m2285_fleet[2]
    assert third.status()["serial"]["settings"].startswith("115200 ")
    port = third.serial(baudrate=115200, timeout=0.5)
    peer = third.connect()
    third.events.wait_for("session_opened", timeout=5)
    peer.sendall(b"to device 2")
    assert read_exactly(port.read, 11) == b"to device 2"
    assert m2285_fleet[0].status()["sessions"] == []


def test_staged_configuration_applies_on_request(m2285_device):
    m2285_device.control.config_set({"port1.serial.baud": 19200}, apply=False)
    assert m2285_device.status()["serial"]["settings"].startswith("9600 ")
    m2285_device.control.apply()
    assert m2285_device.status()["serial"]["settings"].startswith("19200 ")
