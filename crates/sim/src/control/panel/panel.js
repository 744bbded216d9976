// The front panel: polls GET /status, listens to GET /panel/events, blinks LEDs on traffic.
"use strict";
const $ = (id) => document.getElementById(id);
const HISTORY = 300; // seconds kept in the graph
let last = null, lastT = 0, history = [], perSecond = {rx: 0, tx: 0, t: 0};
function led(id, on) { $(id).classList.toggle("on", !!on); }
function table(id, obj) {
  const t = $(id); t.textContent = "";
  for (const [k, v] of Object.entries(obj || {})) {
    const tr = t.insertRow(); tr.insertCell().textContent = k;
    tr.insertCell().textContent = typeof v === "object" ? JSON.stringify(v) : String(v);
  }
}
function draw() {
  const c = $("graph"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1, ...history.map((h) => Math.max(h.rx, h.tx)));
  for (const [key, color] of [["rx", "#3f3"], ["tx", "#fc3"]]) {
    g.strokeStyle = color; g.beginPath();
    history.forEach((h, i) => {
      const x = c.width - (history.length - i) * (c.width / HISTORY);
      const y = c.height - 4 - (h[key] / max) * (c.height - 8);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
  }
  g.fillStyle = "#aaa"; g.fillText(max + " B/s", 4, 12);
}
async function poll() {
  try {
    const s = await (await fetch("/status", {cache: "no-store"})).json();
    const c = s.counters || {}, now = performance.now();
    led("led-power", true); led("led-ready", s.port_enabled);
    led("led-link", (s.sessions || []).length > 0);
    if (last) {
      const rx = c.serial_rx_bytes - last.serial_rx_bytes, tx = c.serial_tx_bytes - last.serial_tx_bytes;
      const net = c.net_rx_bytes - last.net_rx_bytes + c.net_tx_bytes - last.net_tx_bytes;
      led("led-rx", rx > 0); led("led-tx", tx > 0); led("led-act", net > 0);
      perSecond.rx += rx; perSecond.tx += tx;
      if (now - perSecond.t >= 1000) {
        history.push({rx: perSecond.rx, tx: perSecond.tx});
        if (history.length > HISTORY) history.shift();
        perSecond = {rx: 0, tx: 0, t: now}; draw();
      }
    } else { perSecond.t = now; }
    last = c; lastT = now;
    const sig = s.signals || {}, io = Object.assign({}, sig.inputs, sig.outputs);
    for (const k of ["dtr", "rts", "dsr", "cts", "dcd", "ri"]) led("sig-" + k, io[k]);
    $("ip").textContent = s.ip || "";
    $("console-switch").textContent = s.console_switch || "data";
    table("serial", s.serial); table("counters", c);
    table("sessions", Object.fromEntries((s.sessions || []).map((x) => [x.conn, x.peer + " " + x.role + " " + x.state])));
    const f = await (await fetch("/faults", {cache: "no-store"})).json();
    faults(f.faults || []);
  } catch (e) { led("led-power", false); }
}
setInterval(poll, 250); poll();
const events = new EventSource("/panel/events");
events.onmessage = (m) => {
  const li = document.createElement("li"); li.textContent = m.data;
  const ol = $("events"); ol.prepend(li);
  while (ol.children.length > 100) ol.lastChild.remove();
};
// Controls: each is one control API call with the token (docs/control-api.md).
$("token").value = sessionStorage.getItem("m2285-token") || "";
$("token").onchange = () => sessionStorage.setItem("m2285-token", $("token").value.trim());
async function call(method, path, body) {
  const headers = {"Authorization": "Bearer " + $("token").value.trim()};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  $("control-result").textContent = method + " " + path + ": " + r.status + " " + text;
  return r.ok;
}
let shownFaults = null;
function faults(list) {
  // Redrawn only when the list changes, so a clear button stays put long enough to be clicked.
  const key = list.map((x) => x.id + " " + x.name).join("\n");
  if (key === shownFaults) return;
  shownFaults = key;
  const t = $("faults"); t.textContent = "";
  for (const x of list) {
    const tr = t.insertRow(); tr.insertCell().textContent = x.id;
    tr.insertCell().textContent = x.name;
    const b = document.createElement("button"); b.textContent = "clear";
    b.className = "fault-clear"; b.dataset.id = x.id;
    b.onclick = () => call("DELETE", "/faults/" + encodeURIComponent(x.id));
    tr.insertCell().appendChild(b);
  }
}
$("reset-short").onclick = () => call("POST", "/reset-button", {hold_ms: 1000});
$("reset-long").onclick = () => call("POST", "/reset-button", {hold_ms: 6000});
$("fault-add").onclick = () => {
  let params = {};
  try { params = JSON.parse($("fault-params").value || "{}"); }
  catch (e) { $("control-result").textContent = "params: not JSON: " + e.message; return; }
  call("POST", "/faults", {name: $("fault-name").value.trim(), params});
};
$("switch-toggle").onclick = () =>
  call("POST", "/console", {on: $("console-switch").textContent !== "console"});
$("fault-clear-all").onclick = () => call("DELETE", "/faults");
