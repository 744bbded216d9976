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
    table("serial", s.serial); table("counters", c);
    table("sessions", Object.fromEntries((s.sessions || []).map((x) => [x.conn, x.peer + " " + x.role + " " + x.state])));
    const f = await (await fetch("/faults", {cache: "no-store"})).json();
    table("faults", Object.fromEntries((f.faults || []).map((x) => [x.id, x.name])));
  } catch (e) { led("led-power", false); }
}
setInterval(poll, 250); poll();
const events = new EventSource("/panel/events");
events.onmessage = (m) => {
  const li = document.createElement("li"); li.textContent = m.data;
  const ol = $("events"); ol.prepend(li);
  while (ol.children.length > 100) ol.lastChild.remove();
};
