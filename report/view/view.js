// rollsim view: a replay of one run, scrubbed through virtual time. Reads
// the results embedded in #rollsim-data (report.Scenario, docs/output.md)
// and renders the state at the selected instant. Everything is built with
// textContent: nothing of the data is parsed as HTML.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("rollsim-data").textContent);
  var app = document.getElementById("app");
  var scenarios = data.scenarios || [];
  var cur = { sc: 0, idx: 0, model: null };

  // el builds an element: attrs are attributes (class, id, title, data-*);
  // kids are nodes or strings (text).
  function el(tag, attrs) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) n.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) add(n, arguments[i]);
    return n;
  }
  function add(n, kid) {
    if (kid === undefined || kid === null || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(n, k); }); return; }
    n.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
  }

  // breakable lets a long name wrap after its slashes, not inside a word.
  function breakable(text) {
    var out = [];
    String(text).split("/").forEach(function (part, i) { if (i) out.push("/", el("wbr")); out.push(part); });
    return out;
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // clock is the timeline's time format (T+02m35s), with milliseconds when
  // the instant is not on a whole second.
  function clock(ms) {
    var s = Math.floor(ms / 1000), rest = ms % 1000;
    var out = "T+" + pad(Math.floor(s / 60)) + "m" + pad(s % 60);
    if (rest) out += "." + String(1000 + rest).slice(1).replace(/0+$/, "");
    return out + "s";
  }
  function shortClock(ms) { return clock(ms).slice(2, 8) + "s"; }

  // fragment formats an instant for the URL, as a Go duration: 2m35s,
  // 1h0m5s, 12.5s, 0s.
  function fragment(ms) {
    var h = Math.floor(ms / 3600000), m = Math.floor(ms % 3600000 / 60000), s = (ms % 60000) / 1000;
    var out = "";
    if (h) out += h + "h";
    if (h || m) out += m + "m";
    return out + String(Number(s.toFixed(3))) + "s";
  }

  // parseDuration reads a Go duration (2m35s, 155s, 1500ms, 1h2m) or a
  // plain number of seconds; NaN when it is neither.
  function parseDuration(text) {
    text = (text || "").trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Math.round(parseFloat(text) * 1000);
    var re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g, total = 0, pos = 0, mt;
    var unit = { h: 3600000, m: 60000, s: 1000, ms: 1 };
    while ((mt = re.exec(text)) !== null) {
      if (mt.index !== pos) return NaN;
      total += parseFloat(mt[1]) * unit[mt[2]];
      pos = re.lastIndex;
    }
    return pos === text.length && pos > 0 ? Math.round(total) : NaN;
  }

  // what is a record's "reason: detail" (either may be empty).
  function what(r) { return [r.reason, r.detail].filter(Boolean).join(": "); }

  function rolloutKey(ro) { return ro.namespace + "/" + ro.name; }

  // build indexes one scenario: its instants (T+0, every timeline record
  // and every frame), its frames by rollout and its records by instant.
  function build(s) {
    var times = { 0: true };
    var timeline = s.timeline || [], frames = s.frames || [];
    timeline.forEach(function (r) { if (r.atMs >= 0) times[r.atMs] = true; });
    frames.forEach(function (f) { times[f.atMs] = true; });
    var instants = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var byRollout = {}, keys = [];
    (s.rollouts || []).forEach(function (ro) { var k = rolloutKey(ro); if (!byRollout[k]) { byRollout[k] = []; keys.push(k); } });
    frames.forEach(function (f) {
      var k = rolloutKey(f.rollout);
      if (!byRollout[k]) { byRollout[k] = []; keys.push(k); }
      byRollout[k].push(f);
    });
    return { s: s, instants: instants, byRollout: byRollout, keys: keys, hasFrames: frames.length > 0 };
  }

  // latest returns the last element of list (sorted by atMs) at or before t.
  function latest(list, t) {
    var found = null;
    for (var i = 0; i < list.length && list[i].atMs <= t; i++) found = list[i];
    return found;
  }

  // stateAt is a rollout's snapshot at t: its last frame at or before t;
  // without frames (a result of an older rollsim), the final state with
  // the sample of t's pods, weight and phase.
  function stateAt(model, key, t) {
    var f = latest(model.byRollout[key] || [], t);
    if (f || model.hasFrames) return f;
    var ro = (model.s.rollouts || []).filter(function (r) { return rolloutKey(r) === key; })[0];
    if (!ro) return null;
    var samples = (model.s.samples || []).filter(function (x) { return x.rollout === ro.name; });
    var sm = latest(samples, t);
    var copy = JSON.parse(JSON.stringify(ro));
    if (sm) { copy.phase = sm.phase; copy.actualWeight = sm.weight; copy.message = ""; copy.currentStepIndex = null; }
    return { atMs: t, rollout: copy, strategy: "", revisions: [], sample: sm, finalOnly: true };
  }

  var phaseIcon = { Progressing: "◌", Paused: "‖", Healthy: "✔", Degraded: "✖", Successful: "✔", Failed: "✖", Error: "⚠", Inconclusive: "?", Running: "◌", Pending: "◌" };
  function phaseBadge(phase, extra) {
    return el("span", { "class": "badge phase-" + (phase || "Unknown") + (extra ? " " + extra : ""), "data-field": "phase" },
      el("span", { "class": "icon" }, phaseIcon[phase] || "•"), " ", phase || "Unknown");
  }

  function kv(label, value, field) {
    return el("div", { "class": "kv" }, el("span", { "class": "k" }, label), el("span", { "class": "v", "data-field": field }, value));
  }

  function stepIcon(text) {
    if (/^setWeight/.test(text)) return "⇡";
    if (/^pause/.test(text)) return "‖";
    if (/^analysis/.test(text)) return "α";
    if (/^experiment/.test(text)) return "Σ";
    if (/^setCanaryScale/.test(text)) return "⤢";
    return "•";
  }

  function summary(snap) {
    var ro = snap.rollout, steps = ro.steps || [], n = steps.length || snap.steps || 0;
    var step = ro.currentStepIndex === null || ro.currentStepIndex === undefined ? "-" : ro.currentStepIndex + "/" + n;
    var rows = [kv("Strategy", snap.strategy || "-", "strategy")];
    if (snap.strategy !== "BlueGreen") {
      rows.push(kv("Step", step, "step"), kv("Set weight", ro.setWeight, "setWeight"), kv("Actual weight", ro.actualWeight, "actualWeight"));
    }
    if (ro.trafficWeights) rows.push(kv("Router", "canary " + ro.trafficWeights.canary + " / stable " + ro.trafficWeights.stable, "trafficWeights"));
    if (!snap.finalOnly) {
      rows.push(kv("Replicas", snap.desired + " desired · " + snap.current + " current · " + snap.updated + " updated · " +
        snap.ready + " ready · " + snap.available + " available", "replicas"));
    } else if (snap.sample) {
      var sm = snap.sample;
      rows.push(kv("Available pods", sm.stablePods + " stable · " + sm.canaryPods + " canary · " + sm.oldPods + " old", "replicas"));
    }
    (snap.images || []).forEach(function (im) {
      rows.push(kv("Image", el("span", {}, el("code", {}, breakable(im.image)), " ", el("span", { "class": "role role-" + im.role }, im.role)), "image"));
    });
    return el("section", { "class": "card summary" }, el("h3", {}, "Summary"), rows);
  }

  function ladder(snap) {
    var ro = snap.rollout, steps = ro.steps || [];
    if (!steps.length) return null;
    var at = ro.currentStepIndex;
    var done = ro.phase === "Healthy" && (at === null || at === undefined || at >= steps.length);
    var items = steps.map(function (text, i) {
      var state = "pending";
      if (done || (at !== null && at !== undefined && i < at)) state = "done";
      else if (i === at) state = ro.phase === "Degraded" ? "current aborted" : "current";
      return el("li", { "class": "step " + state, "data-step": i },
        el("span", { "class": "step-icon" }, state === "done" ? "✔" : stepIcon(text)),
        el("span", { "class": "step-n" }, String(i)), el("span", { "class": "step-text" }, text));
    });
    return el("section", { "class": "card steps" }, el("h3", {}, "Steps"), el("ol", { "class": "ladder" }, items));
  }

  function rsStatus(rs) {
    if (rs.specReplicas === 0) return ["ScaledDown", "•"];
    if (rs.availableReplicas < rs.specReplicas) return ["Progressing", "◌"];
    return ["Healthy", "✔"];
  }

  function age(sec) {
    if (sec < 120) return sec + "s";
    if (sec < 7200) return Math.floor(sec / 60) + "m";
    return Math.floor(sec / 3600) + "h";
  }

  // aged is how much older than in their frame the objects are at the
  // selected instant (frames are recorded only when something changed).
  var aged = 0;

  function pods(list) {
    return el("div", { "class": "pods" }, (list || []).map(function (p) {
      var cls = p.ready ? "pod ready" : "pod " + (p.phase === "Failed" ? "failed" : "starting");
      return el("span", { "class": cls, title: p.name + " · " + (p.ready ? "Running, ready" : (p.phase || "Pending") + ", not ready") + " · age " + age(p.ageSec + aged) },
        p.ready ? "✔" : "◌");
    }));
  }

  function measurementDot(m) {
    var when = m.finishedAtMs !== undefined ? clock(m.finishedAtMs) : (m.startedAtMs !== undefined ? "started " + clock(m.startedAtMs) : "");
    var text = m.phase + (m.value ? " · value " + m.value : "") + (m.message ? " · " + m.message : "") + (when ? " · " + when : "");
    return el("span", { "class": "measurement m-" + m.phase, title: text }, phaseIcon[m.phase] || "•");
  }

  function analysisRun(ar) {
    var metrics = (ar.metrics || []).map(function (m) {
      return el("div", { "class": "metric" },
        el("span", { "class": "metric-name" }, m.name),
        el("span", { "class": "small phase-text-" + m.phase }, m.phase || "Pending"),
        el("span", { "class": "counts" }, "✔ " + m.successful + "  ✖ " + m.failed + "  ? " + m.inconclusive + "  ⚠ " + m.errors),
        el("span", { "class": "measurements" }, (m.measurements || []).map(measurementDot)));
    });
    return el("div", { "class": "node analysisrun", "data-name": ar.name },
      el("div", { "class": "node-head" }, el("span", { "class": "kind" }, "α"), el("span", { "class": "name" }, ar.name), phaseBadge(ar.phase, "small")),
      ar.message ? el("div", { "class": "message" }, ar.message) : null, metrics);
  }

  function experiment(ex) {
    return el("div", { "class": "node experiment", "data-name": ex.name },
      el("div", { "class": "node-head" }, el("span", { "class": "kind" }, "Σ"), el("span", { "class": "name" }, ex.name), phaseBadge(ex.phase, "small")),
      (ex.templates || []).map(function (t) {
        return el("div", { "class": "node replicaset" },
          el("div", { "class": "node-head" }, el("span", { "class": "kind" }, "▣"), el("span", { "class": "name" }, t.replicaSet || t.name),
            el("span", { "class": "small" }, t.status + " · " + t.availableReplicas + "/" + t.specReplicas)), pods(t.pods));
      }));
  }

  function revision(rev) {
    var rs = rev.replicaSet, st = rsStatus(rs);
    var role = rs.role === "old" ? null : el("span", { "class": "role role-" + rs.role }, rs.role);
    return el("section", { "class": "card revision", "data-revision": rev.revision },
      el("div", { "class": "revision-head" }, el("h3", {}, "Revision " + rev.revision), role),
      el("div", { "class": "images" }, (rs.images || []).map(function (im) { return el("code", {}, breakable(im)); })),
      el("div", { "class": "node replicaset", "data-name": rs.name },
        el("div", { "class": "node-head" }, el("span", { "class": "kind" }, "▣"), el("span", { "class": "name" }, rs.name),
          el("span", { "class": "badge small rs-" + st[0] }, el("span", { "class": "icon" }, st[1]), " ", st[0]),
          el("span", { "class": "small" }, rs.availableReplicas + "/" + rs.specReplicas + " available · age " + age(rs.ageSec + aged))),
        pods(rs.pods)),
      (rev.experiments || []).map(experiment),
      (rev.analysisRuns || []).map(analysisRun));
  }

  function rolloutPanel(model, key, t) {
    var snap = stateAt(model, key, t);
    if (!snap) {
      return el("section", { "class": "rollout absent", "data-rollout": key }, el("h2", {}, "⟳ " + key), el("p", {}, "Not created yet at " + clock(t) + "."));
    }
    var ro = snap.rollout;
    aged = Math.max(0, Math.floor((t - snap.atMs) / 1000));
    var revs = (snap.revisions || []).slice().sort(function (a, b) { return b.revision - a.revision; });
    return el("section", { "class": "rollout", "data-rollout": key },
      el("div", { "class": "rollout-head" }, el("h2", {}, el("span", { "class": "kind" }, "⟳"), " ", ro.name), phaseBadge(ro.phase),
        el("span", { "class": "ns" }, ro.namespace)),
      ro.message ? el("div", { "class": "message", "data-field": "message" }, ro.message) : null,
      snap.finalOnly ? el("div", { "class": "note" }, "This result carries no frames (it was written by an older rollsim): the tree below is the final state; phase, weight and pods follow the samples.") : null,
      el("div", { "class": "columns" },
        el("div", { "class": "col-left" }, summary(snap), ladder(snap)),
        el("div", { "class": "col-right" }, revs.length ? revs.map(revision) :
          (ro.replicaSets || []).map(function (rs) { return revision({ revision: rs.revision, replicaSet: rs }); }))));
  }

  function timeline(model, t) {
    var rows = [], recs = model.s.timeline || [];
    var shown = recs.filter(function (r) { return r.atMs <= t; });
    shown.forEach(function (r, i) {
      var cls = "verb-" + r.verb + (r.atMs === t ? " now" : "") + (i === shown.length - 1 ? " last" : "");
      rows.push(el("tr", { "class": cls, "data-at": r.atMs },
        el("td", { "class": "t" }, clock(r.atMs).replace(/\.\d+s$/, "s")), el("td", { "class": "actor" }, r.actor), el("td", { "class": "object" }, r.object),
        el("td", { "class": "verb" }, r.verb), el("td", {}, what(r))));
    });
    var last = shown.length ? shown[shown.length - 1] : null;
    return el("section", { "class": "card timeline-card" },
      el("h3", {}, "Timeline ", el("span", { "class": "small" }, shown.length + " of " + recs.length + " records")),
      el("div", { "class": "lastline", id: "last-event" }, last ? clock(last.atMs).replace(/\.\d+s$/, "s") + "  " + last.object + "  " + last.verb + "  " + what(last) : "(nothing yet)"),
      el("div", { "class": "timeline-scroll", id: "timeline-scroll" }, el("table", { "class": "timeline", id: "timeline" }, el("tbody", {}, rows))));
  }

  // marks are the notable instants on the scrubber's track.
  function marks(model, max) {
    var notable = { aborted: 1, promoted: 1, paused: 1, resumed: 1, action: 1, step: 1, failed: 1, error: 1 };
    var seen = {}, out = [];
    (model.s.timeline || []).forEach(function (r) {
      if (!notable[r.verb] || r.atMs < 0 || seen[r.atMs + r.verb]) return;
      seen[r.atMs + r.verb] = true;
      out.push(el("span", { "class": "mark mark-" + r.verb, style: "left:" + (max ? 100 * r.atMs / max : 0) + "%", title: clock(r.atMs) + " " + r.verb + " " + (r.reason || "") }));
    });
    return el("div", { "class": "marks" }, out);
  }

  function scrubber(model) {
    var max = Math.max(model.s.virtualMs || 0, model.instants[model.instants.length - 1] || 0);
    var range = el("input", { type: "range", id: "scrubber", min: 0, max: max, step: 1, value: 0, "aria-label": "virtual time" });
    range.addEventListener("input", function () { select(indexAt(model, Number(range.value)), true, false); });
    range.addEventListener("change", function () { select(indexAt(model, Number(range.value)), true, true); });
    var prev = el("button", { type: "button", id: "prev", title: "previous instant (←)" }, "◀");
    var next = el("button", { type: "button", id: "next", title: "next instant (→)" }, "▶");
    prev.addEventListener("click", function () { select(cur.idx - 1, true, true); });
    next.addEventListener("click", function () { select(cur.idx + 1, true, true); });
    return el("section", { "class": "scrubber" },
      el("div", { "class": "clock-row" }, prev, el("span", { "class": "clock", id: "clock" }, clock(0)), next,
        el("span", { "class": "small", id: "instant-n" }, ""), el("span", { "class": "small hint" }, "← → step event by event · Home/End · drag the slider · the URL (#t=…) links this instant")),
      el("div", { "class": "track" }, range, marks(model, max)),
      el("div", { "class": "track-ends small" }, el("span", {}, clock(0)), el("span", {}, clock(max))));
  }

  // indexAt is the index of the last instant at or before t.
  function indexAt(model, t) {
    var i = 0;
    while (i + 1 < model.instants.length && model.instants[i + 1] <= t) i++;
    return i;
  }

  function header() {
    var s = scenarios[cur.sc];
    var pick = null;
    if (scenarios.length > 1) {
      pick = el("select", { id: "scenario-select", "aria-label": "scenario" }, scenarios.map(function (x, i) {
        return el("option", { value: i, selected: i === cur.sc ? "selected" : null }, x.scenario);
      }));
      pick.addEventListener("change", function () { show(Number(pick.value), 0, true); });
    }
    return el("header", {},
      el("div", { "class": "brand" }, el("span", { "class": "logo" }, "⟳"), " rollsim ", el("span", { "class": "thin" }, "replay")),
      el("div", { "class": "title" }, el("strong", { id: "scenario-name" }, s.scenario), " ",
        el("span", { "class": "badge " + (s.passed ? "pass" : "fail") }, s.passed ? "PASS" : "FAIL"),
        el("span", { "class": "small" }, " " + s.file + " · virtual " + fragment(s.virtualMs || 0) + " · seed " + s.seed + (s.backend ? " · backend " + s.backend : ""))),
      pick);
  }

  // show renders scenario sc at instant index idx.
  function show(sc, idx, updateHash) {
    cur.sc = sc;
    cur.model = build(scenarios[sc]);
    app.textContent = "";
    var s = scenarios[sc];
    add(app, header());
    if (s.error) add(app, el("div", { "class": "error-banner" }, "error (" + (s.errorKind || "run") + "): " + s.error));
    add(app, scrubber(cur.model));
    add(app, el("main", { id: "state" }));
    add(app, el("div", { id: "timeline-slot" }));
    select(idx, false, updateHash);
  }

  // select shows instant index i of the current scenario.
  function select(i, fromUser, updateHash) {
    var model = cur.model;
    i = Math.max(0, Math.min(model.instants.length - 1, i));
    cur.idx = i;
    var t = model.instants[i];
    document.getElementById("clock").textContent = clock(t);
    document.getElementById("instant-n").textContent = "instant " + (i + 1) + " of " + model.instants.length;
    var range = document.getElementById("scrubber");
    if (updateHash || !fromUser) range.value = t;
    var state = document.getElementById("state");
    state.textContent = "";
    state.setAttribute("data-at", t);
    add(state, model.keys.map(function (k) { return rolloutPanel(model, k, t); }));
    if (!model.keys.length) add(state, el("p", { "class": "note" }, "This scenario has no rollout."));
    var slot = document.getElementById("timeline-slot");
    slot.textContent = "";
    add(slot, timeline(model, t));
    var scroll = document.getElementById("timeline-scroll");
    scroll.scrollTop = scroll.scrollHeight;
    if (updateHash) {
      var h = "#t=" + fragment(t) + (scenarios.length > 1 ? "&s=" + encodeURIComponent(scenarios[cur.sc].scenario) : "");
      if (location.hash !== h) history.replaceState(null, "", h);
    }
  }

  // fromHash applies #t=…&s=… (s: a scenario name or index).
  function fromHash() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kvp) {
      var p = kvp.split("=");
      if (p[0]) params[decodeURIComponent(p[0])] = decodeURIComponent(p.slice(1).join("="));
    });
    var sc = cur.sc;
    if (params.s !== undefined) {
      scenarios.forEach(function (x, i) { if (x.scenario === params.s || String(i) === params.s) sc = i; });
    }
    var t = parseDuration(params.t);
    if (sc !== cur.sc || !cur.model) show(sc, 0, false);
    // #t=2m35s names the second the timeline prints as T+02m35s: the last
    // instant before 2m36s. With milliseconds (2m35.004s) it is exact.
    if (!isNaN(t)) select(indexAt(cur.model, t % 1000 === 0 && !/\./.test(params.t) ? t + 999 : t), false, false);
  }

  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "SELECT") return;
    var moves = { ArrowRight: 1, ArrowLeft: -1 };
    if (e.key in moves) select(cur.idx + moves[e.key], true, true);
    else if (e.key === "Home") select(0, true, true);
    else if (e.key === "End") select(cur.model.instants.length - 1, true, true);
    else return;
    e.preventDefault();
  });
  window.addEventListener("hashchange", fromHash);

  if (!scenarios.length) { app.textContent = "No scenario in this result."; return; }
  show(0, 0, false);
  fromHash();
})();
