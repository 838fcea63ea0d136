// The bookkeeping page: a sentence (typed or spoken) -> POST /v1/apps/expenses -> the reply;
// the ledger below, filtered by month and category, with totals drawn as SVG. Any value of
// a row is corrected in place (PATCH .../rows/ID: the ledger's own correct tool), and Undo
// calls the ledger's undo tool.
import { api, ApiFailure, clear, colour, h, hbars, money, num, onResize, vbars } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const state = { meta: null, rows: [], totals: null, month: null, category: "", fresh: null, speech: null, showAll: false };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const monthName = (m) => `${MONTHS[Number(m.slice(5, 7)) - 1]} ${m.slice(0, 4)}`;

// -- the ledger ------------------------------------------------------------------------
async function load() {
  const q = new URLSearchParams();
  if (state.month) q.set("month", state.month);
  if (state.category) q.set("category", state.category);
  let data;
  try {
    data = await api(`/v1/apps/expenses/rows?${q}`);
  } catch (e) {
    clear($("summary"), h("div", { class: "error" }, `Could not load the ledger: ${e.message}`));
    return;
  }
  const first = !state.meta;
  state.meta = data;
  state.rows = data.rows;
  state.totals = data.totals;
  if (first && state.month === null) { state.month = data.today.slice(0, 7); return load(); }
  fillFilters(data);
  drawSummary(data);
  drawCharts();
  drawTable();
}

function fillFilters(data) {
  const months = data.months.includes(state.month) || !state.month ? data.months : [state.month, ...data.months];
  clear($("month"), h("option", { value: "" }, "All months"),
    months.map((m) => h("option", { value: m, selected: m === state.month }, monthName(m))));
  clear($("category"), h("option", { value: "" }, "All categories"),
    data.categories.map((c) => h("option", { value: c, selected: c === state.category }, c)));
}

function drawSummary(data) {
  const t = data.totals, main = t.by_currency[t.currency] || 0;
  const others = Object.entries(t.by_currency).filter(([c]) => c !== t.currency);
  const scope = [state.month ? monthName(state.month) : "All months", state.category].filter(Boolean).join(" · ");
  clear($("summary"),
    h("span", { class: "total", id: "total" }, money(main, t.currency)),
    h("span", { class: "muted" }, `${data.count} expense${data.count === 1 ? "" : "s"} · ${scope}`),
    others.length ? h("span", { class: "other" }, "+ " + others.map(([c, v]) => money(v, c)).join(", ") +
                      " (not in the charts)") : null);
  $("empty").classList.toggle("hidden", data.count > 0);
}

function drawCharts() {
  const t = state.totals, cats = state.meta.categories;
  const catBox = $("chart-category"), timeBox = $("chart-time");
  const fmt = (v) => num(Math.round(v));
  const w1 = catBox.clientWidth || 320, w2 = timeBox.clientWidth || 320;
  const items = t.by_category.map((c) => ({ label: c.category, value: c.amount, cls: colour(cats.indexOf(c.category)),
                                            note: `${c.count} expense${c.count === 1 ? "" : "s"}` }));
  clear(catBox, items.length ? hbars(items, w1, fmt) : h("p", { class: "muted small" }, "Nothing to draw."));
  const today = state.meta.today;
  const periods = t.by_period.map((p, i) => state.month
    ? { label: p.period, value: p.amount, highlight: p.period === today,
        tick: (i === 0 || (i + 1) % 5 === 0) ? String(i + 1) : "" }
    : { label: monthName(p.period), value: p.amount, tick: MONTHS[Number(p.period.slice(5, 7)) - 1] });
  $("time-caption").textContent = state.month ? `By day · ${t.currency}` : `By month · ${t.currency}`;
  clear(timeBox, periods.length ? vbars(periods, w2, 150, fmt) : h("p", { class: "muted small" }, "Nothing to draw."));
}

const PAGE = 200; // rows drawn at first; "Show all" draws the rest

function drawTable() {
  const body = $("rows").tBodies[0];
  const all = [...state.rows].reverse(); // newest first
  const rows = state.showAll ? all : all.slice(0, PAGE);
  const more = $("more");
  more.classList.toggle("hidden", rows.length === all.length);
  more.textContent = `Show all ${all.length} expenses`;
  clear(body, rows.map((r) => h("tr", { dataset: { id: r.id }, class: r.id === state.fresh ? "fresh" : null },
    h("td", { class: "date" }, editable(r, "date")),
    h("td", { class: "num amount", dataset: { currency: r.currency } }, editable(r, "amount")),
    h("td", { class: "currency" }, editable(r, "currency")),
    h("td", { class: "category" },
      h("span", { class: `dot ${colour(state.meta.categories.indexOf(r.category))}` }), editable(r, "category")),
    h("td", { class: "merchant" }, editable(r, "merchant")),
    h("td", { class: "note", title: r.note || "" }, r.note || ""),
    h("td", { class: "num id" }, `#${r.id}`))));
}

// -- inline correction -----------------------------------------------------------------
// A value shown as a button; a tap swaps in an input (or a select for the category);
// Enter, a change or leaving the field saves it; Escape puts the old value back.
function editable(row, field, onSaved = rowChanged) {
  const shown = field === "amount" ? num(row[field]) : row[field];
  const button = h("button", { type: "button", class: shown ? "value" : "value empty", dataset: { field, id: row.id },
                               title: `Correct the ${field}`, "aria-label": `${field}: ${shown || "none"} (tap to correct)` },
                   shown || "none");
  button.addEventListener("click", () => {
    let input;
    if (field === "category") {
      input = h("select", {}, state.meta.categories.map((c) => h("option", { value: c, selected: c === row.category }, c)));
    } else {
      const kind = { date: "date", amount: "text" }[field] || "text";
      input = h("input", { type: kind, value: field === "amount" ? String(row.amount) : (row[field] || ""),
                           inputmode: field === "amount" ? "decimal" : null, maxlength: field === "currency" ? 3 : 60,
                           autocapitalize: field === "currency" ? "characters" : null });
    }
    input.dataset.field = field;
    input.classList.add("editor");
    let done = false;
    const finish = async (save) => {
      if (done) return;
      done = true;
      const value = input.value.trim();
      const before = field === "amount" ? String(row.amount) : (row[field] || "");
      if (!save || value === before || (field !== "merchant" && !value)) { input.replaceWith(button); return; }
      input.disabled = true;
      try {
        const r = await api(`/v1/apps/expenses/rows/${row.id}`, { method: "PATCH", json: { field, value } });
        onSaved(r.expense, field);
      } catch (e) {
        input.replaceWith(button);
        showProblem(`Could not correct #${row.id}: ${e.message}`);
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); finish(true); }
      if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
    if (input.tagName === "SELECT") input.addEventListener("change", () => finish(true));
    button.replaceWith(input);
    input.focus();
    if (input.select) input.select();
  });
  return button;
}

function rowChanged(expense, field) {
  state.fresh = expense.id;
  const card = document.querySelector(`#reply .expense[data-id="${expense.id}"]`);
  if (card) {
    card.replaceWith(expenseCard(expense, false, field));
    const said = document.querySelector("#reply .message");  // the reply's sentence is out of date now
    if (said) said.textContent = `Corrected #${expense.id}: ${field} → ${field === "amount" ? num(expense[field]) : expense[field] ?? "none"}`;
  }
  load();
}

// -- the reply ---------------------------------------------------------------------------
function expenseCard(e, removed = false, savedField = null) {
  const fields = state.meta ? state.meta.fields : ["date", "amount", "currency", "category", "merchant"];
  const card = h("div", { class: removed ? "expense removed" : "expense", dataset: { id: e.id } },
    fields.map((f) => h("div", { class: `field ${f}` }, h("span", {}, f),
      removed ? h("span", { class: "value" }, f === "amount" ? num(e[f]) : (e[f] || "none")) : editable(e, f))),
    h("div", { class: "expense-actions" },
      h("span", { class: "muted small" }, `#${e.id}${e.note ? " · “" + e.note + "”" : ""}`,
        removed ? null : h("span", { class: "tip" }, " · tap a value to correct it")),
      removed ? null : h("button", { type: "button", class: "undo", onclick: undo }, "Undo")));
  if (savedField) card.querySelector(`.value[data-field="${savedField}"]`)?.classList.add("saved");
  return card;
}

function showReply(text, r) {
  const parts = [h("div", { class: "said" }, h("span", { class: `badge ${r.intent === "ask" ? "accent" : "good"}` }, r.intent),
                                            text ? h("span", { class: "you" }, `“${text}”`) : null)];
  const sorry = r.intent !== "ask" && !r.expense;
  if (r.intent === "ask" && r.rows && r.rows.length === 1 && r.rows[0].length === 1) {
    parts.push(h("div", { class: "answer-value" }, num(r.rows[0][0])));
  } else if (!(r.intent === "ask" && r.rows && r.rows.length)) { // a table of rows speaks for itself
    parts.push(h("div", { class: sorry ? "message sorry" : "message" }, r.message));
  }
  if (r.expense) parts.push(expenseCard(r.expense, r.intent === "undo" && !state.rows.some((x) => x.id === r.expense.id)));
  if (r.intent === "ask") {
    if (r.sql) parts.push(h("details", { class: "sql", open: true }, h("summary", {}, "SQL"), h("pre", { class: "sql" }, h("code", {}, r.sql))));
    if (r.rows && r.rows.length) {
      const cols = r.columns && r.columns.length ? r.columns : r.rows[0].map((_, i) => `col ${i + 1}`);
      parts.push(h("div", { class: "table-wrap" }, h("table", { class: "result" },
        h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, c)))),
        h("tbody", {}, r.rows.slice(0, 200).map((row) => h("tr", {}, row.map((v) =>
          h("td", { class: typeof v === "number" ? "num" : null }, v === null ? "NULL" : num(v)))))))));
      if (r.rows.length > 200) parts.push(h("p", { class: "muted small" }, `First 200 of ${r.rows.length} rows.`));
    }
  }
  clear($("reply"), parts);
}

function showProblem(message) {
  clear($("reply"), h("div", { class: "error" }, message));
}

async function send(text) {
  text = text.trim();
  if (!text) return;
  const button = $("send");
  button.disabled = true;
  clear($("reply"), h("div", { class: "said" }, h("span", { class: "you" }, `“${text}”`)), h("div", { class: "thinking" }, "Working"));
  try {
    const r = await api("/v1/apps/expenses", { method: "POST", json: { text } });
    if (r.expense && r.intent !== "ask") {
      state.fresh = r.expense.id;
      const m = r.expense.date.slice(0, 7);
      if (r.intent === "record" && state.month && state.month !== m) state.month = m; // show where it went
    }
    await load();
    showReply(text, r);
    $("text").value = "";
  } catch (e) {
    showProblem(e instanceof ApiFailure ? e.message : `The server did not answer: ${e.message}`);
  } finally {
    button.disabled = false;
  }
}

async function undo() {
  try {
    const r = await api("/v1/apps/expenses/undo", { method: "POST" });
    const e = r.expense;
    const message = r.undid === "record" ? `Undone: removed #${e.id} (${money(e.amount, e.currency)}).`
                                          : `Undone: #${e.id} restored.`;
    state.fresh = r.undid === "record" ? null : e.id;
    await load();
    showReply("", { intent: "undo", message, expense: e });
  } catch (err) {
    showProblem(err.message);
  }
}

async function exportCsv() {
  const q = new URLSearchParams();
  if (state.month) q.set("month", state.month);
  if (state.category) q.set("category", state.category);
  try {
    const res = await api(`/v1/apps/expenses/export.csv?${q}`, { raw: true });
    const name = (res.headers.get("content-disposition") || "").match(/filename="([^"]+)"/)?.[1] || "ledger.csv";
    const url = URL.createObjectURL(await res.blob());
    const a = h("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    showProblem(`Could not export: ${e.message}`);
  }
}

// -- hold to speak -------------------------------------------------------------------------
// MediaRecorder while the button is held; on release the clip goes to the server's
// OpenAI-compatible /v1/audio/transcriptions and its text is sent like typed text.
function hint(text, warn = false) {
  const el = $("hint");
  el.textContent = text;
  el.classList.toggle("warn", warn);
}

async function speechAvailable() {
  try {
    const spec = await api("/openapi.json");
    return Boolean(spec.paths && spec.paths["/v1/audio/transcriptions"]);
  } catch {
    return false;
  }
}

const MAX_SECONDS = 60; // one spoken expense or question; the server refuses clips over its --max-audio-s

function setupMic() {
  const mic = $("mic");
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    mic.disabled = true;
    mic.title = "Speech needs a secure page: open it as http://localhost or over https.";
    return;
  }
  let recorder = null, chunks = [], started = 0, holding = false, timer = null;
  const start = async (e) => {
    e.preventDefault();
    if (state.speech === false) { hint("This server has no speech endpoint: type instead.", true); return; }
    if (holding || mic.classList.contains("busy")) return;
    holding = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      holding = false;
      hint(`No microphone: ${err.message}. Type instead.`, true);
      return;
    }
    if (!holding) { stream.getTracks().forEach((t) => t.stop()); return; } // released already
    chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (ev) => { if (ev.data.size) chunks.push(ev.data); };
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
      if (performance.now() - started < 400 || !blob.size) { hint("Hold the button while you speak."); return; }
      transcribe(blob);
    };
    started = performance.now();
    recorder.start();
    mic.classList.add("recording");
    const tick = () => {
      const s = (performance.now() - started) / 1000;
      hint(`Listening… ${s.toFixed(1)} s — release to send.`);
      if (s >= MAX_SECONDS) stop(); // under the server's audio length cap
    };
    tick();
    timer = setInterval(tick, 200);
  };
  const stop = () => {
    clearInterval(timer);
    holding = false;
    mic.classList.remove("recording");
    if (recorder && recorder.state === "recording") recorder.stop();
  };
  mic.addEventListener("pointerdown", start);
  for (const ev of ["pointerup", "pointerleave", "pointercancel"]) mic.addEventListener(ev, stop);
  mic.addEventListener("keydown", (e) => { if ((e.key === " " || e.key === "Enter") && !e.repeat) start(e); });
  mic.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") stop(); });
  mic.addEventListener("contextmenu", (e) => e.preventDefault());
}

async function transcribe(blob) {
  const mic = $("mic");
  mic.classList.add("busy");
  hint("Transcribing…");
  const form = new FormData();
  const ext = (blob.type.split("/")[1] || "webm").split(";")[0];
  form.append("file", blob, `speech.${ext}`);
  form.append("model", "whisper-1");
  try {
    const r = await api("/v1/audio/transcriptions", { method: "POST", body: form });
    const text = (r.text || "").trim();
    if (!text) { hint("Heard nothing: try again, a little closer.", true); return; }
    hint(`Heard: “${text}”`);
    $("text").value = text;
    await send(text);
  } catch (e) {
    if (e.status === 404) { state.speech = false; mic.classList.add("off"); }
    hint(e.status === 404 ? "This server has no speech endpoint: type instead." : `Speech failed: ${e.message}`, true);
  } finally {
    mic.classList.remove("busy");
  }
}

// -- start ---------------------------------------------------------------------------------
$("say").addEventListener("submit", (e) => { e.preventDefault(); send($("text").value); });
$("month").addEventListener("change", (e) => { state.month = e.target.value; state.showAll = false; load(); });
$("category").addEventListener("change", (e) => { state.category = e.target.value; state.showAll = false; load(); });
$("undo").addEventListener("click", undo);
$("more").addEventListener("click", () => { state.showAll = true; drawTable(); });
$("export").addEventListener("click", exportCsv);
setupMic();
load().then(() => {
  for (const id of ["chart-category", "chart-time"]) onResize($(id), () => state.totals && drawCharts());
  document.body.dataset.ready = "1"; // for tests: the first ledger is drawn
});
speechAvailable().then((ok) => {
  state.speech = ok;
  if (!ok) { $("mic").classList.add("off"); $("mic").title = "This server has no speech endpoint: type instead."; }
});
