/* The review page: filters, keyboard, decisions, one submit.  Plain JS, no framework, nothing fetched
   from anywhere but this page's own server.  Memory text is never turned into HTML here: the server
   renders it escaped, and the surrounding turns are added with textContent. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const token = new URLSearchParams(location.search).get("token") || "";
  const readonly = data.readonly;
  const items = data.items;
  const bySeq = new Map(items.map((it) => [it.seq, it]));
  const cards = new Map();
  document.querySelectorAll("article.change").forEach((el) => cards.set(Number(el.dataset.seq), el));
  const groups = Array.from(document.querySelectorAll("section.group"));
  const decisions = new Map(); // seq -> "accepted" | "rejected"
  const $ = (id) => document.getElementById(id);

  // --- closure: what goes with what (the server checks it again on submit) ---
  const unitOf = new Map();
  (data.graph.units || []).forEach((unit) => unit.forEach((s) => unitOf.set(s, unit)));
  const needs = new Map(Object.entries(data.graph.needs || {}).map(([s, n]) => [Number(s), n]));
  const dependants = new Map();
  needs.forEach((list, s) => list.forEach((n) => {
    if (!dependants.has(n)) dependants.set(n, []);
    dependants.get(n).push(s);
  }));
  function spread(seq, next) {
    const out = new Set();
    const todo = [seq];
    while (todo.length) {
      const s = todo.pop();
      if (out.has(s)) continue;
      out.add(s);
      (unitOf.get(s) || []).forEach((u) => todo.push(u));
      (next.get(s) || []).forEach((u) => todo.push(u));
    }
    return out;
  }
  function opOf(s) { return bySeq.has(s) ? bySeq.get(s).op : "change"; }

  function decide(seqs, verdict, quiet) {
    const touched = new Set();
    seqs.forEach((seq) => spread(seq, verdict === "accepted" ? needs : dependants).forEach((s) => touched.add(s)));
    const extra = Array.from(touched).filter((s) => !seqs.includes(s) && decisions.get(s) !== verdict);
    touched.forEach((s) => {
      decisions.set(s, verdict);
      paint(s);
    });
    if (!quiet && extra.length) {
      const names = extra.sort((a, b) => a - b).slice(0, 6).map((s) => `#${s} (${opOf(s)})`).join(", ");
      const why = verdict === "accepted" ? "goes with it or is needed by it" : "goes with it or needs it";
      notice(`Also ${verdict} ${names}${extra.length > 6 ? ` and ${extra.length - 6} more` : ""}: it ${why}.`);
    } else if (!quiet) {
      notice("");
    }
    tally();
  }
  function paint(seq) {
    const card = cards.get(seq);
    if (!card) return;
    const verdict = decisions.get(seq);
    card.classList.toggle("accepted", verdict === "accepted");
    card.classList.toggle("rejected", verdict === "rejected");
    const a = card.querySelector("button.accept");
    const r = card.querySelector("button.reject");
    if (a) a.setAttribute("aria-pressed", String(verdict === "accepted"));
    if (r) r.setAttribute("aria-pressed", String(verdict === "rejected"));
  }
  function tally() {
    if (readonly) return;
    let accepted = 0, rejected = 0;
    decisions.forEach((v) => (v === "accepted" ? accepted++ : rejected++));
    const undecided = items.length - accepted - rejected;
    $("tally").textContent = `${accepted} accepted · ${rejected} rejected · ${undecided} undecided`;
    $("submit").disabled = undecided > 0 || submitted;
  }
  function notice(text, bad) {
    const el = $("notice");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("bad", !!bad);
  }

  // --- filters ---
  let visible = items.map((it) => it.seq);
  function filterState() {
    const ops = Array.from(document.querySelectorAll("input[name=op]:checked")).map((el) => el.value);
    const num = (id) => { const v = $(id) && $(id).value.trim(); return v === "" || v == null ? null : Number(v); };
    return {
      q: $("q").value.trim().toLowerCase(),
      ops: new Set(ops),
      path: $("path").value,
      rule: $("rule") ? $("rule").value : "",
      min: num("min-score"),
      max: num("max-score"),
    };
  }
  function matches(it, f) {
    if (f.ops.size && !f.ops.has(it.op)) return false;
    if (f.path && !it.paths.some((p) => p.startsWith(f.path))) return false;
    if (f.rule && it.rule !== f.rule) return false;
    if (f.min !== null && (it.score === null || it.score < f.min)) return false;
    if (f.max !== null && (it.score === null || it.score > f.max)) return false;
    if (f.q) {
      for (const word of f.q.split(/\s+/)) if (!it.text.includes(word)) return false;
    }
    return true;
  }
  function applyFilters() {
    const f = filterState();
    visible = [];
    items.forEach((it) => {
      const show = matches(it, f);
      const card = cards.get(it.seq);
      if (card && card.hidden === show) card.hidden = !show;
      if (show) visible.push(it.seq);
    });
    // the page order is the card order, not the index order
    const order = new Map(Array.from(cards.keys()).map((s, i) => [s, i]));
    visible.sort((a, b) => order.get(a) - order.get(b));
    groups.forEach((g) => {
      const shown = g.querySelectorAll("article.change:not([hidden])").length;
      g.hidden = shown === 0;
      const count = g.querySelector(".count");
      count.textContent = shown === Number(count.dataset.total) ? count.dataset.total : `${shown} of ${count.dataset.total}`;
    });
    $("shown").textContent = `${visible.length} of ${items.length} changes shown`;
    if (current !== null && !visible.includes(current)) setCurrent(visible.length ? visible[0] : null, false);
  }
  let timer = null;
  $("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(applyFilters, 80); });
  document.querySelectorAll("#filters input[type=checkbox], #filters select, #filters input[type=number]")
    .forEach((el) => el.addEventListener("change", applyFilters));
  document.querySelectorAll("#filters input[type=number]").forEach((el) => el.addEventListener("input", applyFilters));
  $("clear").addEventListener("click", () => {
    $("q").value = "";
    document.querySelectorAll("input[name=op]").forEach((el) => (el.checked = false));
    $("path").value = "";
    if ($("rule")) $("rule").value = "";
    $("min-score").value = "";
    $("max-score").value = "";
    applyFilters();
  });

  // --- moving around ---
  let current = null;
  function setCurrent(seq, scroll) {
    if (current !== null && cards.get(current)) cards.get(current).classList.remove("current");
    current = seq;
    if (seq === null) return;
    const card = cards.get(seq);
    card.classList.add("current");
    if (scroll !== false) {
      card.scrollIntoView({ block: "nearest" });
      card.focus({ preventScroll: true });
    }
  }
  function step(delta) {
    if (!visible.length) return;
    const i = current === null ? -1 : visible.indexOf(current);
    const next = i < 0 ? (delta > 0 ? 0 : visible.length - 1) : Math.min(visible.length - 1, Math.max(0, i + delta));
    setCurrent(visible[next]);
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = ev.target.tagName;
    const typing = tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(ev.target.type));
    if (typing) {
      if (ev.key === "Escape") ev.target.blur();
      if (ev.key === "Enter" && ev.target.id === "q") { ev.target.blur(); applyFilters(); step(1); }
      return;
    }
    if (ev.key === "j") step(1);
    else if (ev.key === "k") step(-1);
    else if (ev.key === "/") { ev.preventDefault(); $("q").focus(); $("q").select(); }
    else if (!readonly && (ev.key === "a" || ev.key === "r") && !submitted) {
      if (current === null) step(1);
      if (current === null) return;
      decide([current], ev.key === "a" ? "accepted" : "rejected");
      step(1);
    } else return;
    ev.preventDefault();
  });
  document.getElementById("changes").addEventListener("click", (ev) => {
    const card = ev.target.closest("article.change");
    const button = ev.target.closest("button");
    if (button && button.classList.contains("context")) { context(button); return; }
    if (card) setCurrent(Number(card.dataset.seq), false);
    if (!button || readonly || submitted) return;
    if (card && button.classList.contains("accept")) decide([Number(card.dataset.seq)], "accepted");
    else if (card && button.classList.contains("reject")) decide([Number(card.dataset.seq)], "rejected");
    else if (button.classList.contains("group-accept") || button.classList.contains("group-reject")) {
      const group = button.closest("section.group");
      const seqs = Array.from(group.querySelectorAll("article.change:not([hidden])")).map((el) => Number(el.dataset.seq));
      decide(seqs, button.classList.contains("group-accept") ? "accepted" : "rejected");
    }
  });
  if (!readonly) {
    $("accept-all").addEventListener("click", () => !submitted && decide(visible.slice(), "accepted"));
    $("reject-all").addEventListener("click", () => !submitted && decide(visible.slice(), "rejected"));
  }

  // --- a quote's surrounding turns ---
  async function context(button) {
    const quote = button.closest("li.quote");
    let box = quote.querySelector("ol.context");
    if (box) {
      box.hidden = !box.hidden;
      button.setAttribute("aria-expanded", String(!box.hidden));
      return;
    }
    button.disabled = true;
    const url = `/api/turns?session=${encodeURIComponent(quote.dataset.session)}&turn=${encodeURIComponent(quote.dataset.turn)}`;
    try {
      const reply = await fetch(url, { headers: { "X-Review-Token": token } });
      if (!reply.ok) throw new Error(await reply.text());
      const body = await reply.json();
      box = document.createElement("ol");
      box.className = "context";
      body.turns.forEach((t) => {
        const li = document.createElement("li");
        if (t.cited) li.className = "cited";
        const cite = document.createElement("div");
        cite.className = "cite";
        cite.textContent = `${t.who} · ${(t.timestamp || "").slice(0, 16).replace("T", " ")} · #${t.turn_id}`;
        const text = document.createElement("div");
        text.className = "turn-text";
        text.textContent = t.text;
        li.append(cite, text);
        box.append(li);
      });
      quote.append(box);
      button.setAttribute("aria-expanded", "true");
    } catch (err) {
      notice(`Could not load the surrounding turns: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  }

  // --- the one submit ---
  let submitted = false;
  async function submit() {
    if (submitted) return;
    const accepted = [], rejected = [];
    decisions.forEach((v, s) => (v === "accepted" ? accepted : rejected).push(s));
    $("submit").disabled = true;
    notice("Submitting…");
    try {
      const reply = await fetch("/api/decide", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Review-Token": token },
        body: JSON.stringify({ version: data.version, accepted: accepted.sort((a, b) => a - b), rejected: rejected.sort((a, b) => a - b) }),
      });
      const body = await reply.json();
      if (!reply.ok) { notice(body.error || "the decision was refused", true); $("submit").disabled = false; return; }
      submitted = true;
      document.body.classList.add("done");
      notice(body.message);
      document.querySelectorAll("button").forEach((b) => { if (!b.classList.contains("context")) b.disabled = true; });
    } catch (err) {
      notice(`Could not submit: ${err.message}`, true);
      $("submit").disabled = false;
    }
  }
  if (!readonly) $("submit").addEventListener("click", submit);

  // the sticky header's height, for the sticky filters and for scrolling a change into view below it
  function measure() {
    document.documentElement.style.setProperty("--header", `${$("top").offsetHeight}px`);
  }
  window.addEventListener("resize", measure);
  measure();

  // already decided changes (a version decided change by change, shown read-only)
  document.querySelectorAll("article.change[data-decision]").forEach((el) => el.classList.add(el.dataset.decision));
  tally();
  window.dreamingReview = { ready: true, items: items.length };
  document.body.dataset.ready = "true";
})();
