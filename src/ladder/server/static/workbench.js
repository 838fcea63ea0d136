// The workbench: what this machine has measured, read-only, from /v1/workbench/*.
//   #climbs          each task's last climb: verdict, quality chart, the (model, rung) table
//   #runs[/TASK]     runs, newest first          #run/ID  one run, every item's record
//   #tasks           tasks                       #students  students and their savings reports
import { api, clear, h, hbars, num, onResize, pct, scatter, when } from "/static/common.js";

const view = document.getElementById("view");
const short = (v, n = 120) => { const t = typeof v === "string" ? v : JSON.stringify(v); return t.length > n ? t.slice(0, n - 1) + "…" : t; };
const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));
const empty = (what, how) => h("div", { class: "card empty muted" }, h("p", {}, what), how ? h("p", {}, h("code", {}, how)) : null);
const preview = (input) => (input && typeof input === "object" ? Object.values(input).map((v) => short(v, 80)).join(" · ") : short(input));
const label = (r) => r.label || (r.model ? `${r.model} · ${r.rung}` : r.rung);

function quality(r) {
  if (r.quality === null || r.quality === undefined) return "–";
  const ci = r.quality_ci ? ` (${Math.round(r.quality_ci[0] * 100)}–${Math.round(r.quality_ci[1] * 100)})` : "";
  return `${(r.quality * 100).toFixed(1)} %${ci}`;
}
const cost = (r) => (r.usd_per_1k !== undefined ? `$${num(r.usd_per_1k)}` : r.cpu_s_per_1k !== undefined ? `${num(Math.round(r.cpu_s_per_1k))} CPU-s` : "–");

// -- climbs --------------------------------------------------------------------------------
async function climbs() {
  const { data } = await api("/v1/workbench/climbs");
  if (!data.length) return [empty("No climb yet on this machine.", "ladder climb --task expenses")];
  return data.map((c) => {
    if (c.error) return h("section", { class: "card" }, h("h2", {}, c.task), h("p", { class: "error" }, c.error));
    const rec = c.recommendation || {};
    const pickLabel = rec.rung ? c.rows.find((r) => r.rung === rec.rung && r.model === rec.model) : null;
    const bars = h("div", { class: "chart-box" }), dots = h("div", { class: "chart-box" });
    const items = c.rows.map((r) => ({ label: label(r), value: r.quality || 0, cls: r === pickLabel ? "c0" : "c9" }));
    const bar = rec.bar === undefined ? null : { value: rec.bar, label: `bar ${pct(rec.bar, 0)}` };
    onResize(bars, (w) => clear(bars, hbars(items, w, (v) => `${(v * 100).toFixed(0)} %`, bar)));
    // quality against what it costs: CPU-seconds (or dollars) per 1k items; prompt tokens when no cost was measured
    const usd = c.rows.every((r) => r.usd_per_1k !== undefined), measuredCost = c.rows.some((r) => (usd ? r.usd_per_1k : r.cpu_s_per_1k) > 0.5);
    const xOf = (r) => (measuredCost ? (usd ? r.usd_per_1k : r.cpu_s_per_1k) : r.prompt_tokens || 0);
    const xLabel = measuredCost ? (usd ? "USD / 1k items" : "CPU-s / 1k items") : "prompt tokens / item";
    const points = c.rows.map((r) => ({ label: label(r), x: xOf(r), y: r.quality || 0, cls: r === pickLabel ? "c0" : "c9" }));
    onResize(dots, (w) => clear(dots, scatter(points, w, { xLabel, mark: bar, fmt: (v) => num(Math.round(v)) })));
    const chart = h("div", { class: "grid2 charts" }, h("figure", {}, h("figcaption", {}, "quality"), bars),
                    h("figure", {}, h("figcaption", {}, `quality vs ${xLabel}`), dots));
    return h("section", { class: "card climb", dataset: { task: c.task } },
      h("div", { class: "head" }, h("h2", {}, c.task),
        h("span", { class: `badge ${rec.meets_bar ? "good" : "warn"}` },
          rec.meets_bar ? `pick: ${rec.rung}${rec.model ? " on " + rec.model : ""}` : "no rung meets the bar"),
        h("span", { class: "muted small" }, when(c.ts))),
      rec.reason ? h("p", { class: "verdict" }, rec.reason) : null,
      h("div", { class: "kv" }, h("span", {}, "bar ", h("b", {}, pct(rec.bar, 0))),
        rec.models ? h("span", {}, "models ", h("b", {}, rec.models.join(", "))) : null,
        h("span", {}, "rows ", h("b", {}, c.rows.length))),
      chart,
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "model · rung"), h("th", { class: "num" }, "quality"),
          h("th", { class: "num hide-phone" }, "valid"), h("th", { class: "num" }, "p50 ms"),
          h("th", { class: "num hide-phone" }, "prompt tok"), h("th", { class: "num hide-phone" }, "cost / 1k"), h("th", {}, "records"))),
        h("tbody", {}, c.rows.map((r) => h("tr", { class: r === pickLabel ? "pick" : null },
          h("td", {}, label(r)), h("td", { class: "num q" }, quality(r)), h("td", { class: "num hide-phone" }, pct(r.valid_rate, 0)),
          h("td", { class: "num" }, num(Math.round(r.p50_ms || 0))), h("td", { class: "num hide-phone" }, num(Math.round(r.prompt_tokens || 0))),
          h("td", { class: "num hide-phone" }, cost(r)),
          h("td", {}, r.run_id ? h("a", { href: `#run/${r.run_id}`, class: "run-link" }, `${r.n || ""} items`) : "–")))))),
      h("p", { class: "muted small" }, c.path));
  });
}

// -- runs ----------------------------------------------------------------------------------
async function runs(task) {
  const q = new URLSearchParams({ limit: 200 });
  if (task) q.set("task", task);
  const { data, db } = await api(`/v1/workbench/runs?${q}`);
  if (!data.length) return [empty(`No run${task ? " of " + task : ""} in ${db} yet.`, `ladder eval --task ${task || "expenses"}`)];
  return [h("section", { class: "card" }, h("div", { class: "head" }, h("h2", {}, task ? `Runs of ${task}` : "Runs"),
    task ? h("a", { href: "#runs", class: "small" }, "all tasks") : null, h("span", { class: "muted small" }, db)),
    h("div", { class: "table-wrap" }, h("table", { id: "runs" },
      h("thead", {}, h("tr", {}, h("th", {}, "when"), h("th", {}, "task"), h("th", {}, "rung · model"),
        h("th", { class: "num" }, "items"), h("th", { class: "num" }, "quality"))),
      h("tbody", {}, data.map((r) => h("tr", { dataset: { id: r.id } },
        h("td", { class: "small" }, when(r.ts)), h("td", {}, r.task),
        h("td", {}, h("a", { href: `#run/${r.id}`, class: "run-link" }, `${r.rung} · ${r.model}`)),
        h("td", { class: "num" }, `${r.records}/${r.n}`),
        h("td", { class: "num q" }, r.summary ? quality(r.summary) : h("span", { class: "badge warn" }, "unfinished"))))))))];
}

async function run(id, offset = 0) {
  const limit = 50;
  const data = await api(`/v1/workbench/runs/${encodeURIComponent(id)}?offset=${offset}&limit=${limit}`);
  const r = data.run, s = r.summary || {};
  const calls = h("div", {}, h("button", { type: "button", id: "calls", onclick: () => showCalls(id, calls) }, "Calls in the call log"));
  const pager = data.total > limit ? h("div", { class: "pager" },
    h("button", { type: "button", disabled: offset === 0, onclick: () => render(run(id, Math.max(0, offset - limit))) }, "‹ Previous"),
    h("span", { class: "muted small" }, `${offset + 1}–${Math.min(offset + limit, data.total)} of ${data.total}`),
    h("button", { type: "button", disabled: offset + limit >= data.total, onclick: () => render(run(id, offset + limit)) }, "Next ›")) : null;
  return [
    h("section", { class: "card run", dataset: { id: r.id } },
      h("div", { class: "head" }, h("h2", {}, `${r.task} · ${r.rung}`), h("span", { class: "badge" }, r.model),
        h("span", { class: "muted small" }, when(r.ts))),
      h("div", { class: "kv" },
        h("span", {}, "quality ", h("b", {}, quality(s))), h("span", {}, "valid ", h("b", {}, pct(s.valid_rate, 0))),
        h("span", {}, "p50 ", h("b", {}, `${num(Math.round(s.p50_ms || 0))} ms`)),
        h("span", {}, "prompt tokens ", h("b", {}, num(Math.round(s.prompt_tokens || 0)))),
        h("span", {}, "items ", h("b", {}, `${data.total}/${r.n}`)), h("span", { class: "muted" }, `run ${r.id} · data ${r.data || "–"} · seed ${r.seed}`)),
      calls),
    h("section", { id: "records" }, data.records.map(record)),
    pager];
}

function record(rec) {
  const sc = rec.score || {};
  const ok = sc.exact === true || sc.value === 1;
  const badge = rec.failed ? h("span", { class: "badge bad" }, "failed")
    : h("span", { class: `badge ${ok ? "good" : sc.value > 0 ? "warn" : "bad"}` }, ok ? "✓ right" : `score ${num(sc.value)}`);
  const messages = (rec.messages || []).map((m) => h("div", { class: `msg ${m.role}` }, h("div", { class: "role" }, m.role),
    h("pre", {}, typeof m.content === "string" ? m.content : pretty(m.content))));
  return h("details", { class: "record", dataset: { idx: rec.idx } },
    h("summary", {}, h("span", { class: "idx" }, `#${rec.idx}`), badge, h("span", { class: "preview" }, preview(rec.input)),
      h("span", { class: "muted small" }, `${num(Math.round(rec.latency_ms || 0))} ms`)),
    h("div", { class: "record-body" },
      h("div", {}, h("h4", {}, "input"), h("pre", {}, pretty(rec.input))),
      h("div", { class: "pair" },
        h("div", {}, h("h4", {}, "output"), h("pre", { class: "output" }, rec.output === null ? `(none) ${rec.text || ""}` : pretty(rec.output))),
        h("div", {}, h("h4", {}, "expected"), h("pre", {}, pretty(rec.expected)))),
      h("div", {}, h("h4", {}, "score"),
        h("div", { class: "fields" }, Object.entries(sc.fields || {}).map(([f, v]) =>
          h("span", { class: `badge ${v >= 1 ? "good" : "bad"}` }, `${f} ${v >= 1 ? "✓" : "✗"}`))),
        sc.reason ? h("p", { class: "small muted" }, sc.reason) : null),
      h("div", {}, h("h4", {}, `exact prompt · ${rec.messages ? rec.messages.length : 0} messages`), messages,
        rec.prompt ? h("details", {}, h("summary", { class: "small muted" }, "as the model saw it (template applied)"), h("pre", {}, rec.prompt)) : null),
      h("div", { class: "kv small" },
        h("span", {}, "prompt tokens ", h("b", {}, num(rec.prompt_tokens))), h("span", {}, "completion ", h("b", {}, num(rec.completion_tokens))),
        h("span", {}, "cached ", h("b", {}, num(rec.cached_tokens))), h("span", {}, "retries ", h("b", {}, num(rec.retries))),
        h("span", {}, "model ", h("b", {}, rec.model || "–")), rec.error ? h("span", { class: "error" }, rec.error) : null)));
}

async function showCalls(id, box) {
  const { data, log } = await api(`/v1/workbench/runs/${encodeURIComponent(id)}/calls`);
  clear(box, h("h3", {}, `${data.length} call${data.length === 1 ? "" : "s"} in ${log}`),
    data.length ? h("div", { class: "table-wrap" }, h("table", { class: "calls" },
      h("thead", {}, h("tr", {}, h("th", {}, "model"), h("th", {}, "response"), h("th", { class: "num" }, "tokens in/out"), h("th", { class: "num" }, "ms"))),
      h("tbody", {}, data.map((c) => h("tr", {}, h("td", {}, c.model), h("td", { class: "mono" }, short(c.response, 90)),
        h("td", { class: "num" }, `${num(c.prompt_tokens)}/${num(c.completion_tokens)}`), h("td", { class: "num" }, num(Math.round(c.latency_ms || 0)))))))) : null);
}

// -- tasks, students -------------------------------------------------------------------------
async function tasks() {
  const { data } = await api("/v1/workbench/tasks");
  return [h("div", { class: "grid2" }, data.map((t) => h("section", { class: "card task", dataset: { name: t.name } },
    h("div", { class: "head" }, h("h2", {}, t.name), t.metric ? h("span", { class: "badge" }, t.metric) : null,
      t.climbed ? h("a", { href: "#climbs", class: "badge good" }, "climbed") : null,
      t.runs ? h("a", { href: `#runs/${encodeURIComponent(t.name)}`, class: "small" }, `${t.runs} run${t.runs === 1 ? "" : "s"}`)
             : h("span", { class: "muted small" }, "0 runs")),
    t.error ? h("p", { class: "error" }, t.error) : null,
    t.instructions ? h("p", { class: "instructions" }, t.instructions) : null,
    t.inputs ? h("p", { class: "small" }, h("b", {}, t.inputs.join(", ")), " → ", h("b", {}, t.outputs.length ? t.outputs.join(", ") : "a value")) : null,
    t.path ? h("p", { class: "muted small" }, t.path) : h("p", { class: "muted small" }, "not a bundled task (seen in the runs database)"))))];
}

async function students() {
  const { data } = await api("/v1/workbench/students");
  if (!data.length) return [empty("No student yet on this machine.", "ladder distill --task expenses")];
  return data.map((st) => {
    const sv = st.savings, reg = st.registered;
    const targets = sv && sv.targets ? h("div", { class: "fields" }, sv.targets.map((t) =>
      h("span", { class: `badge ${t.met ? "good" : "bad"}` }, `${t.met ? "✓" : "✗"} ${t.description}${t.value === null ? "" : ": " + num(Number(t.value.toFixed(2)))}`))) : null;
    const table = sv && sv.table ? h("div", { class: "table-wrap" }, h("table", { class: "savings" },
      h("thead", {}, h("tr", {}, sv.table.head.map((c, i) => h("th", { class: i ? "num" : null }, c)))),
      h("tbody", {}, sv.table.rows.map((row) => h("tr", {}, row.map((c, i) => h("td", { class: i ? "num" : null }, c))))))) : null;
    return h("section", { class: "card student", dataset: { name: st.name } },
      h("div", { class: "head" }, h("h2", {}, st.name),
        reg ? h("span", { class: "badge good" }, `registered · ${reg.backend}`) : h("span", { class: "badge warn" }, "not registered")),
      sv && sv.error ? h("p", { class: "error" }, sv.error) : null,
      sv ? null : h("p", { class: "muted" }, "No savings report yet (ladder distill writes savings.json when it evaluates)."),
      targets, table,
      h("p", { class: "muted small" }, `${st.path} · ${st.files.join(", ")}`));
  });
}

// -- routing -----------------------------------------------------------------------------------
const VIEWS = { climbs, runs, tasks, students };

let shown = 0; // the newest view asked for: a slower, older one never overwrites it

async function render(promise) {
  const mine = ++shown;
  let parts;
  try {
    parts = await promise;
  } catch (e) {
    parts = [h("div", { class: "card error" }, e.message)];
  }
  if (mine !== shown) return;
  clear(view, parts);
  document.body.dataset.ready = "1";
}

function route() {
  const [name, arg] = (location.hash.slice(1) || "climbs").split("/");
  document.querySelectorAll(".tabs a").forEach((a) => a.classList.toggle("active", a.dataset.tab === (name === "run" ? "runs" : name)));
  delete document.body.dataset.ready;
  const arg1 = arg === undefined ? undefined : decodeURIComponent(arg);
  render(name === "run" ? run(arg1) : (VIEWS[name] || climbs)(arg1));
  window.scrollTo(0, 0);
}

window.addEventListener("hashchange", route);
route();
