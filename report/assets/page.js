// tcdse report page: renders the JSON in #report-data with inline SVG; no network access.
"use strict";
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message || e)); });
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var P = D.points || [];
  var SVGNS = "http://www.w3.org/2000/svg";
  var COLORS = { baseline: "#111111", probe: "#98a2b3", gwp: "#1f77b4", structured: "#9467bd", int8: "#ff7f0e", search: "#2ca02c" };
  var LAYER_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var AXES = {
    quality: { label: D.metric || "quality", get: function (p) { return p.quality; }, fmt: function (v) { return v.toFixed(4); } },
    cycles: { label: "cycles", get: function (p) { return p.cycles; }, fmt: fmtInt },
    time_us: { label: "time µs at " + D.clock_mhz + " MHz", get: function (p) { return p.time_us; }, fmt: function (v) { return v.toFixed(1); } },
    rom: { label: "ROM KB", get: function (p) { return p.rom_bytes / 1024; }, fmt: function (v) { return v.toFixed(1); } },
    ram: { label: "RAM KB", get: function (p) { return p.ram_bytes / 1024; }, fmt: function (v) { return v.toFixed(1); } },
    footprint: { label: "footprint KB (weights + arena)", get: function (p) { return p.footprint ? p.footprint / 1024 : NaN; }, fmt: function (v) { return v.toFixed(1); } },
    sparsity: { label: "sparsity %", get: function (p) { return 100 * p.sparsity; }, fmt: function (v) { return v.toFixed(1); } }
  };
  var state = { x: "rom", y: "quality", all: true, selected: -1, a: -1, b: -1 };

  function fmtInt(v) { return Math.round(v).toLocaleString("en-US"); }
  function kb(b) { return (b / 1024).toFixed(1) + " KB"; }
  function pct(v) { return (100 * v).toFixed(1) + " %"; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function finite(v) { return typeof v === "number" && isFinite(v); }

  // ticks returns about n round values covering [lo, hi].
  function ticks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function extent(vals, pad) {
    var lo = Infinity, hi = -Infinity;
    vals.forEach(function (v) { if (finite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (!finite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { lo -= Math.abs(lo) * 0.05 || 0.5; hi += Math.abs(hi) * 0.05 || 0.5; }
    var d = (hi - lo) * (pad || 0.05);
    return [lo - d, hi + d];
  }
  // frame draws axes and grid into svg and returns the scales.
  function frame(svg, W, H, m, xd, yd, xlabel, ylabel, xfmt, yfmt) {
    var sx = function (v) { return m.l + (v - xd[0]) / (xd[1] - xd[0]) * (W - m.l - m.r); };
    var sy = function (v) { return H - m.b - (v - yd[0]) / (yd[1] - yd[0]) * (H - m.t - m.b); };
    var g = sv("g", { "class": "grid" });
    var ax = sv("g", { "class": "axis" });
    ticks(xd[0], xd[1], 8).forEach(function (t) {
      g.appendChild(sv("line", { x1: sx(t), x2: sx(t), y1: m.t, y2: H - m.b }));
      ax.appendChild(sv("text", { x: sx(t), y: H - m.b + 14, "text-anchor": "middle" }, (xfmt || String)(t)));
    });
    ticks(yd[0], yd[1], 6).forEach(function (t) {
      g.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t) }));
      ax.appendChild(sv("text", { x: m.l - 5, y: sy(t) + 4, "text-anchor": "end" }, (yfmt || String)(t)));
    });
    ax.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }));
    ax.appendChild(sv("line", { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b }));
    ax.appendChild(sv("text", { x: (m.l + W - m.r) / 2, y: H - 6, "text-anchor": "middle" }, xlabel));
    ax.appendChild(sv("text", { x: 12, y: (m.t + H - m.b) / 2, transform: "rotate(-90 12 " + (m.t + H - m.b) / 2 + ")", "text-anchor": "middle" }, ylabel));
    svg.appendChild(g);
    svg.appendChild(ax);
    return { x: sx, y: sy };
  }
  function newSVG(W, H, id) {
    return sv("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, id: id || "" });
  }
  function tick(v) { return Math.abs(v) >= 1e4 ? (v / 1000).toLocaleString("en-US") + "k" : String(+v.toPrecision(6)); }

  // ---- header ----
  function header() {
    document.getElementById("name").textContent = D.name;
    var base = P[D.baseline];
    var front = P.filter(function (p) { return p.on_front; });
    var s = D.target + " at " + D.clock_mhz + " MHz · metric " + D.metric + (D.higher_is_better ? " (higher is better)" : " (lower is better)") +
      " · " + P.length + " points evaluated, " + front.length + " on the front";
    if (base) s += " · baseline " + D.metric + " " + base.quality.toFixed(4) + ", " + fmtInt(base.cycles) + " cycles, ROM " + kb(base.rom_bytes) + ", RAM " + kb(base.ram_bytes);
    document.getElementById("summary").textContent = s;
    var links = document.getElementById("links");
    if (D.workflow_id) {
      links.appendChild(document.createTextNode("workflow " + D.workflow_id + " "));
      if (D.ui_url) { var a = el("a", { href: D.ui_url }, "(Temporal Web UI)"); links.appendChild(a); }
      links.appendChild(document.createTextNode(" · "));
    }
    (D.files || []).forEach(function (f, i) {
      if (i) links.appendChild(document.createTextNode(" · "));
      links.appendChild(el("a", { href: f.href }, f.name));
    });
  }

  // ---- front ----
  function axisSelect(id, key) {
    var s = document.getElementById(id);
    Object.keys(AXES).forEach(function (k) {
      var o = el("option", { value: k }, AXES[k].label);
      if (k === key) o.selected = true;
      s.appendChild(o);
    });
    s.addEventListener("change", function () { state[id === "x-axis" ? "x" : "y"] = s.value; drawFront(); });
  }
  function legend() {
    var l = document.getElementById("legend");
    var used = {};
    P.forEach(function (p) { used[p.kind] = true; });
    D.kinds.forEach(function (k) {
      if (!used[k]) return;
      var s = el("span");
      var i = el("i");
      i.style.background = COLORS[k] || "#444";
      s.appendChild(i);
      s.appendChild(document.createTextNode(k === "gwp" ? "GWP step" : k));
      l.appendChild(s);
    });
  }
  var tip = document.getElementById("tooltip");
  function tipText(p) {
    var t = p.label + "  (" + p.kind + (p.on_front ? ", on the front" : "") + ")\n" +
      D.metric + " " + p.quality.toFixed(4) + "\n" +
      "cycles " + fmtInt(p.cycles) + "  (" + p.time_us.toFixed(1) + " µs)\n" +
      "ROM " + kb(p.rom_bytes) + "  RAM " + kb(p.ram_bytes) + "\n" +
      "sparsity " + pct(p.sparsity);
    if (p.footprint) t += "\nfootprint " + kb(p.footprint) + (p.footprint_ratio ? "  (" + p.footprint_ratio.toFixed(2) + "x smaller)" : "");
    t += p.fits ? "\nfits " + D.target : "\nDOES NOT FIT: " + p.reason;
    if (p.detail && p.detail.board) t += "\nboard " + p.detail.board.board + ": " + (p.detail.board.pass ? "pass" : "FAIL");
    return t;
  }
  function showTip(ev, text) {
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = (ev.clientX + 14) + "px";
    tip.style.top = (ev.clientY + 10) + "px";
  }
  function hideTip() { tip.hidden = true; }

  function drawFront() {
    var W = 900, H = 460, m = { l: 70, r: 20, t: 14, b: 40 };
    var box = clear(document.getElementById("front"));
    var svg = newSVG(W, H, "front-svg");
    var ax = AXES[state.x], ay = AXES[state.y];
    var shown = P.map(function (p, i) { return i; }).filter(function (i) {
      return (state.all || P[i].on_front) && finite(ax.get(P[i])) && finite(ay.get(P[i]));
    });
    // The axes span the points that fit (when some do): points that do not fit sit clamped
    // on the border, so that a collapsed step does not squash the front into a corner.
    var span = shown.filter(function (i) { return P[i].fits; });
    if (!span.length) span = shown;
    var xd = extent(span.map(function (i) { return ax.get(P[i]); }));
    var yd = extent(span.map(function (i) { return ay.get(P[i]); }));
    var s = frame(svg, W, H, m, xd, yd, ax.label, ay.label, tick, tick);
    var clampX = function (v) { return s.x(Math.min(Math.max(v, xd[0]), xd[1])); };
    var clampY = function (v) { return s.y(Math.min(Math.max(v, yd[0]), yd[1])); };
    var labels = [];
    var freeFor = function (x, y, w) {
      for (var k = 0; k < labels.length; k++) {
        var b = labels[k];
        if (x < b[0] + b[2] && b[0] < x + w && Math.abs(y - b[1]) < 11) return false;
      }
      labels.push([x, y, w]);
      return true;
    };
    // Draw non-front first so front marks sit on top.
    shown.sort(function (a, b) { return (P[a].on_front ? 1 : 0) - (P[b].on_front ? 1 : 0); });
    shown.forEach(function (i) {
      var p = P[i], c = COLORS[p.kind] || "#444";
      var cx = clampX(ax.get(p)), cy = clampY(ay.get(p));
      var g = sv("g", { "class": "mark" + (p.on_front ? " front" : "") + (i === state.selected ? " selected" : ""), "data-i": i, "data-front": p.on_front ? "1" : "0", "data-kind": p.kind });
      var r = p.on_front ? 6.5 : 4.5;
      var circle = sv("circle", { cx: cx, cy: cy, r: r, fill: p.fits ? c : "#ffffff", stroke: p.on_front ? "#101828" : c, "stroke-width": p.on_front ? 2 : 1.2 });
      if (i === state.selected) { circle.setAttribute("stroke", "#d92d20"); circle.setAttribute("stroke-width", 3); }
      g.appendChild(circle);
      if (!p.fits) {
        g.appendChild(sv("path", { d: "M" + (cx - 3) + " " + (cy - 3) + "L" + (cx + 3) + " " + (cy + 3) + "M" + (cx - 3) + " " + (cy + 3) + "L" + (cx + 3) + " " + (cy - 3), stroke: "#d92d20", "stroke-width": 1.5 }));
      }
      if ((p.on_front || p.kind === "baseline" || i === state.selected) && freeFor(cx + 8, cy - 6, 6 * p.label.length)) {
        g.appendChild(sv("text", { x: cx + 8, y: cy - 6, "font-size": 10 }, p.label));
      }
      g.addEventListener("mousemove", function (ev) { showTip(ev, tipText(p)); });
      g.addEventListener("mouseleave", hideTip);
      g.addEventListener("click", function () { select(i); });
      svg.appendChild(g);
    });
    box.appendChild(svg);
  }

  function frontTable() {
    var t = clear(document.getElementById("front-table"));
    var head = el("tr");
    ["label", "kind", D.metric, "cycles", "time µs", "ROM KB", "RAM KB", "footprint KB", "x smaller", "sparsity %", "code"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
    t.appendChild(head);
    P.map(function (p, i) { return i; }).filter(function (i) { return P[i].on_front; })
      .sort(function (a, b) { return P[a].rom_bytes - P[b].rom_bytes; })
      .forEach(function (i) {
        var p = P[i];
        var tr = el("tr", { "class": "clickable" + (i === state.selected ? " sel" : ""), "data-i": i });
        [p.label, p.kind, p.quality.toFixed(4), fmtInt(p.cycles), p.time_us.toFixed(1), (p.rom_bytes / 1024).toFixed(1), (p.ram_bytes / 1024).toFixed(1),
          p.footprint ? (p.footprint / 1024).toFixed(1) : "-", p.footprint_ratio ? p.footprint_ratio.toFixed(2) : "-", (100 * p.sparsity).toFixed(1), p.detail ? p.detail.dir : ""]
          .forEach(function (v) { tr.appendChild(el("td", {}, v)); });
        tr.addEventListener("click", function () { select(i); });
        t.appendChild(tr);
      });
  }

  // ---- details ----
  function select(i) {
    state.selected = i;
    drawFront();
    frontTable();
    drawDetail();
  }
  function kv(pairs) {
    var dl = el("dl", { "class": "kv" });
    pairs.forEach(function (p) {
      dl.appendChild(el("dt", {}, p[0]));
      var dd = el("dd");
      if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = p[1];
      if (p[2]) dd.className = p[2];
      dl.appendChild(dd);
    });
    return dl;
  }
  function figures(p) {
    var base = P[D.baseline];
    var rel = function (v, b) { return base && b ? " (" + (v / b * 100).toFixed(0) + " % of baseline)" : ""; };
    var rows = [
      ["kind", p.kind + (p.on_front ? ", on the front" : "")],
      [D.metric, p.quality.toFixed(4) + (base ? " (" + (p.quality - base.quality >= 0 ? "+" : "") + (p.quality - base.quality).toFixed(4) + ")" : "")],
      ["cycles", fmtInt(p.cycles) + " · " + p.time_us.toFixed(1) + " µs" + rel(p.cycles, base && base.cycles)],
      ["ROM", kb(p.rom_bytes) + rel(p.rom_bytes, base && base.rom_bytes)],
      ["RAM", kb(p.ram_bytes) + rel(p.ram_bytes, base && base.ram_bytes)],
      ["sparsity", pct(p.sparsity)]
    ];
    if (p.footprint) rows.push(["footprint", kb(p.footprint) + (p.footprint_ratio ? " · " + p.footprint_ratio.toFixed(2) + "x smaller than the baseline" : "")]);
    rows.push(["fits " + D.target, p.fits ? "yes" : "no: " + p.reason, p.fits ? "ok" : "bad"]);
    if (p.derived) rows.push(["model", "derived (fine-tuned, structured, quantized or built on an earlier step): use its model.tcdse"]);
    rows.push(["candidate id", p.id]);
    return kv(rows);
  }
  function ratesTable(p) {
    var t = el("table", { "class": "data" });
    var layers = Object.keys(p.rates || {}).sort();
    if (!layers.length) return el("p", { "class": "hint" }, "No per-layer pruning rates recorded for this point.");
    var h = el("tr"); h.appendChild(el("th", {}, "layer")); h.appendChild(el("th", {}, "pruning rate")); t.appendChild(h);
    layers.forEach(function (l) { var r = el("tr"); r.appendChild(el("td", {}, l)); r.appendChild(el("td", {}, pct(p.rates[l]))); t.appendChild(r); });
    return t;
  }
  // stackedBar draws one horizontal bar per series, each split into the layers' shares.
  function stackedBars(d) {
    var layers = d.layers.filter(function (l) { return l.cycles > 0 || l.weight_bytes > 0 || l.out_bytes > 0; });
    var series = [
      { name: "cycles", total: d.cycles, get: function (l) { return l.cycles; }, fmt: fmtInt },
      { name: "ROM (weights)", total: d.weight_bytes, get: function (l) { return l.weight_bytes; }, fmt: kb },
      { name: "RAM (layer outputs)", total: 0, get: function (l) { return l.fused ? 0 : l.out_bytes; }, fmt: kb }
    ];
    series[2].total = layers.reduce(function (s, l) { return s + series[2].get(l); }, 0);
    if (d.code_bytes > 0) {
      // ROM also holds the code: a last grey segment.
      layers = layers.concat([{ node: "code", op: "machine code", cycles: 0, weight_bytes: d.code_bytes, out_bytes: 0, code: true }]);
      series[1] = { name: "ROM (weights + code)", total: d.weight_bytes + d.code_bytes, get: function (l) { return l.weight_bytes; }, fmt: kb };
    }
    var W = 900, rowH = 34, m = { l: 180, r: 20 };
    var legendRows = 1, lw = m.l;
    layers.forEach(function (l) { lw += 30 + 8.5 * l.node.length; if (lw > W - 100) { legendRows++; lw = m.l; } });
    var H = series.length * rowH + 24 + 16 * legendRows;
    var svg = newSVG(W, H, "layer-bars");
    series.forEach(function (s, si) {
      var y = 10 + si * rowH, x = m.l, tot = s.total || 1;
      svg.appendChild(sv("text", { x: m.l - 6, y: y + 16, "text-anchor": "end" }, s.name));
      layers.forEach(function (l, li) {
        var v = s.get(l);
        if (!(v > 0)) return;
        var w = v / tot * (W - m.l - m.r);
        var r = sv("rect", { x: x, y: y, width: Math.max(w, 0.5), height: 22, fill: l.code ? "#98a2b3" : LAYER_COLORS[li % LAYER_COLORS.length], "class": "seg" });
        r.addEventListener("mousemove", function (ev) { showTip(ev, l.node + " (" + l.op + ")\n" + s.name + ": " + s.fmt(v) + " · " + (100 * v / tot).toFixed(1) + " %"); });
        r.addEventListener("mouseleave", hideTip);
        svg.appendChild(r);
        if (w > 44) svg.appendChild(sv("text", { x: x + 3, y: y + 15, fill: "#fff", "font-size": 10, "pointer-events": "none" }, l.node));
        x += w;
      });
    });
    var lx = m.l, ly = 10 + series.length * rowH + 12;
    layers.forEach(function (l, li) {
      svg.appendChild(sv("rect", { x: lx, y: ly - 9, width: 10, height: 10, fill: l.code ? "#98a2b3" : LAYER_COLORS[li % LAYER_COLORS.length] }));
      svg.appendChild(sv("text", { x: lx + 13, y: ly }, l.node));
      lx += 30 + 8.5 * l.node.length;
      if (lx > W - 100) { lx = m.l; ly += 16; }
    });
    return svg;
  }
  function layerTable(d) {
    var t = el("table", { "class": "data", id: "layer-table" });
    var h = el("tr");
    ["layer", "op", "format", "dtype", "cycles", "compute", "index", "memory", "overhead", "weights B", "output B", "sparsity %"].forEach(function (c) { h.appendChild(el("th", {}, c)); });
    t.appendChild(h);
    d.layers.forEach(function (l) {
      var r = el("tr");
      [l.node + (l.fused ? " → " + l.fused : ""), l.op, l.format || "", l.dtype || "", fmtInt(l.cycles), fmtInt(l.compute), fmtInt(l.index), fmtInt(l.memory), fmtInt(l.overhead),
        fmtInt(l.weight_bytes), fmtInt(l.out_bytes), l.weights ? (100 * l.sparsity).toFixed(1) : ""].forEach(function (v) { r.appendChild(el("td", {}, v)); });
      t.appendChild(r);
    });
    return t;
  }
  function drawDetail() {
    var box = clear(document.getElementById("detail"));
    var p = P[state.selected];
    document.getElementById("detail-title").textContent = p ? p.label : "(click a mark)";
    if (!p) return;
    var cols = el("div", { "class": "cols" });
    var left = el("div");
    left.appendChild(figures(p));
    var btns = el("div");
    [["compare as A", "a"], ["compare as B", "b"]].forEach(function (b) {
      var bt = el("button", {}, b[0]);
      bt.addEventListener("click", function () { state[b[1]] = state.selected; syncCompare(); });
      btns.appendChild(bt);
      btns.appendChild(document.createTextNode(" "));
    });
    left.appendChild(btns);
    cols.appendChild(left);
    var right = el("div");
    right.appendChild(el("h3", {}, "Pruning rates by layer"));
    right.appendChild(ratesTable(p));
    cols.appendChild(right);
    box.appendChild(cols);
    var d = p.detail;
    if (!d) {
      box.appendChild(el("p", { "class": "hint" }, "No code was generated for this point, so there is no per-layer breakdown. " +
        (p.derived ? "It is derived: its model is kept in the sweep's store." : "tcdse generate MODEL --front front.json --label '" + p.label + "' --out DIR writes its code.")));
      return;
    }
    box.appendChild(el("h3", {}, "Where the cycles and bytes go"));
    if (d.layers && d.layers.length) {
      box.appendChild(stackedBars(d));
      box.appendChild(el("p", { "class": "hint" }, "Per-layer cycles from the built-in cost model of " + D.target + " (sum " + fmtInt(d.cycles) + "; the sweep's estimate " + fmtInt(p.cycles) + "). Code " + kb(d.code_bytes) + ", arena " + kb(d.arena_bytes) + " (it reuses the layer outputs' space, so their sum exceeds it), I/O " + kb(d.io_bytes) + "."));
      box.appendChild(layerTable(d));
    }
    if (d.note) box.appendChild(el("p", { "class": "hint" }, d.note));
    var info = [["weight format", d.format || "?"], ["placement", "weights in " + (d.weights_memory || "?") + ", arena in " + (d.arena_memory || "?")]];
    (d.memories || []).forEach(function (mu) {
      info.push([mu.memory, kb(mu.used) + " of " + kb(mu.limit) + " (" + (mu.limit ? (100 * mu.used / mu.limit).toFixed(1) : "∞") + " %)", mu.used <= mu.limit ? "ok" : "bad"]);
    });
    if (d.board) {
      var b = d.board;
      var txt = b.pass ? "passed" : (b.built ? "FAILED: " + (b.error || "") : "did not build: " + (b.error || ""));
      var cyc = b.cycles_per_inference;
      if (cyc && b.board !== "host" && (b.cycle_unit === "cycles" || b.cycle_unit === "sim-cycles")) txt += " · measured " + fmtInt(cyc) + " " + b.cycle_unit + " vs estimated " + fmtInt(p.cycles) + " cycles (" + ((p.cycles / cyc - 1) * 100).toFixed(1) + " %)";
      else if (cyc) txt += " · " + fmtInt(cyc) + " " + (b.cycle_unit || "cycles") + " per inference on " + b.board + (b.ns_per_inference ? ", " + fmtInt(b.ns_per_inference) + " ns" : "");
      else if (b.ns_per_inference) txt += " · " + fmtInt(b.ns_per_inference) + " ns/inference measured (estimated " + p.time_us.toFixed(1) + " µs on " + D.target + ")";
      txt += " · max rel err " + b.max_rel_err.toExponential(1);
      info.push(["board " + b.board + " (" + b.agent + ")", txt, b.pass ? "ok" : "bad"]);
    }
    box.appendChild(kv(info));
    box.appendChild(el("h3", {}, "Files to take (" + d.dir + ")"));
    var ul = el("ul", { id: "detail-files" });
    (d.files || []).forEach(function (f) {
      var li = el("li");
      li.appendChild(el("a", { href: f.href }, f.name));
      li.appendChild(document.createTextNode(" " + fmtInt(f.bytes) + " B"));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  // ---- compare ----
  function fillCompare() {
    ["cmp-a", "cmp-b"].forEach(function (id, k) {
      var s = document.getElementById(id);
      s.appendChild(el("option", { value: -1 }, "—"));
      P.forEach(function (p, i) { s.appendChild(el("option", { value: i }, p.label + (p.on_front ? " ★" : ""))); });
      s.addEventListener("change", function () { state[k ? "b" : "a"] = +s.value; drawCompare(); });
    });
    var front = P.map(function (p, i) { return i; }).filter(function (i) { return P[i].on_front; });
    state.a = D.baseline;
    state.b = front.length ? front[0] : -1;
    syncCompare();
  }
  function syncCompare() {
    document.getElementById("cmp-a").value = state.a;
    document.getElementById("cmp-b").value = state.b;
    drawCompare();
  }
  function drawCompare() {
    var box = clear(document.getElementById("compare"));
    var a = P[state.a], b = P[state.b];
    if (!a || !b) { box.appendChild(el("p", { "class": "hint" }, "Choose two points.")); return; }
    var t = el("table", { "class": "data", id: "compare-table" });
    var h = el("tr"); ["", a.label, b.label, "B − A"].forEach(function (c) { h.appendChild(el("th", {}, c)); }); t.appendChild(h);
    var rows = [
      [D.metric, a.quality, b.quality, function (v) { return v.toFixed(4); }],
      ["cycles", a.cycles, b.cycles, fmtInt],
      ["time µs", a.time_us, b.time_us, function (v) { return v.toFixed(1); }],
      ["ROM KB", a.rom_bytes / 1024, b.rom_bytes / 1024, function (v) { return v.toFixed(1); }],
      ["RAM KB", a.ram_bytes / 1024, b.ram_bytes / 1024, function (v) { return v.toFixed(1); }],
      ["footprint KB", (a.footprint || 0) / 1024, (b.footprint || 0) / 1024, function (v) { return v.toFixed(1); }],
      ["sparsity %", 100 * a.sparsity, 100 * b.sparsity, function (v) { return v.toFixed(1); }]
    ];
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, r[0]));
      tr.appendChild(el("td", {}, r[3](r[1])));
      tr.appendChild(el("td", {}, r[3](r[2])));
      var d = r[2] - r[1];
      tr.appendChild(el("td", {}, (d > 0 ? "+" : "") + r[3](d) + (r[1] ? " (" + (d / r[1] * 100).toFixed(0) + " %)" : "")));
      t.appendChild(tr);
    });
    var fitRow = el("tr"); fitRow.appendChild(el("td", {}, "fits"));
    fitRow.appendChild(el("td", {}, a.fits ? "yes" : "no")); fitRow.appendChild(el("td", {}, b.fits ? "yes" : "no")); fitRow.appendChild(el("td"));
    t.appendChild(fitRow);
    var layers = {};
    [a, b].forEach(function (p) { Object.keys(p.rates || {}).forEach(function (l) { layers[l] = true; }); });
    Object.keys(layers).sort().forEach(function (l) {
      var tr = el("tr");
      var ra = (a.rates || {})[l] || 0, rb = (b.rates || {})[l] || 0;
      tr.appendChild(el("td", {}, "rate " + l));
      tr.appendChild(el("td", {}, pct(ra))); tr.appendChild(el("td", {}, pct(rb)));
      tr.appendChild(el("td", {}, ((rb - ra) * 100).toFixed(1) + " pts"));
      t.appendChild(tr);
    });
    box.appendChild(t);
  }

  // ---- sensitivity ----
  function drawSensitivity() {
    var box = clear(document.getElementById("sensitivity"));
    var C = D.curves || [];
    var hint = document.getElementById("sens-hint");
    if (!C.length) { box.appendChild(el("p", { "class": "hint" }, "No sensitivity probes in this sweep.")); return; }
    var known = C.some(function (c) { return c.known; });
    hint.textContent = known ? "Quality of each layer pruned alone against its rate; the dashed line is the bound a probe must keep, and the ring marks each layer's maximum rate." :
      "Quality of each layer pruned alone against its rate (read off the probe points: this results directory does not record the threshold).";
    var W = 900, H = 380, m = { l: 60, r: 150, t: 14, b: 40 };
    var svg = newSVG(W, H, "sens-svg");
    var xs = [], ys = [];
    C.forEach(function (c) { c.points.forEach(function (p) { xs.push(p.rate); ys.push(p.quality); }); if (c.known) ys.push(c.bound); });
    var base = P[D.baseline];
    if (base) { xs.push(0); ys.push(base.quality); }
    var s = frame(svg, W, H, m, extent(xs, 0.02), extent(ys), "pruning rate", D.metric, tick, tick);
    var bounds = {};
    C.forEach(function (c, ci) {
      var col = LAYER_COLORS[ci % LAYER_COLORS.length];
      var pts = c.points.slice();
      if (base) pts.unshift({ rate: 0, quality: base.quality });
      svg.appendChild(sv("polyline", { points: pts.map(function (p) { return s.x(p.rate) + "," + s.y(p.quality); }).join(" "), fill: "none", stroke: col, "stroke-width": 2, "stroke-dasharray": c.phase ? "5 3" : "", "class": "curve" }));
      c.points.forEach(function (p) {
        var dot = sv("circle", { cx: s.x(p.rate), cy: s.y(p.quality), r: 3, fill: col });
        dot.addEventListener("mousemove", function (ev) { showTip(ev, (c.phase ? c.phase + " " : "") + c.layer + " @ " + p.rate + "\n" + D.metric + " " + p.quality.toFixed(4)); });
        dot.addEventListener("mouseleave", hideTip);
        svg.appendChild(dot);
      });
      if (c.known) {
        bounds[c.bound.toFixed(6)] = c.bound;
        var at = c.points.filter(function (p) { return p.rate === c.max_rate; })[0];
        if (at) svg.appendChild(sv("circle", { cx: s.x(at.rate), cy: s.y(at.quality), r: 7, fill: "none", stroke: col, "stroke-width": 2 }));
      }
      var ly = m.t + 14 + ci * 16;
      svg.appendChild(sv("line", { x1: W - m.r + 10, x2: W - m.r + 28, y1: ly - 4, y2: ly - 4, stroke: col, "stroke-width": 2, "stroke-dasharray": c.phase ? "5 3" : "" }));
      svg.appendChild(sv("text", { x: W - m.r + 32, y: ly }, (c.phase ? "u-" : "") + c.layer + (c.known ? " ≤ " + c.max_rate : "")));
    });
    Object.keys(bounds).forEach(function (k) {
      var b = bounds[k];
      svg.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: s.y(b), y2: s.y(b), stroke: "#d92d20", "stroke-dasharray": "6 4", "class": "threshold" }));
      svg.appendChild(sv("text", { x: W - m.r - 4, y: s.y(b) - 4, "text-anchor": "end", fill: "#d92d20" }, "bound " + b.toFixed(4)));
    });
    box.appendChild(svg);
  }

  // ---- GWP walk ----
  function drawWalk() {
    var box = clear(document.getElementById("walk"));
    var Wk = D.walk || [];
    if (!Wk.length) { box.appendChild(el("p", { "class": "hint" }, "No GWP steps in this sweep.")); return; }
    var base = P[D.baseline];
    var W = 900, H = 340, m = { l: 60, r: 60, t: 14, b: 50 };
    var svg = newSVG(W, H, "walk-svg");
    var qs = [], cs = [];
    Wk.forEach(function (w) {
      qs.push(P[w.point].quality);
      if (w.int8 >= 0) qs.push(P[w.int8].quality);
      [w.point, w.int8].forEach(function (i) { if (i >= 0 && base) { cs.push(P[i].rom_bytes / base.rom_bytes * 100); cs.push(P[i].cycles / base.cycles * 100); } });
    });
    if (base) qs.push(base.quality);
    var n = Wk.length;
    var xd = [-0.5, n - 0.5], yd = extent(qs);
    var sx = function (i) { return m.l + (i - xd[0]) / (xd[1] - xd[0]) * (W - m.l - m.r); };
    var s = frame(svg, W, H, m, xd, yd, "", D.metric, function () { return ""; }, tick);
    var cmax = Math.max.apply(null, cs.concat([100])) * 1.05;
    var sc = function (v) { return H - m.b - v / cmax * (H - m.t - m.b); };
    ticks(0, cmax, 5).forEach(function (t) { svg.appendChild(sv("text", { x: W - m.r + 5, y: sc(t) + 4 }, t + " %")); });
    var bw = (W - m.l - m.r) / n / 5;
    Wk.forEach(function (w, i) {
      var p = P[w.point];
      svg.appendChild(sv("text", { x: sx(i), y: H - m.b + 14, "text-anchor": "middle" }, w.label));
      if (base) {
        [["ROM", p.rom_bytes / base.rom_bytes * 100, "#b2ddff"], ["cycles", p.cycles / base.cycles * 100, "#d0d5dd"]].forEach(function (b, k) {
          var r = sv("rect", { x: sx(i) - bw + k * bw, y: sc(b[1]), width: bw - 1, height: H - m.b - sc(b[1]), fill: b[2] });
          r.addEventListener("mousemove", function (ev) { showTip(ev, w.label + ": " + b[0] + " " + b[1].toFixed(0) + " % of baseline"); });
          r.addEventListener("mouseleave", hideTip);
          svg.appendChild(r);
        });
      }
    });
    var line = function (key, col) {
      var pts = Wk.map(function (w, i) { return w[key] >= 0 ? [sx(i), s.y(P[w[key]].quality), w[key]] : null; }).filter(Boolean);
      if (pts.length > 1) svg.appendChild(sv("polyline", { points: pts.map(function (q) { return q[0] + "," + q[1]; }).join(" "), fill: "none", stroke: col, "stroke-width": 2 }));
      pts.forEach(function (q) {
        var c = sv("circle", { cx: q[0], cy: q[1], r: 4.5, fill: col, "class": "mark" });
        c.addEventListener("mousemove", function (ev) { showTip(ev, tipText(P[q[2]])); });
        c.addEventListener("mouseleave", hideTip);
        c.addEventListener("click", function () { select(q[2]); document.getElementById("detail-section").scrollIntoView(); });
        svg.appendChild(c);
      });
    };
    line("point", COLORS.gwp);
    line("int8", COLORS.int8);
    if (base) {
      svg.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: s.y(base.quality), y2: s.y(base.quality), stroke: "#111", "stroke-dasharray": "2 3" }));
      svg.appendChild(sv("text", { x: m.l + 4, y: s.y(base.quality) - 4 }, "baseline " + base.quality.toFixed(4)));
    }
    var lg = [["float step", COLORS.gwp], ["int8", COLORS.int8], ["ROM % of baseline", "#b2ddff"], ["cycles % of baseline", "#d0d5dd"]];
    lg.forEach(function (l, k) {
      svg.appendChild(sv("rect", { x: m.l + k * 170, y: H - 22, width: 10, height: 10, fill: l[1] }));
      svg.appendChild(sv("text", { x: m.l + 14 + k * 170, y: H - 13 }, l[0]));
    });
    box.appendChild(svg);
  }

  // ---- hypervolume ----
  function drawHypervolume() {
    var box = clear(document.getElementById("hypervolume"));
    var hv = D.hypervolume;
    if (!hv || !hv.trace || !hv.trace.length) { box.appendChild(el("p", { "class": "hint" }, "This sweep did not measure its hypervolume.")); return; }
    var W = 900, H = 300, m = { l: 60, r: 20, t: 14, b: 40 };
    var svg = newSVG(W, H, "hv-svg");
    var tr = hv.trace;
    var s = frame(svg, W, H, m, [0, tr[tr.length - 1].evaluations], extent(tr.map(function (t) { return t.hypervolume; }).concat([0])), "evaluations", "hypervolume", tick, tick);
    var pts = [];
    tr.forEach(function (t, i) {
      if (i > 0) pts.push(s.x(t.evaluations) + "," + s.y(tr[i - 1].hypervolume));
      pts.push(s.x(t.evaluations) + "," + s.y(t.hypervolume));
    });
    svg.appendChild(sv("polyline", { points: pts.join(" "), fill: "none", stroke: COLORS.gwp, "stroke-width": 2, "class": "hv-line" }));
    box.appendChild(svg);
    box.appendChild(el("p", { "class": "hint" }, "Normalised hypervolume of the front: " + hv.value.toFixed(4) + " after " + tr.length + " evaluations (quality, cycles, ROM and RAM scaled to the baseline; see the pareto package)."));
  }

  // ---- measured vs estimated ----
  function drawCalib() {
    var box = clear(document.getElementById("calib"));
    var c = D.calibration;
    if (!c) { box.appendChild(el("p", { "class": "hint" }, "No board measured a point of this sweep.")); return; }
    var W = 600, H = 360, m = { l: 80, r: 20, t: 14, b: 40 };
    var svg = newSVG(W, H, "calib-svg");
    var ex = c.pairs.map(function (p) { return p.estimated; }), my = c.pairs.map(function (p) { return p.measured; });
    var xd = extent(ex.concat([0]), 0.08), yd = extent(my.concat([0]), 0.08);
    var ylab = { cycles: "measured cycles", instructions: "measured instructions (callgrind)", ns: "measured ns per inference (host)" }[c.unit];
    var s = frame(svg, W, H, m, xd, yd, "estimated cycles", ylab, tick, tick);
    svg.appendChild(sv("line", { x1: s.x(xd[0]), y1: s.y(c.scale * xd[0]), x2: s.x(xd[1]), y2: s.y(c.scale * xd[1]), stroke: "#98a2b3", "stroke-dasharray": "5 4" }));
    c.pairs.forEach(function (p) {
      var d = sv("circle", { cx: s.x(p.estimated), cy: s.y(p.measured), r: 5, fill: COLORS.gwp, "class": "calib-mark" });
      d.addEventListener("mousemove", function (ev) { showTip(ev, p.label + " on " + p.board + "\nestimated " + fmtInt(p.estimated) + " cycles\nmeasured " + fmtInt(p.measured) + " " + c.unit); });
      d.addEventListener("mouseleave", hideTip);
      svg.appendChild(d);
      svg.appendChild(sv("text", { x: s.x(p.estimated) + 7, y: s.y(p.measured) - 6, "font-size": 10 }, p.label));
    });
    box.appendChild(svg);
    var txt = c.unit === "cycles" ?
      "Estimate error over " + c.pairs.length + " measured points: mean " + pct(c.mean_abs_err) + ", max " + pct(c.max_abs_err) + "; rank correlation (Spearman) " + c.spearman.toFixed(3) + ". The dashed line is measured = estimated." :
      "The boards measured " + (c.unit === "ns" ? "time" : c.unit) + " on another machine than " + D.target + " (the host board runs the C here): the dashed line is the fitted scale " + c.scale.toPrecision(3) + " " + c.unit + " per estimated cycle; around it the mean error is " + pct(c.mean_abs_err) + " (max " + pct(c.max_abs_err) + ") and the rank correlation (Spearman) " + c.spearman.toFixed(3) + " over " + c.pairs.length + " points.";
    box.appendChild(el("p", { "class": "hint", id: "calib-text" }, txt));
  }

  // ---- self test (report.html#selftest): what the Chromium tests check ----
  function selftest() {
    var out = { errors: errors };
    var marks = function (sel) { return document.querySelectorAll("#front-svg " + sel).length; };
    out.marks = marks(".mark");
    out.front_marks = marks('.mark[data-front="1"]');
    out.front_points = P.filter(function (p) { return p.on_front; }).length;
    out.points = P.length;
    var xLabel = function () { var t = document.querySelectorAll("#front-svg .axis text"); return t[t.length - 2].textContent; };
    var firstX = function () { var m = document.querySelector('#front-svg .mark[data-front="1"] circle'); return m ? m.getAttribute("cx") : null; };
    out.x_label_before = xLabel();
    out.cx_before = firstX();
    var xs = document.getElementById("x-axis");
    xs.value = "cycles";
    xs.dispatchEvent(new Event("change"));
    out.x_label_after = xLabel();
    out.cx_after = firstX();
    out.detail_before = document.getElementById("detail-title").textContent;
    var withDetail = -1;
    P.forEach(function (p, i) { if (withDetail < 0 && p.on_front && p.detail) withDetail = i; });
    var target = document.querySelector('#front-svg .mark[data-i="' + (withDetail >= 0 ? withDetail : P.findIndex(function (p) { return p.on_front; })) + '"]');
    if (target) target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    out.detail_after = document.getElementById("detail-title").textContent;
    out.layer_rows = document.querySelectorAll("#layer-table tr").length;
    out.curves = document.querySelectorAll("#sens-svg .curve").length;
    out.thresholds = document.querySelectorAll("#sens-svg .threshold").length;
    out.calib_marks = document.querySelectorAll("#calib-svg .calib-mark").length;
    out.hv_lines = document.querySelectorAll("#hv-svg .hv-line").length;
    out.compare_rows = document.querySelectorAll("#compare-table tr").length;
    var pre = document.getElementById("selftest");
    pre.textContent = JSON.stringify(out);
  }

  try {
    header();
    axisSelect("x-axis", state.x);
    axisSelect("y-axis", state.y);
    document.getElementById("show-all").addEventListener("change", function (e) { state.all = e.target.checked; drawFront(); });
    legend();
    drawFront();
    frontTable();
    drawDetail();
    fillCompare();
    drawSensitivity();
    drawWalk();
    drawHypervolume();
    drawCalib();
  } catch (e) {
    errors.push(String(e && e.stack || e));
    console.error(e);
  }
  var m = /^#point=(.+)$/.exec(location.hash);
  if (m) {
    var want = decodeURIComponent(m[1]);
    P.forEach(function (p, i) { if (p.label === want) select(i); });
  }
  if (location.hash === "#selftest") selftest();
})();
