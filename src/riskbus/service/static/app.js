/* riskbus dashboard: plain JavaScript, no build step, nothing loaded from elsewhere.
 * Hash routes: #/scenarios, #/risk, #/eventflow, #/recordings, #/predictions. */
"use strict";

// -- helpers ---------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error_code) || `HTTP_${status}`;
  }
}

async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: { ...(options.headers || {}) } };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { detail: text }; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function errorText(error) {
  return error instanceof ApiError ? `${error.status} ${error.code}: ${error.message}` : String(error);
}

function fmtNumber(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function fmtSeconds(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(2)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** Virtual time as m:ss (or h:mm:ss), e.g. 16:00 for 960 s. */
function fmtClock(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const total = Math.round(Number(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), sec = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

function fmtNs(ns) {
  if (!ns) return "–";
  return new Date(Number(ns) / 1e6).toISOString().replace("T", " ").slice(0, 19) + "Z";
}

function table(node, headers, rows, empty = "nothing yet") {
  node.replaceChildren();
  node.append(el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))));
  const body = el("tbody");
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: headers.length, class: "muted", text: empty })));
  for (const row of rows) body.append(el("tr", {}, row.map((cell) => el("td", {}, cell))));
  node.append(body);
}

function badge(text, kind) {
  return el("span", { class: `badge ${kind || text}`, text });
}

/** A canvas sized to its CSS width at the device's pixel ratio; returns its 2-D context. */
function canvasContext(canvas, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.parentElement.clientWidth || 600;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, cssHeight);
  return { ctx, width, height: cssHeight };
}

const COLORS = {
  text: "#c9d1d9", muted: "#8b949e", grid: "#30363d", line: "#58a6ff",
  buy: "#3fb950", sell: "#f85149", fault: "rgba(210, 153, 34, 0.22)", faultEdge: "#d29922",
};

// -- router ----------------------------------------------------------------------------

const pages = {};
let currentPage = null;

function route() {
  const name = (location.hash.replace(/^#\/?/, "").split("/")[0]) || "scenarios";
  const page = pages[name] ? name : "scenarios";
  for (const section of document.querySelectorAll(".page")) section.hidden = section.id !== `page-${page}`;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.page === page);
  if (currentPage && currentPage !== page && pages[currentPage].leave) pages[currentPage].leave();
  currentPage = page;
  document.title = `riskbus · ${page}`;
  pages[page].enter();
}

async function refreshHealth() {
  const node = $("health");
  try {
    const health = await api("/health");
    node.textContent = `● ${health.status} · v${health.version} · ${health.runs_active} running`;
    node.className = "health ok";
  } catch (error) {
    node.textContent = "● unreachable";
    node.className = "health bad";
  }
}

// -- scenarios -------------------------------------------------------------------------

const scenarioState = { list: [], selected: null, run: null, source: null, timer: null, lastChart: null };
const TERMINAL = new Set(["passed", "failed", "error", "stopped"]);

async function loadScenarios() {
  const list = $("scenario-list");
  try {
    scenarioState.list = await api("/api/scenarios");
  } catch (error) {
    list.replaceChildren(el("li", { class: "error-text", text: errorText(error) }));
    return;
  }
  renderScenarioList();
  if (!scenarioState.selected && scenarioState.list.length) selectScenario(scenarioState.list[0].name);
}

function renderScenarioList() {
  const filter = $("scenario-filter").value.trim().toLowerCase();
  const items = scenarioState.list.filter((s) => !filter || `${s.name} ${s.title}`.toLowerCase().includes(filter));
  $("scenario-count").textContent = `${scenarioState.list.length}`;
  $("scenario-list").replaceChildren(...items.map((s) => el("li", {
    class: `${s.name === scenarioState.selected ? "selected" : ""} ${s.valid ? "" : "invalid"}`,
    "data-name": s.name,
    title: s.error || s.description || s.name,
    onclick: () => selectScenario(s.name),
  }, el("span", { class: "item-title", text: s.title || s.name }), el("span", { class: "item-sub", text: s.name }))));
}

async function selectScenario(name) {
  scenarioState.selected = name;
  renderScenarioList();
  $("run-button").disabled = true;
  try {
    const detail = await api(`/api/scenarios/${encodeURIComponent(name)}`);
    $("scenario-title").textContent = detail.title || detail.name;
    const facts = [detail.description, `${detail.steps} steps`, `${detail.chaos} chaos actions`,
      detail.seed !== null && detail.seed !== undefined ? `seed ${detail.seed}` : null];
    $("scenario-description").textContent = detail.valid
      ? facts.filter(Boolean).join(" · ")
      : `invalid: ${detail.error}`;
    $("scenario-yaml").textContent = detail.yaml;
    $("run-button").disabled = !detail.valid;
  } catch (error) {
    $("scenario-title").textContent = name;
    $("scenario-description").textContent = errorText(error);
    $("scenario-yaml").textContent = "";
  }
}

async function startRun(event) {
  event.preventDefault();
  if (!scenarioState.selected) return;
  const seedText = $("run-seed").value.trim();
  const body = {
    scenario: scenarioState.selected,
    verbose: $("run-verbose").checked,
    recording: $("run-recording").checked,
    seed: seedText === "" ? null : Number(seedText),
  };
  stopWatching();
  resetRunView();
  $("run-card").hidden = false;
  $("run-details").hidden = false;
  try {
    const accepted = await api("/api/run", { method: "POST", body });
    watchRun(accepted.test_id);
  } catch (error) {
    showRunError(errorText(error));
  }
}

function resetRunView() {
  $("run-status").textContent = "queued";
  $("run-status").className = "badge queued";
  for (const id of ["run-duration", "run-assertions", "run-events", "run-seed-used", "run-id"]) $(id).textContent = "–";
  $("run-log").replaceChildren();
  $("assertion-list").replaceChildren();
  $("chaos-table").replaceChildren();
  $("run-error").hidden = true;
  $("run-reproduce").hidden = true;
  $("run-report").hidden = true;
  scenarioState.lastChart = null;
  drawPriceChart(null);
}

function showRunError(text) {
  $("run-error").textContent = text;
  $("run-error").hidden = false;
}

function watchRun(testId) {
  scenarioState.run = testId;
  $("run-id").textContent = testId;
  $("stop-button").disabled = false;
  const source = new EventSource(`/api/runs/${encodeURIComponent(testId)}/events`);
  scenarioState.source = source;
  source.addEventListener("log", (message) => appendLog(JSON.parse(message.data)));
  source.addEventListener("end", () => { source.close(); pollRun(testId); });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) scenarioState.source = null; };
  pollRun(testId);
}

function stopWatching() {
  if (scenarioState.source) scenarioState.source.close();
  scenarioState.source = null;
  clearTimeout(scenarioState.timer);
  scenarioState.timer = null;
  scenarioState.run = null;
}

function appendLog(line) {
  const log = $("run-log");
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  const level = (line.level || "INFO").toUpperCase();
  log.append(el("div", { class: `log-line ${level.toLowerCase()}` },
    el("span", { class: "level", text: level }), el("span", { text: line.message })));
  if (stick) log.scrollTop = log.scrollHeight;
}

async function pollRun(testId) {
  if (scenarioState.run !== testId) return;
  clearTimeout(scenarioState.timer);
  let status = null;
  try {
    status = await api(`/api/status/${encodeURIComponent(testId)}`);
    renderStatus(status);
    const chart = await api(`/api/runs/${encodeURIComponent(testId)}/chart`);
    scenarioState.lastChart = chart;
    drawPriceChart(chart);
  } catch (error) {
    showRunError(errorText(error));
  }
  if (scenarioState.run !== testId) return;
  if (status && TERMINAL.has(status.status)) {
    $("stop-button").disabled = true;
    return;
  }
  scenarioState.timer = setTimeout(() => pollRun(testId), 400);
}

function renderStatus(status) {
  const node = $("run-status");
  node.textContent = status.status;
  node.className = `badge ${status.status}`;
  $("run-duration").textContent = fmtSeconds(status.duration);
  $("run-assertions").textContent = `${status.assertions_passed}/${status.assertions_total}`;
  $("run-assertions").className = `value ${status.assertions_total && status.assertions_passed < status.assertions_total ? "bad" : ""}`;
  $("run-events").textContent = fmtNumber(status.events_recorded, 0);
  $("run-seed-used").textContent = status.seed === null || status.seed === undefined ? "–" : status.seed;
  if (status.error) showRunError(status.error);
  if (status.reproduce && status.status === "failed") {
    $("run-reproduce").textContent = `reproduce: ${status.reproduce}`;
    $("run-reproduce").hidden = false;
  }
  if (TERMINAL.has(status.status) && status.status !== "stopped") {
    const report = $("run-report");
    report.href = `/api/runs/${encodeURIComponent(status.test_id)}/report`;
    report.hidden = false;
  }
  renderAssertions(status.assertions || []);
  renderChaos(status.chaos || {});
}

function renderAssertions(assertions) {
  const list = $("assertion-list");
  if (!assertions.length) {
    list.replaceChildren(el("li", { class: "muted", text: "no assertion checked yet" }));
    return;
  }
  list.replaceChildren(...assertions.map((a) => el("li", { class: a.passed ? "pass" : "fail" },
    el("span", { class: "mark", text: a.passed ? "✓" : "✗" }),
    el("div", {},
      el("div", { class: "assertion-name", text: a.name || "assertion" }),
      el("div", { class: "assertion-message", text: a.message || "" }),
      a.passed ? null : el("div", { class: "assertion-values",
        text: `expected ${JSON.stringify(a.expected)} · actual ${JSON.stringify(a.actual)}` })))));
}

function renderChaos(chaos) {
  const rows = Object.entries(chaos).filter(([, v]) => typeof v !== "object" || v === null);
  const nested = Object.entries(chaos).filter(([, v]) => v && typeof v === "object");
  const node = $("chaos-table");
  node.replaceChildren();
  if (!rows.length && !nested.length) {
    node.append(el("tr", {}, el("td", { class: "muted", text: "no chaos yet" })));
    return;
  }
  for (const [key, value] of rows) node.append(el("tr", {}, el("th", { text: key.replaceAll("_", " ") }), el("td", { text: String(value) })));
  for (const [key, value] of nested) {
    let cell;
    if (Array.isArray(value)) {
      cell = value.length ? value.map((item) => el("div", {}, describeItem(item))) : "none";
    } else {
      cell = Object.entries(value).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ") || "–";
    }
    node.append(el("tr", {}, el("th", { text: key.replaceAll("_", " ") }), el("td", { class: "small" }, cell)));
  }
}

/** One fault of the chaos report: "F1 exchange_outage · cycles 10–13 · 10:00–13:00". */
function describeItem(item) {
  if (!item || typeof item !== "object") return String(item);
  if (item.kind !== undefined && item.start_t !== undefined) {
    const cycles = item.end_cycle === null || item.end_cycle === undefined ? `from cycle ${item.start_cycle}` : `cycles ${item.start_cycle}–${item.end_cycle}`;
    const window = `${fmtClock(item.start_t)}–${item.end_t === null || item.end_t === undefined ? "end" : fmtClock(item.end_t)}`;
    return [item.fault_id, item.kind, cycles, window, item.details].filter(Boolean).join(" · ");
  }
  return JSON.stringify(item);
}

function drawPriceChart(chart) {
  const canvas = $("price-chart");
  const { ctx, width, height } = canvasContext(canvas, 260);
  const pad = { left: 64, right: 14, top: 12, bottom: 26 };
  const prices = (chart && chart.prices) || [];
  ctx.font = "12px system-ui, sans-serif";
  if (prices.length < 2) {
    ctx.fillStyle = COLORS.muted;
    ctx.fillText(chart ? "waiting for prices…" : "run a scenario to see its price chart", pad.left, height / 2);
    return;
  }
  const xs = prices.map((p) => p.ts);
  const ys = prices.map((p) => p.price).concat((chart.trades || []).map((t) => t.price));
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1e-9);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  const margin = (y1 - y0) * 0.08 || y0 * 0.01 || 1;
  y0 -= margin; y1 += margin;
  const X = (t) => pad.left + ((t - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const Y = (p) => pad.top + (1 - (p - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);

  // fault windows first, under the line
  for (const fault of chart.faults || []) {
    const a = X(Math.max(fault.start, x0));
    const b = X(fault.end === null || fault.end === undefined ? x1 : Math.min(fault.end, x1));
    ctx.fillStyle = COLORS.fault;
    ctx.fillRect(a, pad.top, Math.max(2, b - a), height - pad.top - pad.bottom);
    ctx.fillStyle = COLORS.faultEdge;
    ctx.fillText(fault.kind, a + 3, pad.top + 12);
  }
  // grid and axis labels
  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.muted;
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i += 1) {
    const price = y0 + ((y1 - y0) * i) / 4;
    const y = Y(price);
    ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(width - pad.right, y); ctx.stroke();
    ctx.fillText(fmtNumber(price, price < 10 ? 4 : 0), 6, y + 4);
  }
  for (let i = 0; i <= 5; i += 1) {
    const t = x0 + ((x1 - x0) * i) / 5;
    const label = fmtClock(t);
    const x = X(t);
    ctx.fillText(label, Math.min(Math.max(x - 12, pad.left), width - pad.right - 34), height - 8);
  }
  // the price line
  ctx.strokeStyle = COLORS.line;
  ctx.lineWidth = 1.6;
  ctx.beginPath();
  prices.forEach((p, i) => (i ? ctx.lineTo(X(p.ts), Y(p.price)) : ctx.moveTo(X(p.ts), Y(p.price))));
  ctx.stroke();
  // trades: ▲ buys below the price, ▼ sells above
  for (const trade of chart.trades || []) {
    const buy = String(trade.side).toLowerCase() === "buy";
    const x = X(trade.ts), y = Y(trade.price);
    ctx.fillStyle = buy ? COLORS.buy : COLORS.sell;
    ctx.beginPath();
    if (buy) { ctx.moveTo(x, y + 2); ctx.lineTo(x - 5, y + 10); ctx.lineTo(x + 5, y + 10); }
    else { ctx.moveTo(x, y - 2); ctx.lineTo(x - 5, y - 10); ctx.lineTo(x + 5, y - 10); }
    ctx.closePath();
    ctx.fill();
  }
  canvas.dataset.points = String(prices.length);
  canvas.dataset.trades = String((chart.trades || []).length);
  canvas.dataset.faults = String((chart.faults || []).length);
}

async function stopRun() {
  const testId = scenarioState.run;
  if (!testId) return;
  try {
    await api(`/api/stop/${encodeURIComponent(testId)}`, { method: "POST" });
  } catch (error) {
    showRunError(errorText(error));
  }
  pollRun(testId);
}

pages.scenarios = {
  enter() { loadScenarios(); if (scenarioState.lastChart) drawPriceChart(scenarioState.lastChart); },
};

// -- risk ------------------------------------------------------------------------------

const riskState = { page: 1, pages: 1 };

async function loadRisk() {
  await Promise.all([loadRiskState(), loadPnl(), loadLockouts(), loadViolations(), loadAudit()]);
}

async function loadRiskState() {
  const node = $("risk-state");
  try {
    const state = await api("/api/risk/state");
    node.replaceChildren(
      el("div", { class: "state-line" }, badge(state.state, `state-${String(state.state).toLowerCase()}`),
        el("span", { class: "muted", text: ` account ${state.account} · from the ${state.source}` })),
      el("dl", { class: "facts" },
        el("dt", { text: "account locked" }), el("dd", { text: state.account_locked ? "yes" : "no" }),
        el("dt", { text: "active lockouts" }), el("dd", { text: String(state.active_lockouts) }),
        el("dt", { text: "locked symbols" }), el("dd", { text: state.locked_symbols.join(", ") || "none" }),
        el("dt", { text: "rules" }), el("dd", { class: "small", text: state.rules.join(", ") || "none hosted" })));
  } catch (error) {
    node.replaceChildren(el("p", { class: "error-text", text: errorText(error) }));
  }
}

async function loadPnl() {
  const node = $("risk-pnl");
  try {
    const pnl = await api("/api/risk/pnl");
    const net = Number(pnl.net);
    node.replaceChildren(...[
      el("div", { class: `big ${net < 0 ? "bad" : net > 0 ? "good" : ""}`, text: fmtNumber(net, 2) }),
      el("p", { class: "muted", text: `${pnl.account} · ${pnl.trading_day} · realized ${fmtNumber(pnl.realized)} · fees ${fmtNumber(pnl.fees)} · ${pnl.trade_count} trades` }),
      pnl.by_symbol.length ? el("table", { class: "table compact" },
        el("tbody", {}, pnl.by_symbol.map((s) => el("tr", {}, el("td", { text: s.symbol }),
          el("td", { text: fmtNumber(s.realized) }), el("td", { text: `${s.trade_count} trades` }))))) : null,
    ].filter(Boolean));
  } catch (error) {
    node.replaceChildren(el("p", { class: "error-text", text: errorText(error) }));
  }
}

async function loadLockouts() {
  try {
    const all = $("lockouts-all").checked ? "?all=true" : "";
    const rows = await api(`/api/risk/lockouts${all}`);
    table($("lockout-table"), ["id", "scope", "target", "rule", "kind", "reason", "since", "until", "state"],
      rows.map((l) => [String(l.id ?? "–"), l.scope, l.target, l.rule, l.kind, l.reason, fmtNs(l.started_at),
        l.until ? fmtNs(l.until) : "reset", l.active ? badge("active", "failed") : badge(l.cleared_by ? `cleared by ${l.cleared_by}` : "ended", "stopped")]),
      "no lockout");
  } catch (error) {
    table($("lockout-table"), ["error"], [[errorText(error)]]);
  }
}

async function loadViolations() {
  try {
    const page = await api(`/api/risk/violations?page=${riskState.page}&size=10`);
    riskState.pages = Math.max(1, Math.ceil(page.total / page.size));
    $("violation-count").textContent = String(page.total);
    $("violations-page").textContent = `page ${page.page} of ${riskState.pages}`;
    $("violations-prev").disabled = page.page <= 1;
    $("violations-next").disabled = page.page >= riskState.pages;
    table($("violation-table"), ["time", "rule", "action", "symbol", "reason"],
      page.items.map((v) => [fmtNs(v.ts), v.rule, v.action, v.symbol || "–", el("code", { text: v.reason })]),
      "no violation");
  } catch (error) {
    table($("violation-table"), ["error"], [[errorText(error)]]);
  }
}

/** The badge style of an audit outcome: refusals and failures red, no-ops neutral. */
function outcomeKind(outcome) {
  if (/token|denied|refused|fail|error|invalid|rejected/i.test(outcome)) return "failed";
  if (/nothing|skipped|noop/i.test(outcome)) return "stopped";
  return "passed";
}

async function loadAudit() {
  try {
    const rows = await api("/api/risk/audit?limit=15");
    table($("audit-table"), ["time", "actor", "action", "outcome"],
      rows.map((a) => [fmtNs(a.ts), a.actor, a.action, badge(a.outcome, outcomeKind(a.outcome))]),
      "no audit entry");
  } catch (error) {
    table($("audit-table"), ["error"], [[errorText(error)]]);
  }
}

async function submitUnlock(event) {
  event.preventDefault();
  const result = $("unlock-result");
  const id = $("unlock-id").value.trim();
  const rule = $("unlock-rule").value.trim();
  const token = $("unlock-token").value;
  const body = {};
  if (id) body.lockout_id = Number(id);
  if (rule) body.rule = rule;
  const headers = token ? { "X-Admin-Token": token } : {};
  result.className = "result";
  result.textContent = "…";
  try {
    const outcome = await api("/api/risk/unlock", { method: "POST", body, headers });
    result.className = "result ok";
    result.textContent = `cleared ${outcome.cleared.length ? outcome.cleared.join(", ") : "nothing"}` +
      (outcome.refused.length ? ` · refused ${outcome.refused.join(", ")}` : "");
  } catch (error) {
    result.className = "result refused";
    result.replaceChildren(el("strong", { text: `Refused (${error.status || "error"}) ` }),
      el("code", { text: error.code || "" }), el("div", { text: error.message }));
  }
  loadRisk();
}

pages.risk = { enter() { loadRisk(); } };

// -- event flow ------------------------------------------------------------------------

async function loadFlowScenarios() {
  const select = $("flow-scenario");
  if (select.options.length) return;
  try {
    const list = await api("/api/scenarios");
    for (const s of list.filter((x) => x.valid)) select.append(el("option", { value: s.name, text: s.title || s.name }));
    const flash = list.find((s) => s.name.startsWith("flash_crash_recovery"));
    if (flash) select.value = flash.name;
  } catch (_) { /* the graph request reports it */ }
}

let flowRequest = 0; // only the latest graph request may draw (an older one can answer last)

async function drawFlow(event) {
  if (event) event.preventDefault();
  const ticket = ++flowRequest;
  const holder = $("flow-graph");
  holder.replaceChildren(el("p", { class: "muted", text: "building the graph from the bus…" }));
  const source = $("flow-source").value;
  const query = source === "desk" ? "?source=desk" : `?scenario=${encodeURIComponent($("flow-scenario").value || "flash_crash_recovery")}`;
  try {
    const flow = await api(`/api/eventflow${query}`);
    if (ticket !== flowRequest) return;
    $("flow-caption").textContent = `${flow.nodes.length} nodes, ${flow.edges.length} edges, read from the bus's registry of ` +
      (flow.source === "desk" ? "the service's live bus" : `the world of “${flow.scenario}”`);
    holder.replaceChildren(flowSvg(flow));
  } catch (error) {
    if (ticket === flowRequest) holder.replaceChildren(el("p", { class: "error-text", text: errorText(error) }));
  }
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Components on the left (what they publish) and on the right (what they consume), the
 *  messages in between, ordered by the mean row of their neighbours to limit crossings. */
function flowSvg(flow) {
  const components = flow.nodes.filter((n) => n.kind === "component");
  const messages = flow.nodes.filter((n) => n.kind !== "component");
  const publishes = flow.edges.filter((e) => e.kind === "publishes");
  const consumes = flow.edges.filter((e) => e.kind !== "publishes");
  const order = (nodes, key) => nodes.slice().sort((a, b) => key(a) - key(b) || a.label.localeCompare(b.label));
  let compRow = new Map(components.map((c, i) => [c.id, i]));
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 1e9);
  let msgs = messages;
  for (let pass = 0; pass < 3; pass += 1) {
    msgs = order(msgs, (m) => mean(flow.edges.filter((e) => e.source === m.id || e.target === m.id)
      .map((e) => compRow.get(e.source === m.id ? e.target : e.source)).filter((v) => v !== undefined)));
    const msgRow = new Map(msgs.map((m, i) => [m.id, i]));
    const comps = order(components, (c) => mean(flow.edges.filter((e) => e.source === c.id || e.target === c.id)
      .map((e) => msgRow.get(e.source === c.id ? e.target : e.source)).filter((v) => v !== undefined)));
    compRow = new Map(comps.map((c, i) => [c.id, i]));
  }
  const comps = components.slice().sort((a, b) => compRow.get(a.id) - compRow.get(b.id));
  const rowH = 22, top = 36;
  const height = Math.max(msgs.length, comps.length * 1.6) * rowH + top + 16;
  const width = 1100, compW = 190, msgW = 230;
  const leftX = 10, midX = (width - msgW) / 2, rightX = width - compW - 10;
  const compGap = (height - top - 16) / Math.max(comps.length, 1);
  const compY = new Map(comps.map((c, i) => [c.id, top + i * compGap + compGap / 2]));
  const msgGap = (height - top - 16) / Math.max(msgs.length, 1);
  const msgY = new Map(msgs.map((m, i) => [m.id, top + i * msgGap + msgGap / 2]));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", class: "flow-svg", role: "img" });
  root.append(svg("text", { x: leftX, y: 18, class: "col-title" }, "publishers"),
    svg("text", { x: midX, y: 18, class: "col-title" }, "messages"),
    svg("text", { x: rightX, y: 18, class: "col-title" }, "consumers / handlers"));
  const edgeLayer = svg("g", { class: "edges" });
  root.append(edgeLayer);
  const curve = (x1, y1, x2, y2) => `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
  for (const e of publishes) {
    if (!compY.has(e.source) || !msgY.has(e.target)) continue;
    edgeLayer.append(svg("path", { d: curve(leftX + compW, compY.get(e.source), midX, msgY.get(e.target)),
      class: "edge pub", "data-a": e.source, "data-b": e.target }));
  }
  for (const e of consumes) {
    if (!msgY.has(e.source) || !compY.has(e.target)) continue;
    edgeLayer.append(svg("path", { d: curve(midX + msgW, msgY.get(e.source), rightX, compY.get(e.target)),
      class: `edge con ${e.kind}`, "data-a": e.source, "data-b": e.target }));
  }
  const highlight = (id, on) => {
    root.classList.toggle("focus", on);
    for (const path of edgeLayer.children) {
      const hit = path.dataset.a === id || path.dataset.b === id;
      path.classList.toggle("hot", on && hit);
    }
  };
  const box = (node, x, y, w, cls) => {
    const g = svg("g", { class: `node ${cls}`, "data-id": node.id });
    g.append(svg("rect", { x, y: y - 9, width: w, height: 18, rx: 4 }));
    const label = node.kind === "any" ? "* (every message)" : node.label;
    g.append(svg("text", { x: x + 8, y: y + 4 }, label.length > 30 ? `${label.slice(0, 29)}…` : label));
    g.append(svg("title", {}, `${node.label} (${node.kind})`));
    g.addEventListener("mouseenter", () => highlight(node.id, true));
    g.addEventListener("mouseleave", () => highlight(node.id, false));
    return g;
  };
  for (const c of comps) {
    root.append(box(c, leftX, compY.get(c.id), compW, "component"));
    root.append(box(c, rightX, compY.get(c.id), compW, "component"));
  }
  for (const m of msgs) root.append(box(m, midX, msgY.get(m.id), msgW, m.kind));
  return root;
}

pages.eventflow = {
  enter() { loadFlowScenarios().then(() => { if (!$("flow-graph").children.length) drawFlow(); }); },
};

// -- recordings ------------------------------------------------------------------------

const replay = { name: null, events: [], header: {}, index: 0, timer: null, playing: false, started: 0, base: 0 };

async function loadRecordings() {
  const list = $("recording-list");
  try {
    const rows = await api("/api/recordings");
    $("recording-count").textContent = String(rows.length);
    if (!rows.length) {
      list.replaceChildren(el("li", { class: "muted", text: "no recording yet" }));
      return;
    }
    rows.sort((a, b) => b.modified - a.modified);
    list.replaceChildren(...rows.map((r) => el("li", {
      class: r.name === replay.name ? "selected" : "", "data-name": r.name, onclick: () => openRecording(r.name),
    }, el("span", { class: "item-title", text: r.scenario || r.name }),
    el("span", { class: "item-sub", text: `${r.name} · ${fmtNumber(r.events, 0)} events · ${fmtNumber(r.size / 1024, 1)} KiB` }))));
  } catch (error) {
    list.replaceChildren(el("li", { class: "error-text", text: errorText(error) }));
  }
}

async function openRecording(name) {
  pauseReplay();
  try {
    const data = await api(`/api/recordings/${encodeURIComponent(name)}?limit=5000`);
    replay.name = name;
    replay.events = data.events;
    replay.header = data.header || {};
    replay.index = 0;
    $("recording-title").textContent = replay.header.scenario || name;
    $("recording-meta").textContent = `${name} · ${data.total} events` +
      (data.total > data.events.length ? ` (first ${data.events.length} shown)` : "") +
      (replay.header.seed !== undefined ? ` · seed ${replay.header.seed}` : "");
    for (const id of ["replay-play", "replay-reset"]) $(id).disabled = false;
    renderTimelineTable();
    drawTimeline();
    loadRecordings();
  } catch (error) {
    $("recording-meta").textContent = errorText(error);
  }
}

/** Timeline lanes: the first pattern an event's name matches decides its lane and colour. */
const LANES = [
  { label: "faults", re: /Fail|Denied|Reject|Violat|Lock|Error|Halt|Fault|Chaos|Outage/, color: "#f85149" },
  { label: "fills", re: /Purchased|Sold|Filled|Position/, color: "#3fb950" },
  { label: "orders", re: /Order|Cancel/, color: "#bc8cff" },
  { label: "market", re: /Price|Indicator|Bar|Candle|Tick|Quote/, color: "#58a6ff" },
  { label: "bot", re: /./, color: "#8b949e" },
];
const laneOf = (name) => LANES.findIndex((lane) => lane.re.test(name));
const colorOf = (name) => LANES[laneOf(name)].color;

function drawTimeline() {
  const canvas = $("timeline-chart");
  const { ctx, width, height } = canvasContext(canvas, 130);
  const events = replay.events;
  ctx.font = "12px system-ui, sans-serif";
  if (!events.length) {
    ctx.fillStyle = COLORS.muted;
    ctx.fillText(replay.name ? "this recording is empty" : "pick a recording", 12, height / 2);
    return;
  }
  const left = 64, right = 12, bottom = 22;
  const t0 = events[0].t, t1 = Math.max(events[events.length - 1].t, t0 + 1e-9);
  const X = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const laneH = (height - bottom - 4) / LANES.length;
  LANES.forEach((lane, i) => {
    ctx.fillStyle = lane.color;
    ctx.fillText(lane.label, 8, 4 + i * laneH + laneH / 2 + 4);
    ctx.fillStyle = "rgba(48, 54, 61, 0.5)";
    ctx.fillRect(left, 4 + i * laneH + laneH - 1, width - left - right, 1);
  });
  for (let i = 0; i < events.length; i += 1) {
    const e = events[i];
    const lane = laneOf(e.event);
    ctx.fillStyle = i < replay.index ? LANES[lane].color : "rgba(139,148,158,0.3)";
    ctx.fillRect(X(e.t) - 1, 6 + lane * laneH, 2, laneH - 5);
  }
  if (replay.index > 0) {
    const x = X(events[Math.min(replay.index, events.length) - 1].t);
    ctx.strokeStyle = "#f0f6fc";
    ctx.beginPath(); ctx.moveTo(x, 2); ctx.lineTo(x, height - bottom); ctx.stroke();
  }
  ctx.fillStyle = COLORS.muted;
  ctx.fillText(`${fmtClock(t0)}`, left, height - 6);
  const end = fmtClock(t1);
  ctx.fillText(end, width - right - ctx.measureText(end).width, height - 6);
}

function renderTimelineTable() {
  table($("timeline-table"), ["#", "t", "cycle", "event", "summary"],
    replay.events.map((e) => [String(e.index), fmtClock(e.t), String(e.cycle),
      el("span", { class: "event-name", style: `color:${colorOf(e.event)}`, text: e.event }), el("span", { class: "small", text: e.summary })]),
    "no event");
  updateReplayView();
}

function updateReplayView() {
  const total = replay.events.length;
  $("replay-bar").style.width = total ? `${(replay.index / total) * 100}%` : "0";
  const last = replay.index ? replay.events[replay.index - 1] : null;
  $("replay-clock").textContent = last
    ? `t = ${fmtClock(last.t)} · event ${replay.index} of ${total} · ${last.event}`
    : `t = 0:00 · ${total} events`;
  const rows = $("timeline-table").tBodies[0] ? $("timeline-table").tBodies[0].rows : [];
  for (let i = 0; i < rows.length; i += 1) rows[i].classList.toggle("played", i < replay.index);
  if (replay.index && rows[replay.index - 1]) {
    rows[replay.index - 1].scrollIntoView({ block: "nearest" });
  }
}

function playReplay() {
  if (!replay.events.length) return;
  if (replay.index >= replay.events.length) replay.index = 0;
  replay.playing = true;
  replay.started = performance.now();
  replay.base = replay.index ? replay.events[replay.index - 1].t : replay.events[0].t;
  $("replay-play").disabled = true;
  $("replay-pause").disabled = false;
  stepReplay();
}

function stepReplay() {
  if (!replay.playing) return;
  const speed = Number($("replay-speed").value);
  const events = replay.events;
  if (speed === 0) replay.index = events.length;
  else {
    const now = replay.base + ((performance.now() - replay.started) / 1000) * speed;
    while (replay.index < events.length && events[replay.index].t <= now) replay.index += 1;
  }
  updateReplayView();
  drawTimeline();
  if (replay.index >= events.length) { pauseReplay(); return; }
  replay.timer = setTimeout(stepReplay, 50);
}

function pauseReplay() {
  replay.playing = false;
  clearTimeout(replay.timer);
  $("replay-play").disabled = !replay.events.length;
  $("replay-pause").disabled = true;
}

function resetReplay() {
  pauseReplay();
  replay.index = 0;
  updateReplayView();
  drawTimeline();
}

pages.recordings = { enter() { loadRecordings(); drawTimeline(); }, leave() { pauseReplay(); } };

// -- predictions -----------------------------------------------------------------------

async function loadMarkets() {
  const select = $("predict-market");
  if (select.options.length > 1) return;
  try {
    for (const name of await api("/api/v1/predictions/markets")) select.append(el("option", { value: name, text: name }));
  } catch (_) { /* the prediction request reports errors */ }
}

const ARROW = { up: "▲", down: "▼", flat: "▬" };

function renderPrediction(p) {
  $("prediction-card").hidden = false;
  $("prediction-title").replaceChildren(
    el("span", { class: `dir ${p.direction}`, text: `${ARROW[p.direction]} ${p.direction}` }),
    ` ${p.pair} over ${p.horizon_days} d · confidence ${fmtNumber(p.confidence * 100, 0)} % · target ${fmtNumber(p.target_price, 2)} (${p.expected_move_pct >= 0 ? "+" : ""}${fmtNumber(p.expected_move_pct, 2)} %)`);
  $("prediction-agents").replaceChildren(...p.agents.map((a) => el("div", { class: "agent", "data-agent": a.agent },
    el("div", { class: "agent-head" }, el("span", { class: "agent-name", text: a.agent.replaceAll("_", " ") }),
      el("span", { class: "small muted", text: `weight ${fmtNumber(a.weight, 2)}` })),
    el("div", { class: "bar" }, el("div", { class: `fill ${a.score < 0 ? "neg" : "pos"}`,
      style: `left:${a.score < 0 ? 50 + a.score * 50 : 50}%;width:${Math.abs(a.score) * 50}%` })),
    el("div", { class: "agent-call" }, el("span", { class: `dir ${a.direction}`, text: `${ARROW[a.direction]} ${a.direction}` }),
      ` score ${fmtNumber(a.score, 2)} · confidence ${fmtNumber(a.confidence, 2)}`),
    el("div", { class: "small muted", text: Object.entries(a.details).map(([k, v]) => `${k.replaceAll("_", " ")} ${typeof v === "number" ? fmtNumber(v, 4) : v}`).join(" · ") }))));
  $("prediction-caption").textContent = `${p.source} · ${p.candles_used} daily candles · agreement ${fmtNumber(p.agreement, 2)} · ` +
    `P(up) ${fmtNumber(p.probability_up, 2)} · last close ${fmtNumber(p.last_close, 2)} · id ${p.id}`;
}

async function loadPredictions() {
  try {
    const rows = await api("/api/v1/predictions?limit=20");
    table($("prediction-table"), ["created", "pair", "days", "direction", "confidence", "target"],
      rows.map((p) => [p.created_at.replace("T", " ").slice(0, 19), p.pair, String(p.horizon_days),
        el("span", { class: `dir ${p.direction}`, text: `${ARROW[p.direction]} ${p.direction}` }),
        fmtNumber(p.confidence, 2), fmtNumber(p.target_price, 2)]), "no prediction stored yet");
  } catch (error) {
    table($("prediction-table"), ["error"], [[errorText(error)]]);
  }
}

async function submitPrediction(event) {
  event.preventDefault();
  const result = $("predict-result");
  const body = { pair: $("predict-pair").value.trim(), horizon_days: Number($("predict-horizon").value) };
  if ($("predict-market").value) body.market = $("predict-market").value;
  if ($("predict-seed").value.trim() !== "") body.seed = Number($("predict-seed").value);
  result.className = "result";
  result.textContent = "…";
  try {
    const prediction = await api("/api/v1/predictions", { method: "POST", body });
    result.className = "result ok";
    result.textContent = `stored as ${prediction.id}`;
    renderPrediction(prediction);
  } catch (error) {
    result.className = "result refused";
    result.replaceChildren(el("code", { text: error.code || "error" }), el("div", { text: error.message }));
  }
  loadPredictions();
}

pages.predictions = { enter() { loadMarkets(); loadPredictions(); } };

// -- wiring ----------------------------------------------------------------------------

function init() {
  $("scenario-filter").addEventListener("input", renderScenarioList);
  $("run-form").addEventListener("submit", startRun);
  $("stop-button").addEventListener("click", stopRun);
  $("unlock-form").addEventListener("submit", submitUnlock);
  $("lockouts-all").addEventListener("change", loadLockouts);
  $("violations-prev").addEventListener("click", () => { riskState.page = Math.max(1, riskState.page - 1); loadViolations(); });
  $("violations-next").addEventListener("click", () => { riskState.page = Math.min(riskState.pages, riskState.page + 1); loadViolations(); });
  $("flow-form").addEventListener("submit", drawFlow);
  $("replay-play").addEventListener("click", playReplay);
  $("replay-pause").addEventListener("click", pauseReplay);
  $("replay-reset").addEventListener("click", resetReplay);
  $("predict-form").addEventListener("submit", submitPrediction);
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => {
    if (currentPage === "scenarios" && scenarioState.lastChart) drawPriceChart(scenarioState.lastChart);
    if (currentPage === "recordings") drawTimeline();
  });
  refreshHealth();
  setInterval(refreshHealth, 5000);
  route();
}

document.addEventListener("DOMContentLoaded", init);
