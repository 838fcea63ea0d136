// Shared by the pages: fetch with the API key, DOM building, formatting, SVG charts.
// Everything a user or a model wrote is inserted as text (textContent), never as HTML.

const KEY = "ladder-api-key";

export class ApiFailure extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

let keyPrompt = null; // one dialog at a time, shared by concurrent fetches

function askKey(refused) {
  if (keyPrompt) return keyPrompt;
  keyPrompt = new Promise((resolve) => {
    const input = h("input", { type: "password", id: "api-key", autocomplete: "current-password", required: true,
                               placeholder: "the key given to ladder serve --api-key" });
    const dialog = h("dialog", { id: "key-dialog" },
      h("form", { method: "dialog" },
        h("h2", {}, "API key"),
        h("p", { class: "muted small" }, refused
          ? "The server refused that key. Enter the key given to 'ladder serve --api-key'."
          : "This server needs its API key. It is kept in this browser and sent with every request."),
        input,
        h("button", { class: "primary", id: "api-key-ok", value: "ok" }, "Continue")));
    dialog.addEventListener("close", () => {
      localStorage.setItem(KEY, input.value.trim());
      dialog.remove();
      keyPrompt = null;
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
  return keyPrompt;
}

// fetch(path) with the stored key; JSON in ({json: ...}) and out; errors as ApiFailure with
// the server's message. A 401 asks for the key and tries again.
export async function api(path, opts = {}, tries = 0) {
  const headers = new Headers(opts.headers || {});
  const key = localStorage.getItem(KEY);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  let body = opts.body;
  if (opts.json !== undefined) { headers.set("Content-Type", "application/json"); body = JSON.stringify(opts.json); }
  const res = await fetch(path, { method: opts.method || "GET", headers, body });
  if (res.status === 401 && tries < 3) {
    await askKey(Boolean(key));
    return api(path, opts, tries + 1);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error.message || message; } catch { /* not our JSON */ }
    throw new ApiFailure(res.status, message);
  }
  if (opts.raw) return res;
  return (res.headers.get("content-type") || "").includes("json") ? res.json() : res.text();
}

// h("div", {class: "x", onclick: fn, dataset: {id: 1}}, "text", child, [more]) -> Element
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  el.append(...flat(children));
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  setProps(el, attrs);
  el.append(...flat(children));
  return el;
}

function setProps(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
}

function flat(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
}

export function clear(el, ...children) { el.replaceChildren(...flat(children)); return el; }

const numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
export const num = (v) => (v === null || v === undefined || v === "" ? "" : typeof v === "number" ? numbers.format(v) : String(v));
export const money = (v, currency) => `${num(v)} ${currency || ""}`.trim();
export const pct = (v, digits = 1) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(digits)} %`);
export const when = (ts) => (ts ? new Date(ts * 1000).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "");

// Re-run fn when the element's width changes (charts are drawn at their real width, so
// their text stays at its real size on a phone and on a laptop).
export function onResize(el, fn) {
  let last = 0;
  new ResizeObserver(() => {
    const w = Math.round(el.clientWidth);
    if (w && w !== last) { last = w; fn(w); }
  }).observe(el);
}

// Horizontal bars: items [{label, value, cls, note}] -> <svg>, width in pixels. ``mark``
// ({value, label}) draws a dashed line across the bars, e.g. a quality bar.
export function hbars(items, width, fmt = num, mark = null) {
  const row = 30, top = mark ? 16 : 0, valueW = 64;
  const longest = Math.max(...items.map((i) => textWidth(i.label)), 20);
  const labelW = Math.min(width * 0.45, longest + 14), barW = Math.max(40, width - labelW - valueW);
  const max = mark ? Math.max(...items.map((i) => i.value), mark.value, 1e-9) : Math.max(...items.map((i) => i.value), 1);
  const height = top + items.length * row;
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  items.forEach((it, i) => {
    const y = top + i * row, w = Math.max(2, (it.value / max) * barW);
    svg.append(
      s("text", { x: 0, y: y + 19, class: "label" }, clip(it.label, labelW - 4)),
      s("rect", { x: labelW, y: y + 6, width: w, height: row - 12, rx: 5, class: it.cls ? `bar ${it.cls}` : "bar" },
        s("title", {}, `${it.label}: ${fmt(it.value)}${it.note ? " · " + it.note : ""}`)),
      s("text", { x: labelW + w + 6, y: y + 19 }, fmt(it.value)));
  });
  if (mark) {
    const x = labelW + (mark.value / max) * barW;
    svg.append(s("line", { x1: x, x2: x, y1: top - 2, y2: height, class: "line" }),
               s("text", { x, y: 11, "text-anchor": "middle" }, mark.label));
  }
  return svg;
}

// Points [{label, x, y, cls}] -> <svg>: y a share (0..1), x a cost (log scale when it spans
// more than 20x). ``mark``: a dashed line at y = mark.value (e.g. the quality bar).
export function scatter(points, width, { xLabel = "", height = 210, mark = null, fmt = num } = {}) {
  const left = 40, right = 12, top = 12, bottom = 34, plotW = width - left - right, plotH = height - top - bottom;
  const xs = points.map((p) => p.x), lo = Math.min(...xs), hi = Math.max(...xs);
  const log = lo > 0 && hi / lo > 20;
  const fx = (v) => {
    if (hi === lo) return left + plotW / 2;
    const t = log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
    return left + 10 + t * (plotW - 20);
  };
  const fy = (v) => top + (1 - v) * plotH;
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  for (const q of [0, 0.5, 1]) {
    svg.append(s("line", { x1: left, x2: width - right, y1: fy(q), y2: fy(q), class: "grid" }),
               s("text", { x: left - 6, y: fy(q) + 4, "text-anchor": "end" }, `${q * 100} %`));
  }
  if (mark) svg.append(s("line", { x1: left, x2: width - right, y1: fy(mark.value), y2: fy(mark.value), class: "line" }));
  svg.append(s("text", { x: left, y: height - 4 }, fmt(lo)), s("text", { x: width - right, y: height - 4, "text-anchor": "end" }, fmt(hi)),
             s("text", { x: left + plotW / 2, y: height - 4, "text-anchor": "middle" }, xLabel + (log ? " (log)" : "")));
  points.forEach((p) => {
    const x = fx(p.x), y = fy(p.y), onRight = x < left + plotW * 0.6;
    svg.append(s("circle", { cx: x, cy: y, r: 6, class: `bar ${p.cls || ""}` }, s("title", {}, `${p.label}: ${pct(p.y)} at ${fmt(p.x)} ${xLabel}`)),
               s("text", { x: onRight ? x + 10 : x - 10, y: y + 4, "text-anchor": onRight ? "start" : "end", class: "label" }, clip(p.label, plotW * 0.55)));
  });
  return svg;
}

// About how wide text is at the charts' 12 px (CJK characters are twice as wide).
const textWidth = (t) => [...String(t)].reduce((w, c) => w + (c.charCodeAt(0) > 0x2e80 ? 12 : 7), 0);
function clip(t, px) {
  let out = "";
  for (const c of String(t)) { if (textWidth(out + c + "…") > px) return out + "…"; out += c; }
  return out;
}

// Vertical bars over periods: items [{label, value, tick, highlight}] -> <svg>.
export function vbars(items, width, height = 150, fmt = num) {
  const left = 8, bottom = 20, top = 16, plotH = height - bottom - top;
  const max = Math.max(...items.map((i) => i.value), 0);
  const step = (width - left * 2) / Math.max(items.length, 1), bw = Math.max(2, step * 0.7);
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
                         "aria-label": "totals over time" });
  svg.append(s("line", { x1: left, x2: width - left, y1: top + plotH + 0.5, y2: top + plotH + 0.5, class: "grid" }));
  if (max > 0) {
    svg.append(s("line", { x1: left, x2: width - left, y1: top + 0.5, y2: top + 0.5, class: "grid" }),
               s("text", { x: width - left, y: top - 4, "text-anchor": "end" }, `max ${fmt(max)}`));
  }
  items.forEach((it, i) => {
    const x = left + i * step + (step - bw) / 2, bh = max ? (it.value / max) * plotH : 0;
    if (it.value > 0) {
      svg.append(s("rect", { x, y: top + plotH - bh, width: bw, height: Math.max(bh, 1), rx: Math.min(3, bw / 3),
                             class: it.highlight ? "bar today" : "bar" },
                   s("title", {}, `${it.label}: ${fmt(it.value)}`)));
    }
    if (it.tick) svg.append(s("text", { x: x + bw / 2, y: height - 5, "text-anchor": "middle" }, it.tick));
  });
  return svg;
}

// A colour class per position in a list (c0 .. c9 in common.css), e.g. per category.
export const colour = (i) => `c${i % 10}`;
