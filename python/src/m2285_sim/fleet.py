"""Many devices in one ``m2285-sim fleet`` process, each an :class:`Endpoint` of its own."""

from .addresses import AddressPool
from .binary import find_binary
from .device import Endpoint, config_args
from .control import ControlClient
from .process import SimProcess


class MemberEvents:
    """The fleet's events of one device (those whose ``device`` field is its index)."""

    def __init__(self, stream, index: int):
        self.stream, self.index = stream, index

    def wait_for(self, name: str, timeout: float = 5.0, where=None, **fields) -> dict:
        """Like :meth:`EventStream.wait_for`, for this device's events only."""
        return self.stream.wait_for(name, timeout, where, device=self.index, **fields)

    def __iter__(self):
        return (e for e in self.stream if e.get("device") == self.index)


class FleetMember(Endpoint):
    """Device ``index`` of a fleet."""

    def __init__(self, ready: dict, fleet):
        super().__init__(ready, fleet.process.workdir / "state" / f"dev{ready['index']}", fleet)
        self.index = ready["index"]
        # One control API for the whole fleet: this device is /devices/N on it.
        control = fleet.process.ready["control"]
        self.control = ControlClient(control["ip"], control["port"],
                                     fleet.process.workdir / "state",
                                     prefix=f"/devices/{self.index}")
        self.events = MemberEvents(fleet.events, self.index)


class Fleet:
    """``count`` devices in one process, from one configuration, with per-device overrides
    (``per_device={3: {"port1.serial.baud": 921600}}``)."""

    def __init__(self, process: SimProcess):
        self.process = process
        self.closers = []
        self.events = process.events
        self.startup_seconds = process.startup_seconds
        self.devices = [FleetMember(d, self) for d in process.ready["devices"]]

    @classmethod
    def start(cls, count: int, config=None, sets=None, per_device=None, pool=None, binary=None,
              seed=None, log="warn", start_timeout=60.0):
        """Starts the fleet; addresses are a fresh block of ``pool``."""
        binary = find_binary(binary)
        base = (pool or AddressPool()).fleet_base(count)
        keys = {"sim.free_ports": True}
        keys.update(sets or {})
        conf = config_args(config, keys)
        for index, overrides in (per_device or {}).items():
            for key, value in overrides.items():
                if isinstance(value, bool):
                    value = "true" if value else "false"
                conf += ["--device", f"{index}:{key}={value}"]

        def args_for(workdir):
            args = ["fleet", "--count", count, "--pty-dir", workdir / "ptys",
                    "--state-dir", workdir / "state", "--ip-base", base, "--log", log] + conf
            return args + (["--seed", seed] if seed is not None else [])

        return cls(SimProcess(binary, args_for, "fleet", start_timeout))

    def __len__(self):
        return len(self.devices)

    def __getitem__(self, index: int) -> FleetMember:
        return self.devices[index]

    def __iter__(self):
        return iter(self.devices)

    @property
    def pid(self) -> int:
        """The fleet process's id."""
        return self.process.pid

    def stop(self):
        """Closes what the test opened, stops the process, removes links and state."""
        while self.closers:
            try:
                self.closers.pop()()
            except OSError:
                pass
        return self.process.stop()
