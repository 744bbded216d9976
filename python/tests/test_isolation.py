"""Inner pytest runs (pytester): parallel workers, cleanup after failures, scenario failures."""

import json
import os
from pathlib import Path

FAILING_TEST = '''
import json, os

def test_fails_with_a_device_running(m2285_device, m2285_start_fleet):
    fleet = m2285_start_fleet(2)
    port = m2285_device.serial(timeout=0.2)
    peer = m2285_device.connect()
    record = {
        "pids": [m2285_device.pid, fleet.pid],
        "paths": [m2285_device.link, str(m2285_device.state_dir), str(m2285_device.workdir),
                  fleet[1].link, str(fleet[1].state_dir), str(fleet.process.workdir)],
    }
    with open(os.environ["RECORD"], "w") as f:
        json.dump(record, f)
    for p in record["paths"]:
        assert os.path.exists(p), p
    assert False, "this test fails on purpose"
'''

WORKER_TEST = '''
import json, os, pytest

@pytest.mark.parametrize("n", range(4))
def test_device_per_worker(m2285_device, n):
    peer = m2285_device.connect()
    m2285_device.events.wait_for("session_opened", timeout=5)
    peer.sendall(b"worker %d" % n)
    port = m2285_device.serial(timeout=0.5)
    got = b""
    while len(got) < 8:
        chunk = port.read(16)
        assert chunk, got
        got += chunk
    assert got.startswith(b"worker")
    out = os.path.join(os.environ["RECORD"], f"{n}.json")
    with open(out, "w") as f:
        json.dump({"worker": os.environ.get("PYTEST_XDIST_WORKER"), "ip": m2285_device.ip,
                   "pid": m2285_device.pid}, f)
'''


def alive(pid: int) -> bool:
    """True if a process with this id exists (and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_failing_test_leaves_nothing_behind(pytester, tmp_path, monkeypatch):
    record = tmp_path / "record.json"
    monkeypatch.setenv("RECORD", str(record))
    pytester.makepyfile(test_inner=FAILING_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    # The failure report carries the simulator's events.
    result.stdout.fnmatch_lines(["*this test fails on purpose*", "*m2285-sim pid * events*"])
    seen = json.loads(record.read_text())
    for pid in seen["pids"]:
        assert not alive(pid), f"simulator {pid} still runs"
    for path in seen["paths"]:
        assert not os.path.lexists(path), f"{path} left behind"


def test_two_xdist_workers_run_side_by_side(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("RECORD", str(tmp_path))
    pytester.makepyfile(test_workers=WORKER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=4)
    runs = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.json"))]
    assert len(runs) == 4
    workers = {r["worker"] for r in runs}
    assert workers == {"gw0", "gw1"}, runs
    assert len({r["ip"] for r in runs}) == 4, runs
    # Each worker has its own block of addresses: 127.200.x.y and 127.201.x.y.
    by_worker = {w: {r["ip"].split(".")[1] for r in runs if r["worker"] == w} for w in workers}
    assert by_worker["gw0"] == {"200"} and by_worker["gw1"] == {"201"}, by_worker


PASSING_SCENARIO = '''
name = "echo-through"
[[peer]]
name = "client"
[[step]]
connect = "client"
[[step]]
expect_session_opened = "client"
within = "10ms"
[[step]]
peer_send = "client"
text = "hello"
[[step]]
expect_serial = "hello"
within = "100ms"
'''


def test_scenario_passes(m2285_scenario):
    result = m2285_scenario(PASSING_SCENARIO)
    assert result.passed and "PASS" in result.output


def test_scenario_from_the_repository(m2285_scenario):
    assert m2285_scenario("power-cycle", seed=3).passed


def test_a_failed_scenario_is_a_readable_failure(pytester):
    pytester.makepyfile(test_scn='''
def test_never(m2285_scenario):
    m2285_scenario("""
name = "waits-in-vain"
[[peer]]
name = "p"
[[step]]
connect = "p"
[[step]]
expect_serial = "never sent"
within = "50ms"
""")
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*scenario <inline> failed:*",
        "*FAIL waits-in-vain*at line 8, device time 0.050000s*",
        '*expected "never sent" on serial within 50ms*',
    ])
    # No Python traceback through the plugin: the simulator's account is the whole story.
    out = result.stdout.str()
    assert "plugin.py" not in out and "During handling" not in out
