// Draws the run's timeline as SVG from the JSON in #report-data and lets the reader zoom:
// wheel zooms at the pointer, dragging moves, the buttons zoom in, out and back to the run.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var tl = data.timeline;
  var end = Math.max(tl.end_ns, 1);
  var view = { t0: 0, t1: end };
  var LABEL = 170, RIGHT = 44, LANE = 18, GAP = 6, RATE_H = 56;
  var host = document.getElementById("timeline");

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(ns) {
    var s = ns / 1e9;
    if (ns === 0) return "0 s";
    if (Math.abs(s) >= 1) return s.toFixed(3) + " s";
    if (Math.abs(s) >= 1e-3) return (s * 1e3).toFixed(3) + " ms";
    return (s * 1e6).toFixed(1) + " µs";
  }
  function rate(bps) {
    if (bps >= 1e6) return (bps / 1e6).toFixed(1) + " MB/s";
    if (bps >= 1e3) return (bps / 1e3).toFixed(1) + " kB/s";
    return bps.toFixed(0) + " B/s";
  }

  function draw() {
    var width = Math.max(600, host.clientWidth || 1000);
    var plotW = width - LABEL - RIGHT;
    var x = function (t) { return LABEL + (t - view.t0) / (view.t1 - view.t0) * plotW; };
    var out = [], y = 28;
    function lane(label) {
      out.push('<text class="lane-label" x="4" y="' + (y + LANE - 5) + '">' + esc(label) + "</text>");
      var top = y; y += LANE + GAP; return top;
    }
    function span(cls, from, to, top, title, extra) {
      var a = Math.max(x(from), LABEL - 2), b = Math.min(x(to), width - RIGHT + 2);
      if (b < LABEL || a > width - RIGHT) return;
      out.push('<rect class="' + cls + '"' + (extra || "") + ' x="' + a.toFixed(1) + '" y="' + top +
        '" width="' + Math.max(1.5, b - a).toFixed(1) + '" height="' + LANE + '"><title>' + esc(title) + "</title></rect>");
    }
    // Sessions: one lane each.
    tl.sessions.forEach(function (s) {
      var top = lane("session " + s.conn + " " + s.peer);
      var close = s.close_ns === null ? end : s.close_ns;
      var failed = /fail|reset|timeout/i.test(s.reason) ? " failed" : "";
      span("session" + failed, s.open_ns, close, top,
        "conn " + s.conn + " " + s.peer + ": " + fmt(s.open_ns) + " – " +
        (s.close_ns === null ? "open at the end" : fmt(s.close_ns) + " (" + s.reason + ")"),
        ' data-conn="' + s.conn + '"');
    });
    // Faults: one lane each, and a light band over everything while active.
    var bands = [];
    tl.faults.forEach(function (f) {
      var top = lane("fault " + f.id);
      var off = f.off_ns === null ? end : f.off_ns;
      span("fault", f.on_ns, off, top, f.name + " (" + f.id + "): " + fmt(f.on_ns) + " – " + fmt(off));
      bands.push([f.on_ns, off]);
    });
    // Line signals: a step line, high at the top of the lane.
    tl.signals.forEach(function (sig) {
      var top = lane(sig.name + " (" + sig.direction + ")");
      var d = "", level = null, hi = top + 2, lo = top + LANE - 2;
      sig.changes.forEach(function (c) {
        var cx = Math.min(Math.max(x(c[0]), LABEL), width - RIGHT);
        var cy = c[1] ? hi : lo;
        d += (level === null ? "M" + cx + " " + cy : " L" + cx + " " + level + " L" + cx + " " + cy);
        level = cy;
      });
      if (level !== null) d += " L" + (width - RIGHT) + " " + level;
      out.push('<path class="signal" d="' + d + '"><title>' + esc(sig.name) + "</title></path>");
    });
    // Bytes per second each way, serial side and network side.
    var r = tl.rates;
    [["serial", r.serial_to_device, r.serial_from_device], ["network", r.net_to_device, r.net_from_device]]
      .forEach(function (chart) {
        var top = y, bottom = y + RATE_H;
        var max = Math.max.apply(null, chart[1].concat(chart[2]).concat([1]));
        out.push('<text class="lane-label" x="4" y="' + (top + 12) + '">' + chart[0] + " bytes/s</text>" +
          '<text class="lane-label" x="4" y="' + (top + 26) + '">max ' + rate(max) + "</text>" +
          '<text class="lane-label" x="4" y="' + (top + 40) + '"><tspan fill="#1b9e77">to device</tspan> / ' +
          '<tspan fill="#d95f02">from</tspan></text>');
        [["rate-in", chart[1]], ["rate-out", chart[2]]].forEach(function (series) {
          var d = "";
          series[1].forEach(function (v, i) {
            var t = i * r.bucket_ns;
            if (t + r.bucket_ns < view.t0 || t > view.t1) return;
            var px = Math.min(Math.max(x(t), LABEL), width - RIGHT);
            var py = bottom - v / max * (RATE_H - 4);
            d += (d === "" ? "M" : " L") + px.toFixed(1) + " " + py.toFixed(1);
          });
          if (d) out.push('<path class="' + series[0] + '" d="' + d + '"/>');
        });
        y = bottom + GAP * 2;
      });
    var height = y + 10;
    // Axis with about eight ticks.
    var axis = ['<g class="axis">'];
    for (var i = 0; i <= 8; i++) {
      var t = view.t0 + (view.t1 - view.t0) * i / 8, ax = x(t);
      axis.push('<line x1="' + ax + '" y1="16" x2="' + ax + '" y2="' + height + '"/>' +
        '<text x="' + ax + '" y="12" text-anchor="middle">' + fmt(t) + "</text>");
    }
    axis.push("</g>");
    var under = bands.map(function (b) {
      var a = Math.max(x(b[0]), LABEL), e = Math.min(x(b[1]), width - RIGHT);
      return e > a ? '<rect class="fault-band" x="' + a + '" y="18" width="' + (e - a) + '" height="' + (height - 18) + '"/>' : "";
    });
    // Power changes and expectations: vertical lines over all lanes.
    var over = [];
    tl.power.forEach(function (p) {
      var px = x(p[0]);
      if (px >= LABEL && px <= width - RIGHT)
        over.push('<line class="power" x1="' + px + '" y1="18" x2="' + px + '" y2="' + height + '"><title>power ' +
          (p[1] ? "on" : "off") + " at " + fmt(p[0]) + "</title></line>");
    });
    tl.expectations.forEach(function (e) {
      var px = x(e.t_ns);
      if (px < LABEL - 1 || px > width - RIGHT + 1) return;
      var title = "<title>line " + e.line + ": " + esc(e.what) + (e.ok ? " (met)" : " (FAILED)") + " at " + fmt(e.t_ns) + "</title>";
      if (e.ok) {
        over.push('<line class="expect-met" x1="' + px + '" y1="18" x2="' + px + '" y2="' + height + '">' + title + "</line>");
      } else {
        over.push('<line class="failure-marker" x1="' + px + '" y1="18" x2="' + px + '" y2="' + height + '">' + title + "</line>" +
          '<text class="failure-label" text-anchor="' + (px > width - 90 ? "end" : "start") + '" x="' +
          (px > width - 90 ? px - 4 : px + 4) + '" y="' + (height - 4) + '">✗ line ' + e.line + "</text>");
      }
    });
    host.innerHTML = '<svg xmlns="http://www.w3.org/2000/svg" width="' + width + '" height="' + height + '">' +
      under.join("") + axis.join("") + out.join("") + over.join("") + "</svg>";
    document.getElementById("window").textContent = fmt(view.t0) + " – " + fmt(view.t1);
    host.dataset.rendered = "true";
  }

  function zoom(factor, at) {
    var span = (view.t1 - view.t0) * factor;
    span = Math.min(Math.max(span, 1000), end);
    var frac = (at - view.t0) / (view.t1 - view.t0);
    var t0 = at - frac * span;
    t0 = Math.min(Math.max(t0, 0), end - span);
    view = { t0: t0, t1: t0 + span };
    draw();
  }
  function timeAt(clientX) {
    var svg = host.querySelector("svg"), box = svg.getBoundingClientRect();
    var plotW = box.width - LABEL - RIGHT;
    var frac = Math.min(Math.max((clientX - box.left - LABEL) / plotW, 0), 1);
    return view.t0 + frac * (view.t1 - view.t0);
  }
  host.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    zoom(ev.deltaY < 0 ? 0.8 : 1.25, timeAt(ev.clientX));
  }, { passive: false });
  var drag = null;
  host.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX, t0: view.t0, t1: view.t1 }; });
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) return;
    var box = host.querySelector("svg").getBoundingClientRect();
    var dt = (ev.clientX - drag.x) / (box.width - LABEL - RIGHT) * (drag.t1 - drag.t0);
    var t0 = Math.min(Math.max(drag.t0 - dt, 0), end - (drag.t1 - drag.t0));
    view = { t0: t0, t1: t0 + (drag.t1 - drag.t0) };
    draw();
  });
  document.getElementById("zoom-in").onclick = function () { zoom(0.5, (view.t0 + view.t1) / 2); };
  document.getElementById("zoom-out").onclick = function () { zoom(2, (view.t0 + view.t1) / 2); };
  document.getElementById("zoom-reset").onclick = function () { view = { t0: 0, t1: end }; draw(); };
  window.addEventListener("resize", draw);
  draw();
})();
