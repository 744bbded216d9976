"""pytest plugin (entry point ``m2285``): fixtures that start simulated devices for a test and
clean them up afterwards, pass or fail.

Fixtures:

* ``m2285_device`` -- one device, configured by ``@pytest.mark.m2285(config=..., sets=...)``
  (``config``: a file, a sim-config name such as ``"rfc2217"``, or a dict of keys).
* ``m2285_start`` -- a factory: ``m2285_start(config=None, sets=None, ...)`` -> ``Device``;
  every device it started is stopped at teardown.
* ``m2285_fleet`` -- a fleet, configured by ``@pytest.mark.m2285_fleet(count=3, ...)``;
  ``m2285_start_fleet`` is its factory.
* ``m2285_scenario`` -- ``m2285_scenario("scenarios/x.toml", seed=7)`` runs a scenario in
  virtual time; a failed expectation fails the test with the simulator's account of it.
* ``m2285_binary`` -- the simulator binary (``--m2285-bin``, ``$M2285_SIM_BIN``, or a cargo
  build of the repository); ``m2285_addresses`` -- the worker's pool of loopback addresses.
"""

import pytest

from .addresses import AddressPool
from .binary import find_binary
from .device import Device
from .fleet import Fleet
from .scenario import ScenarioFailed, run_scenario

STARTUP_KEY = "m2285_startup_seconds"


def pytest_addoption(parser):
    group = parser.getgroup("m2285", "m2285-sim simulator")
    group.addoption("--m2285-bin", action="store", default=None,
                    help="the m2285-sim binary (default: $M2285_SIM_BIN, else cargo build)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "m2285(config=None, sets=None, seed=None): how m2285_device starts")
    config.addinivalue_line(
        "markers", "m2285_fleet(count=3, config=None, sets=None, per_device=None): "
                   "how m2285_fleet starts")
    config._m2285_startups = []


@pytest.fixture(scope="session")
def m2285_binary(pytestconfig):
    """The simulator binary, built once per session when needed."""
    return find_binary(pytestconfig.getoption("m2285_bin"))


@pytest.fixture(scope="session")
def m2285_addresses():
    """Loopback addresses of this worker (127.200+worker.x.y)."""
    return AddressPool()


class _Started:
    """What one test started, stopped in reverse order at teardown."""

    def __init__(self, request):
        self.things = []
        request.node._m2285_started = self
        self.node = request.node

    def add(self, thing):
        self.things.append(thing)
        self.node.user_properties.append((STARTUP_KEY, round(thing.startup_seconds, 4)))
        return thing

    def stop_all(self):
        errors = []
        while self.things:
            try:
                self.things.pop().stop()
            except Exception as e:  # keep stopping the others
                errors.append(e)
        if errors:
            raise errors[0]


@pytest.fixture
def m2285_start(request, m2285_binary, m2285_addresses):
    """Factory: ``m2285_start(config=None, sets=None, seed=None, ...)`` starts a device."""
    started = _Started(request)

    def start(config=None, sets=None, **kwargs):
        kwargs.setdefault("pool", m2285_addresses)
        kwargs.setdefault("binary", m2285_binary)
        return started.add(Device.start(config=config, sets=sets, **kwargs))

    try:
        yield start
    finally:
        started.stop_all()


@pytest.fixture
def m2285_device(request, m2285_start):
    """One device, configured by ``@pytest.mark.m2285(...)`` (factory defaults without it)."""
    marker = request.node.get_closest_marker("m2285")
    kwargs = dict(marker.kwargs) if marker else {}
    return m2285_start(**kwargs)


@pytest.fixture
def m2285_start_fleet(request, m2285_binary, m2285_addresses):
    """Factory: ``m2285_start_fleet(count, config=None, sets=None, per_device=None)``."""
    started = _Started(request)

    def start(count, config=None, sets=None, **kwargs):
        kwargs.setdefault("pool", m2285_addresses)
        kwargs.setdefault("binary", m2285_binary)
        return started.add(Fleet.start(count, config=config, sets=sets, **kwargs))

    try:
        yield start
    finally:
        started.stop_all()


@pytest.fixture
def m2285_fleet(request, m2285_start_fleet):
    """A fleet, configured by ``@pytest.mark.m2285_fleet(count=..., ...)`` (3 devices)."""
    marker = request.node.get_closest_marker("m2285_fleet")
    kwargs = dict(marker.kwargs) if marker else {}
    kwargs.setdefault("count", 3)
    return m2285_start_fleet(**kwargs)


@pytest.fixture
def m2285_scenario(m2285_binary):
    """Runs a scenario (path, name in scenarios/, or TOML text); a failure fails the test
    with the simulator's own report (step, line, device time, events before it)."""

    def run(scenario, **kwargs):
        kwargs.setdefault("binary", m2285_binary)
        try:
            return run_scenario(scenario, **kwargs)
        except ScenarioFailed as failure:
            message = str(failure)
        pytest.fail(message, pytrace=False)

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test, the simulators' stderr and last events go into the report."""
    outcome = yield
    report = outcome.get_result()
    started = getattr(item, "_m2285_started", None)
    if report.when != "call" or not report.failed or started is None:
        return
    for thing in started.things:
        process = thing.process
        tail = "\n".join(str(e) for e in process.events.seen()[-20:])
        report.sections.append((f"m2285-sim pid {process.pid} events", tail))
        report.sections.append((f"m2285-sim pid {process.pid} stderr", process.stderr_text()))


def pytest_runtest_logreport(report):
    """Collects the start-up times (xdist carries user_properties to the controller)."""
    if report.when != "teardown":
        return
    config = getattr(report, "config", None) or _CONFIG.get("config")
    if config is None:
        return
    for key, value in getattr(report, "user_properties", []):
        if key == STARTUP_KEY:
            config._m2285_startups.append(value)


_CONFIG = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _CONFIG["config"] = session.config


def pytest_terminal_summary(terminalreporter, config):
    """One line: how many simulators started and how long they took to be ready."""
    times = sorted(getattr(config, "_m2285_startups", []))
    if not times:
        return
    mean = sum(times) / len(times)
    median = times[len(times) // 2]
    terminalreporter.write_line(
        f"m2285-sim: {len(times)} simulator(s) started; ready in mean {mean * 1000:.0f} ms, "
        f"median {median * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
