"""A client of the simulator's control API (docs/control-api.md): HTTP + JSON on loopback.

Every request carries a plain ``Host`` (the address it connects to) and bodies are sent as
``application/json``. When the device's state directory holds ``control.token``, its content is
sent as ``Authorization: Bearer TOKEN``, so the client works whether or not the device asks for
a token.
"""

import http.client
import json
from pathlib import Path
from urllib.parse import quote


class ControlError(Exception):
    """The device refused a request: ``status`` is the HTTP status, ``body`` the JSON answer."""

    def __init__(self, method, path, status, body):
        self.method, self.path, self.status, self.body = method, path, status, body
        message = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: HTTP {status}: {message}")


class ControlClient:
    """Talks to one device's control API at ``host:port``. A fleet's device is reached through
    the fleet's one server with ``prefix="/devices/N"`` and the token of the fleet's state
    directory (docs/control-api.md, "Fleets")."""

    def __init__(self, host: str, port: int, state_dir=None, timeout: float = 10.0,
                 prefix: str = ""):
        self.host, self.port, self.timeout = host, int(port), timeout
        self.state_dir = Path(state_dir) if state_dir else None
        self.prefix = prefix

    def token(self):
        """The device's control token, if its state directory has one."""
        if self.state_dir is None:
            return None
        try:
            return (self.state_dir / "control.token").read_text().strip() or None
        except OSError:
            return None

    def headers(self, with_body: bool) -> dict:
        """The headers of a request: Host, JSON content type for bodies, the token if any."""
        h = {"Host": f"{self.host}:{self.port}", "Accept": "application/json"}
        if with_body:
            h["Content-Type"] = "application/json"
        token = self.token()
        if token:
            h["Authorization"] = f"Bearer {token}"
        return h

    def request(self, method: str, path: str, body=None):
        """One request; returns the JSON answer, raises :class:`ControlError` on a 4xx/5xx."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            data = None if body is None else json.dumps(body).encode()
            if data is None and method in ("POST", "PUT"):
                data = b"{}"
            conn.request(method, self.prefix + path, body=data,
                         headers=self.headers(data is not None))
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = raw.decode(errors="replace")
        if resp.status >= 400:
            raise ControlError(method, path, resp.status, answer)
        return answer

    # --- what a cable or a hand on the device would do ---

    def status(self) -> dict:
        """Mode, sessions, line signals, observed baud rate, counters."""
        return self.request("GET", "/status")

    def signals(self) -> dict:
        """``{"inputs": {dsr, cts, dcd, ri}, "outputs": {dtr, rts}}``."""
        return self.request("GET", "/signals")

    def set_signals(self, **levels) -> dict:
        """Sets input lines as the attached equipment would: ``set_signals(dsr=False)``."""
        body = {k: (("high" if v else "low") if isinstance(v, bool) else v)
                for k, v in levels.items()}
        return self.request("POST", "/signals", body)

    def send_break(self, duration_ms: int = 250) -> dict:
        """The attached equipment sends a break of ``duration_ms``."""
        return self.request("POST", "/break", {"duration_ms": duration_ms})

    def config_get(self, key: str = None):
        """One key's value, or the whole configuration."""
        if key is None:
            return self.request("GET", "/config")
        return self.request("GET", f"/config/{quote(key)}")["value"]

    def config_set(self, values: dict = None, apply: bool = True, **keys) -> dict:
        """Changes keys, all or nothing: ``config_set({"port1.serial.baud": 115200})``. The
        device stages them; with ``apply`` (the default) it also applies them at once."""
        merged = dict(values or {})
        merged.update(keys)
        return self.request("POST", "/config", {"set": merged, "apply": apply})

    def apply(self) -> dict:
        """Applies the staged configuration (``POST /apply``)."""
        return self.request("POST", "/apply", {})

    def faults(self) -> list:
        """The faults not yet ended, with their counters."""
        return self.request("GET", "/faults")["faults"]

    def fault_add(self, name: str, **params) -> dict:
        """Starts a fault by its scenario name: ``fault_add("net.reset")``."""
        return self.request("POST", "/faults", {"name": name, "params": params})["added"]

    def fault_clear(self, fault_id: str = None) -> list:
        """Ends the faults with this id, or all of them."""
        path = "/faults" if fault_id is None else f"/faults/{quote(fault_id)}"
        return self.request("DELETE", path)["cleared"]

    def save(self, reboot: bool = False) -> dict:
        """Saves the configuration to the device's memory, and reboots it if asked."""
        return self.request("POST", "/save", {"reboot": reboot})

    def reboot(self) -> dict:
        """Reboots the device (``POST /reboot``)."""
        return self.request("POST", "/reboot", {})
