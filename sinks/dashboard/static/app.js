// HeldSway dashboard: fetches the per-code table and daily series from
// /dashboard/api and draws them as inline SVG. No dependencies.
"use strict";
(function () {
  const api = "/dashboard/api";
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("range");
  const status = document.getElementById("status");
  const svgNS = "http://www.w3.org/2000/svg";
  let rows = [];
  let sortKey = "orders", sortDesc = true;
  let selected = params.get("code") || "";

  const iso = (d) => d.toISOString().slice(0, 10);
  const today = new Date();
  form.to.value = params.get("to") || iso(today);
  form.from.value = params.get("from") || iso(new Date(today.getTime() - 29 * 86400000));
  form.currency.value = params.get("currency") || "";

  function decimals(cur) {
    try { return new Intl.NumberFormat("en", { style: "currency", currency: cur }).resolvedOptions().maximumFractionDigits; }
    catch (e) { return 2; }
  }
  function money(v, cur) {
    if (!cur) return "–";
    const d = decimals(cur);
    return (v / Math.pow(10, d)).toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d }) + " " + cur;
  }
  const pct = (f) => (100 * f).toFixed(1) + "%";
  function el(name, attrs, text) {
    const e = document.createElementNS(svgNS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // textWidth measures how wide the longest of texts draws in svg, so the
  // charts leave room for their labels instead of clipping them.
  function textWidth(svg, texts) {
    const probe = el("text", { x: 0, y: -100 });
    svg.appendChild(probe);
    let w = 0;
    for (const t of texts) { probe.textContent = t; w = Math.max(w, probe.getComputedTextLength()); }
    svg.removeChild(probe);
    return Math.ceil(w);
  }
  function query(extra) {
    const q = new URLSearchParams({ from: form.from.value, to: form.to.value });
    if (form.currency.value) q.set("currency", form.currency.value.toUpperCase());
    for (const k in extra || {}) if (extra[k]) q.set(k, extra[k]);
    return q.toString();
  }
  async function get(path) {
    const res = await fetch(api + path);
    if (res.status === 401) { location.assign("/dashboard/login"); throw new Error("not logged in"); }
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  function flagged(r) {
    let n = 0;
    for (const k in r.flagged_orders || {}) n += r.flagged_orders[k];
    return n;
  }
  function sortValue(r, k) {
    if (k === "flags") return flagged(r);
    if (k === "leaked") return r.leaked ? 1 : 0;
    return r[k];
  }

  function renderTable() {
    const tbody = document.querySelector("#codes tbody");
    tbody.textContent = "";
    const sorted = rows.slice().sort((a, b) => {
      const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      const c = x < y ? -1 : x > y ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
      return sortDesc ? -c : c;
    });
    for (const r of sorted) {
      const tr = document.createElement("tr");
      tr.dataset.code = r.code;
      if (r.leaked) tr.classList.add("leaked");
      if (r.code === selected) tr.classList.add("selected");
      const cells = [r.code, r.affiliate_id, r.currency || "–", r.clicks, r.visitors, r.orders,
        r.attributed, r.attributed_click,
        r.clicks ? pct(r.conversion_rate) : "–", money(r.revenue, r.currency), money(r.net_revenue, r.currency),
        money(r.aov, r.currency), money(r.discount, r.currency), money(r.commission, r.currency),
        money(r.commission_pending, r.currency),
        r.orders ? pct(r.refund_rate) : "–", r.net ? pct(r.refund_amount_rate) : "–", flagged(r), r.leaked ? "LEAKED?" : ""];
      cells.forEach((c, i) => {
        const td = document.createElement("td");
        td.textContent = c;
        if (i === cells.length - 1 && r.leaked) {
          td.className = "leak";
          td.title = (r.leak_reasons || []).join("; ");
          const why = document.createElement("small");
          why.textContent = td.title;
          td.appendChild(why);
        }
        tr.appendChild(td);
      });
      tr.addEventListener("click", () => { selected = selected === r.code ? "" : r.code; renderTable(); loadDaily(); });
      tbody.appendChild(tr);
    }
  }

  function renderAffiliates(affs) {
    const tbody = document.querySelector("#affiliates tbody");
    tbody.textContent = "";
    for (const a of affs) {
      const tr = document.createElement("tr");
      tr.dataset.affiliate = a.affiliate_id;
      for (const c of [a.affiliate_id || "–", a.currency || "–", a.codes, a.clicks, a.orders, a.attributed,
        a.attributed_code, a.attributed_click, a.attributed_split, money(a.revenue, a.currency),
        money(a.commission, a.currency), money(a.commission_pending, a.currency),
        a.orders ? pct(a.refund_rate) : "–", a.net ? pct(a.refund_amount_rate) : "–"]) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  function renderDaily(days) {
    const svg = document.getElementById("daily");
    svg.textContent = "";
    const W = 640, H = 260, R = 8, T = 18, B = 28;
    const max = Math.max(1, ...days.map((d) => d.orders));
    const L = Math.max(24, textWidth(svg, [String(max)]) + 10);
    const bw = (W - L - R) / Math.max(1, days.length);
    svg.appendChild(el("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
    for (const f of [0, 0.5, 1]) {
      const y = H - B - f * (H - B - T);
      svg.appendChild(el("line", { class: "axis", x1: L, y1: y, x2: W - R, y2: y }));
      svg.appendChild(el("text", { x: L - 4, y: y + 4, "text-anchor": "end" }, String(Math.round(f * max))));
    }
    days.forEach((d, i) => {
      const x = L + i * bw;
      const h = (d.orders / max) * (H - B - T);
      const bar = el("rect", { class: "bar", x: x + bw * 0.15, y: H - B - h, width: bw * 0.7, height: h });
      bar.appendChild(el("title", {}, d.day + ": " + d.orders + " orders, " + d.clicks + " clicks"));
      svg.appendChild(bar);
      if (d.leak_flags > 0) {
        const cx = x + bw / 2;
        svg.appendChild(el("line", { class: "leakline", x1: cx, y1: T, x2: cx, y2: H - B }));
        const m = el("path", { class: "leak", d: `M${cx - 6},${T - 12} L${cx + 6},${T - 12} L${cx},${T - 2} Z` });
        m.appendChild(el("title", {}, d.day + ": " + d.leak_flags + " code_leak flag(s)"));
        svg.appendChild(m);
      }
      const every = Math.ceil(days.length / 10);
      if (i % every === 0) svg.appendChild(el("text", { x: x + bw / 2, y: H - B + 14, "text-anchor": "middle" }, d.day.slice(5)));
    });
  }

  function renderShare() {
    const svg = document.getElementById("share");
    svg.textContent = "";
    const top = rows.filter((r) => r.attributed > 0)
      .sort((a, b) => b.attributed - a.attributed).slice(0, 8);
    const W = 640, rowH = 28, T = 6;
    const label = (r) => r.code + (r.currency ? " " + r.currency : "");
    const L = Math.min(W / 2, textWidth(svg, top.map(label)) + 12);
    const R = textWidth(svg, ["100.0% click"]) + 12;
    if (!top.length) {
      svg.appendChild(el("text", { x: W / 2, y: 120, "text-anchor": "middle" }, "No attributed orders in this range"));
      return;
    }
    top.forEach((r, i) => {
      const y = T + i * (rowH + 4);
      svg.appendChild(el("text", { class: "label", x: L - 6, y: y + rowH / 2 + 4, "text-anchor": "end" }, label(r)));
      let x = L;
      for (const [k, cls] of [["attributed_code", "code"], ["attributed_click", "click"], ["attributed_split", "split"]]) {
        const w = (r[k] / r.attributed) * (W - L - R);
        if (w <= 0) continue;
        const rect = el("rect", { class: cls, x: x, y: y, width: w, height: rowH });
        rect.appendChild(el("title", {}, r.code + ": " + r[k] + " by " + cls));
        svg.appendChild(rect);
        x += w;
      }
      svg.appendChild(el("text", { x: W - R + 6, y: y + rowH / 2 + 4 }, pct((r.attributed_click + r.attributed_split) / r.attributed) + " click"));
    });
  }

  async function loadDaily() {
    document.getElementById("daily-code").textContent = selected ? "(" + selected + ")" : "(all codes)";
    try {
      renderDaily(await get("/daily?" + query({ code: selected })));
    } catch (e) { fail(e); }
  }
  function fail(e) { status.textContent = "Could not load: " + e.message; status.classList.add("error"); }

  async function load() {
    status.textContent = "Loading…";
    status.classList.remove("error");
    try {
      rows = await get("/codes?" + query());
      status.textContent = rows.length + " code rows, " + form.from.value + " to " + form.to.value +
        "; " + rows.filter((r) => r.leaked).length + " look leaked";
      renderTable();
      renderShare();
      renderAffiliates(await get("/affiliates?" + query()));
      await loadDaily();
      document.body.dataset.loaded = "true";
    } catch (e) { fail(e); }
  }

  document.querySelectorAll("#codes th").forEach((th) => th.addEventListener("click", () => {
    const k = th.dataset.k;
    if (sortKey === k) sortDesc = !sortDesc; else { sortKey = k; sortDesc = k !== "code" && k !== "affiliate_id"; }
    renderTable();
  }));
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  load();
})();
