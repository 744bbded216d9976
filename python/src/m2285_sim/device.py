"""A simulated device: started from a configuration, with its serial port, ports and API."""

import socket
from pathlib import Path

import serial

from .binary import find_binary, sim_config_path
from .control import ControlClient
from .process import SimError, SimProcess

DeviceError = SimError


def config_args(config=None, sets=None) -> list:
    """Command-line arguments for a configuration given as a file, a sim-config name (a file of
    the repository's ``sim-configs/``), or a dict of keys, plus ``sets`` (a dict of keys)."""
    args = []
    keys = {}
    if isinstance(config, dict):
        keys.update(config)
    elif config is not None:
        path = Path(config)
        if not path.is_file():
            named = sim_config_path(str(config))
            if named is None:
                raise FileNotFoundError(
                    f"{config!r} is neither a file nor a name in sim-configs/")
            path = named
        args += ["--config", path]
    keys.update(sets or {})
    for key, value in keys.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        args += ["--set", f"{key}={value}"]
    return args


class Endpoint:
    """What a test uses of one device: its serial port, its network ports, its control API.

    ``pty`` is the PTY's /dev/pts path, ``link`` the symlink to it, ``ip`` the device's loopback
    address, ``ports`` the ready line's ports (``data``, ``control``, ...), ``state_dir`` its
    non-volatile memory.
    """

    def __init__(self, ready: dict, state_dir: Path, owner):
        self.ready = ready
        self.pty = ready.get("pty")
        self.link = ready.get("link") or self.pty
        self.ip = ready["ip"]
        self.ports = dict(ready.get("ports", {}))
        self.state_dir = Path(state_dir)
        self.owner = owner
        self.control = ControlClient(self.ip, self.ports["control"], self.state_dir) \
            if "control" in self.ports else None

    @property
    def data_port(self) -> int:
        """The data port (TCP server, RFC 2217, ... as configured)."""
        return self.ports["data"]

    @property
    def socket_url(self) -> str:
        """``socket://IP:PORT`` of the data port, for ``serial.serial_for_url``."""
        return f"socket://{self.ip}:{self.data_port}"

    @property
    def rfc2217_url(self) -> str:
        """``rfc2217://IP:PORT`` of the data port (Telnet on, e.g. sim-config ``rfc2217``)."""
        return f"rfc2217://{self.ip}:{self.data_port}"

    def serial(self, baudrate: int = 9600, timeout: float = 2.0, **kwargs) -> serial.Serial:
        """A pyserial ``Serial`` on the device's serial port (raw), closed at cleanup."""
        port = serial.Serial(self.link, baudrate=baudrate, timeout=timeout, **kwargs)
        self.owner.closers.append(port.close)
        return port

    def serial_for_url(self, url: str, **kwargs):
        """``serial.serial_for_url(url)``, closed at cleanup; e.g. ``dev.serial_for_url(
        dev.rfc2217_url, baudrate=115200)``."""
        port = serial.serial_for_url(url, **kwargs)
        self.owner.closers.append(port.close)
        return port

    def connect(self, port: int = None, timeout: float = 5.0) -> socket.socket:
        """A TCP connection to the data port (or ``port``), closed at cleanup."""
        s = socket.create_connection((self.ip, port or self.data_port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner.closers.append(s.close)
        return s

    def status(self) -> dict:
        """``ctl status``."""
        return self.control.status()


class Device(Endpoint):
    """One ``m2285-sim`` process running one device.

    >>> dev = Device.start(config="rfc2217", pool=AddressPool())   # doctest: +SKIP
    >>> dev.events.wait_for("ready")                                 # doctest: +SKIP
    >>> dev.stop()                                                   # doctest: +SKIP
    """

    def __init__(self, process: SimProcess, state_dir: Path):
        self.process = process
        self.closers = []
        super().__init__(process.ready, state_dir, self)
        self.events = process.events
        self.startup_seconds = process.startup_seconds

    @classmethod
    def start(cls, config=None, sets=None, ip=None, pool=None, binary=None, seed=None,
              trace=None, log="warn", extra_args=(), start_timeout=20.0):
        """Starts a device: ``config`` a file, a sim-config name or a dict of keys, ``sets`` more
        keys; free ports (``sim.free_ports``) unless the configuration says otherwise; its own
        loopback address from ``pool`` (or ``ip``)."""
        binary = find_binary(binary)
        if ip is None:
            if pool is None:
                from .addresses import AddressPool
                pool = AddressPool()
            ip = pool.device()
        keys = {"sim.free_ports": True}
        keys.update(sets or {})
        conf = config_args(config, keys)

        def args_for(workdir):
            args = ["--pty", workdir / "ttyS0", "--ip", ip, "--state-dir", workdir / "state",
                    "--log", log] + conf
            if seed is not None:
                args += ["--seed", seed]
            if trace is not None:
                args += ["--trace", trace]
            return args + list(extra_args)

        process = SimProcess(binary, args_for, "dev", start_timeout)
        return cls(process, process.workdir / "state")

    @property
    def pid(self) -> int:
        """The simulator's process id."""
        return self.process.pid

    @property
    def workdir(self) -> Path:
        """The directory holding the PTY link, the state directory and the stderr log."""
        return self.process.workdir

    def stderr(self) -> str:
        """The simulator's log so far."""
        return self.process.stderr_text()

    def stop(self):
        """Closes what the test opened through this object, stops the simulator, removes its
        work directory. Safe to call twice."""
        while self.closers:
            try:
                self.closers.pop()()
            except OSError:
                pass
        return self.process.stop()
