// edu_chain explorer: one page, plain JavaScript, reading the node's JSON API.
//
// Every view is a function `async (args) => html` that fetches what it needs from /api/...
// and returns a string; `render()` picks the view from the URL fragment (#/block/<hash>,
// #/tx/<txid>, ...) and puts the string in <main id="view">.  Every REFRESH_MS the current
// view is rebuilt; the DOM is only touched when the HTML changed, so nothing flickers.
//
// API field names follow docs/architecture.md#node-and-testnet; `pick()` accepts the few synonyms a student's
// own node might use (prev / prev_hash, txs / txids ...), so the page degrades gracefully.
"use strict";

const REFRESH_MS = 3000;
const RECENT_BLOCKS = 15;
const STATS_WINDOW = 60;
const FORK_TREE_HEIGHTS = 24; // the fork tree shows the last N heights

// ---------------------------------------------------------------- helpers

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    throw new ApiError(response.status, error.code || String(response.status),
      error.message || response.statusText);
  }
  return body;
}

// The first of `names` that `obj` has (null when none): tolerate synonyms in the JSON.
function pick(obj, ...names) {
  if (!obj) return null;
  for (const name of names) {
    if (obj[name] !== undefined && obj[name] !== null) return obj[name];
  }
  return null;
}

// A list inside a reply that may be the list itself or {"blocks": [...]}-like.
function listOf(reply, ...names) {
  if (Array.isArray(reply)) return reply;
  const found = pick(reply, ...names);
  if (Array.isArray(found)) return found;
  if (reply && typeof reply === "object") {
    for (const value of Object.values(reply)) if (Array.isArray(value)) return value;
  }
  return [];
}

function esc(value) {
  return String(value === null || value === undefined ? "" : value)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function short(hash, keep = 10) {
  const text = String(hash || "");
  return text.length > 2 * keep + 1 ? `${text.slice(0, keep)}…${text.slice(-6)}` : text;
}

// Amounts are integer base units; 1 coin = 100,000,000 units (like satoshis).
function coins(units) {
  if (units === null || units === undefined) return "–";
  const n = BigInt(units);
  if (n < 0n) return `−${coins(-n)}`;
  const whole = n / 100000000n;
  const frac = (n % 100000000n).toString().padStart(8, "0").replace(/0+$/, "");
  return frac ? `${whole.toLocaleString()}.${frac}` : whole.toLocaleString();
}

function when(timestamp) {
  if (!timestamp) return "–";
  const date = new Date(Number(timestamp) * 1000);
  const ago = Math.round(Date.now() / 1000 - Number(timestamp));
  let rel;
  if (ago < 0) rel = `${-ago} s in the future`;
  else if (ago < 90) rel = `${ago} s ago`;
  else if (ago < 5400) rel = `${Math.round(ago / 60)} min ago`;
  else if (ago < 48 * 3600) rel = `${Math.round(ago / 3600)} h ago`;
  else rel = date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  return `<span title="${esc(date.toISOString())}">${esc(rel)}</span>`;
}

// "1e00ffff", "0x1e00ffff" or 503382015 -> the number.
function bitsValue(bits) {
  if (typeof bits === "number") return bits;
  if (typeof bits === "string") return parseInt(bits.replace(/^0x/, ""), 16);
  return null;
}

function bitsText(bits) {
  const value = bitsValue(bits);
  return value === null || Number.isNaN(value) ? "–" : value.toString(16).padStart(8, "0");
}

function number(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  const n = Number(value);
  if (Math.abs(n) >= 1e4) return n.toLocaleString(undefined, { maximumFractionDigits: 0 });
  return n.toLocaleString(undefined, { maximumFractionDigits: digits });
}

function hashRate(perSecond) {
  if (perSecond === null || perSecond === undefined) return "–";
  const units = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"];
  let value = Number(perSecond);
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

const blockLink = (hash, text) =>
  `<a class="block-link mono${text ? "" : " nowrap"}" href="#/block/${esc(hash)}" title="${esc(hash)}">${esc(text || short(hash))}</a>`;
const txLink = (txid, text) =>
  `<a class="tx-link mono${text ? "" : " nowrap"}" href="#/tx/${esc(txid)}" title="${esc(txid)}">${esc(text || short(txid))}</a>`;
const addressLink = (address) =>
  address ? `<a class="address-link mono" href="#/address/${esc(address)}">${esc(address)}</a>`
    : '<span class="muted">(no address)</span>';

function card(title, body, extraClass = "") {
  return `<section class="card ${extraClass}"><h2>${title}</h2>${body}</section>`;
}

function table(headers, rows, id = "") {
  const head = headers.map((h) => `<th>${h}</th>`).join("");
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${headers.length}" class="muted">nothing yet</td></tr>`;
  return `<table${id ? ` id="${id}"` : ""}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function fields(pairs) {
  const rows = pairs
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`)
    .join("");
  return `<dl class="fields">${rows}</dl>`;
}

// ---------------------------------------------------------------- status bar

// "network": "edu-regtest" or "network": {"name": "edu-regtest", ...}
function networkName(info) {
  const network = pick(info, "network", "chain", "params");
  if (network && typeof network === "object") return pick(network, "name") || "?";
  return network || "?";
}

async function renderStatus() {
  const bar = document.getElementById("status");
  try {
    const [tip, info] = await Promise.all([api("/api/tip"), api("/api/info").catch(() => null)]);
    const mining = pick(info, "mining") || {};
    const miningOn = typeof mining === "object" ? pick(mining, "enabled", "on", "active") : mining;
    const parts = [
      `<b>${esc(pick(info, "name", "node_id", "id") || "node")}</b>`,
      `network <b>${esc(networkName(info))}</b>`,
      `tip <b>#${esc(tip.height)}</b> ${blockLink(tip.hash)}`,
      `peers <b>${esc(pick(info, "peer_count", "peers") ?? "?")}</b>`,
      `mining <b class="${miningOn ? "on" : "off"}">${miningOn ? "on" : "off"}</b>`,
    ];
    const rate = pick(mining, "hash_rate", "hashrate", "local_hash_rate");
    if (miningOn && rate) parts.push(`local ${esc(hashRate(rate))}`);
    setHtml(bar, parts.join('<span class="sep">·</span>'));
    bar.classList.remove("error");
  } catch (error) {
    setHtml(bar, `node not answering: ${esc(error.message)}`);
    bar.classList.add("error");
  }
}

// ---------------------------------------------------------------- views

async function viewOverview() {
  const [tip, recent, mempool] = await Promise.all([
    api("/api/tip"),
    api(`/api/blocks?limit=${RECENT_BLOCKS}`),
    api("/api/mempool").catch(() => null),
  ]);
  const blocks = listOf(recent, "blocks");
  const pending = listOf(mempool, "transactions", "txs", "txids");
  const tipCard = card("Chain tip", fields([
    ["height", `<span class="big">${esc(tip.height)}</span>`],
    ["hash", blockLink(tip.hash, tip.hash)],
    ["chainwork", `<span class="mono">${esc(tip.chainwork)}</span>`],
    ["mempool", `<a href="#/mempool">${pending.length} transaction(s) waiting</a>`],
  ]), "tip");
  const blocksCard = card("Recent blocks", blocksTable(blocks));
  return `<div class="grid">${tipCard}${await miniStats()}</div>${blocksCard}`;
}

// A table of active-chain blocks (newest first) with a link to the older ones.
function blocksTable(blocks) {
  const rows = blocks.map((b) => [
    `<a href="#/block/${esc(b.hash)}">${esc(b.height)}</a>`,
    blockLink(b.hash),
    when(b.timestamp),
    esc(pick(b, "tx_count", "n_tx", "ntx") ?? (pick(b, "txids", "txs") || []).length),
    `<span class="mono nowrap">${esc(bitsText(b.bits))}</span>`,
    esc(number(pick(b, "difficulty"))),
  ]);
  const oldest = blocks.length ? Number(blocks[blocks.length - 1].height) : 0;
  const older = oldest > 0
    ? `<p class="pager"><a id="older-blocks" href="#/blocks/${oldest}">older blocks →</a></p>` : "";
  return table(["height", "hash", "time", "txs", "bits", "difficulty"], rows, "recent-blocks") + older;
}

async function viewBlocks([before]) {
  const reply = await api(`/api/blocks?limit=${RECENT_BLOCKS}&before_height=${encodeURIComponent(before)}`);
  return `<h1>Blocks <span class="muted">below height ${esc(before)}</span></h1>` +
    card("Active chain", blocksTable(listOf(reply, "blocks")));
}

async function miniStats() {
  try {
    const series = listOf(await api(`/api/stats?window=${STATS_WINDOW}`), "blocks", "series");
    if (series.length < 2) return card("Difficulty", '<p class="muted">needs two blocks</p>');
    return card('Difficulty <a class="more" href="#/stats">more</a>',
      lineChart(series, "difficulty", { width: 520, height: 150 }));
  } catch (_) {
    return "";
  }
}

async function viewBlock([hash]) {
  const block = await api(`/api/blocks/${encodeURIComponent(hash)}`);
  const prev = pick(block, "prev_hash", "prev", "previousblockhash");
  const next = pick(block, "next_hash", "next");
  const txids = pick(block, "txids", "txs", "transactions") || [];
  const active = pick(block, "active", "in_active_chain");
  const confirmations = pick(block, "confirmations");
  const state = active === false || confirmations === 0 || confirmations === -1
    ? '<span class="badge stale">stale branch</span>'
    : '<span class="badge active">active chain</span>';
  const header = fields([
    ["hash", `<span class="mono" id="block-hash">${esc(block.hash)}</span> ${state}`],
    ["height", esc(block.height)],
    ["confirmations", esc(confirmations)],
    ["previous", prev && !/^0+$/.test(prev) ? blockLink(prev, prev) : '<span class="muted">none (genesis)</span>'],
    ["next", next ? blockLink(next, next) : null],
    ["merkle root", `<span class="mono">${esc(pick(block, "merkle_root", "merkleroot"))}</span>`],
    ["time", `${when(block.timestamp)} <span class="muted">(${esc(block.timestamp)})</span>`],
    ["bits", `<span class="mono nowrap">${esc(bitsText(block.bits))}</span>`],
    ["difficulty", esc(number(pick(block, "difficulty")))],
    ["nonce", esc(block.nonce)],
    ["version", esc(block.version)],
    ["chainwork", `<span class="mono">${esc(pick(block, "chainwork"))}</span>`],
    ["size", block.size ? `${esc(block.size)} bytes` : null],
  ]);
  const details = pick(block, "transactions") || [];
  const rows = txids.map((t, i) => {
    const txid = typeof t === "string" ? t : pick(t, "txid", "id");
    const detail = details[i] && typeof details[i] === "object" ? details[i] : {};
    return [
      esc(i),
      txLink(txid, txid),
      `<span class="amount">${esc(coins(pick(detail, "total_out")))}</span>`,
      i === 0 ? '<span class="badge">coinbase</span>'
        : (pick(detail, "fee") !== null ? `fee ${esc(coins(detail.fee))}` : ""),
    ];
  });
  return `<h1>Block <span class="muted">#${esc(block.height)}</span></h1>` +
    card("Header", header) +
    card(`Transactions (${txids.length})`, table(["#", "txid", "total out (coins)", ""], rows, "block-txs"));
}

async function viewHeight([height]) {
  const reply = await api(`/api/height/${encodeURIComponent(height)}`);
  const hash = typeof reply === "string" ? reply : pick(reply, "hash", "block_hash");
  location.replace(`#/block/${hash}`);
  return "";
}

function outputRows(outputs) {
  return (outputs || []).map((o, i) => [
    esc(pick(o, "index", "n") ?? i),
    addressLink(pick(o, "address")) +
      (pick(o.scriptPubKey, "type") ? ` <span class="badge">${esc(o.scriptPubKey.type)}</span>` : ""),
    `<span class="amount">${esc(coins(pick(o, "amount", "value")))}</span>`,
    pick(o, "spent_by") ? txLink(o.spent_by, "spent") : "",
  ]);
}

// Scripts in asm (Bitcoin Core's notation), witness items in hex, and for every input a link
// to step through its verification (GET /api/tx/{txid}/inputs/{i}/trace).
function scriptRows(txid, inputs, outputs) {
  const rows = [];
  (inputs || []).forEach((input, i) => {
    if (pick(input, "coinbase")) {
      rows.push([`in ${i}`, "coinbase data", `<span class="mono">${esc(input.coinbase)}</span>`, ""]);
      return;
    }
    const asm = pick(input.scriptSig, "asm") || "";
    const witness = (pick(input, "txinwitness") || []).map(esc).join("<br>");
    rows.push([
      `in ${i}` + (pick(input, "type") ? ` <span class="badge">${esc(input.type)}</span>` : ""),
      `<span class="mono">${esc(asm) || '<span class="muted">(empty scriptSig)</span>'}</span>`,
      witness ? `<span class="mono">${witness}</span>` : '<span class="muted">no witness</span>',
      `<a href="#/trace/${esc(txid)}/${i}">step through</a>`,
    ]);
  });
  (outputs || []).forEach((o, i) => {
    rows.push([`out ${i}`, `<span class="mono">${esc(pick(o.scriptPubKey, "asm") || "")}</span>`, "", ""]);
  });
  return rows;
}

async function viewTrace([txid, index]) {
  const trace = await api(`/api/tx/${encodeURIComponent(txid)}/inputs/${encodeURIComponent(index)}/trace`);
  const verdict = trace.ok
    ? '<span class="badge">valid</span>'
    : `<span class="badge invalid">${esc(trace.error.code)}</span> ${esc(trace.error.message)}`;
  const steps = (trace.steps || []).map((step, n) => [
    esc(n + 1),
    esc(step.phase),
    `<span class="mono">${esc(step.operation)}</span>` + (step.executed ? "" : ' <span class="muted">(skipped)</span>'),
    `<span class="mono">${step.stack_after.map((item) => esc(item || "[]")).join(" ")}</span>`,
    step.error ? esc(step.error.code) : "",
  ]);
  return `<h1>Input ${esc(index)} of ${txLink(txid)}</h1>` +
    card("What it spends", fields([
      ["outpoint", `<span class="mono">${esc(trace.spent.outpoint)}</span>`],
      ["amount", `${esc(coins(trace.spent.amount))} coins`],
      ["owner", addressLink(trace.spent.address)],
      ["type", esc(trace.spent.type)],
      ["scriptPubKey", `<span class="mono">${esc(trace.spent.scriptPubKey.asm)}</span>`],
      ["flags", esc(trace.flags.join(", "))],
      ["result", verdict],
    ])) +
    card(`Steps (${steps.length})`, table(["#", "script", "operation", "stack after", "error"], steps, "trace-steps"));
}

function inputRows(inputs) {
  return (inputs || []).map((input, i) => {
    if (pick(input, "coinbase") || /^0+$/.test(pick(input, "txid", "prev_txid") || "")) {
      return [esc(i), '<span class="badge">coinbase</span>', "", ""];
    }
    const txid = pick(input, "txid", "prev_txid");
    const index = pick(input, "index", "vout", "prev_index");
    return [
      esc(i),
      `${txLink(txid)}<span class="muted">:${esc(index)}</span>`,
      addressLink(pick(input, "address")),
      `<span class="amount">${esc(coins(pick(input, "amount", "value")))}</span>`,
    ];
  });
}

async function viewTx([txid]) {
  const tx = await api(`/api/tx/${encodeURIComponent(txid)}`);
  const blockHash = pick(tx, "block_hash", "blockhash", "block");
  const inMempool = blockHash === "mempool" || pick(tx, "status") === "mempool" || !blockHash;
  const where = inMempool
    ? '<a href="#/mempool"><span class="badge pending">in the mempool</span></a>'
    : `${blockLink(blockHash, blockHash)} <span class="muted">height ${esc(pick(tx, "block_height", "height"))}</span>`;
  const inputs = pick(tx, "inputs", "vin") || [];
  const outputs = pick(tx, "outputs", "vout") || [];
  return `<h1>Transaction</h1>` +
    card("Summary", fields([
      ["txid", `<span class="mono" id="tx-id">${esc(pick(tx, "txid", "id"))}</span>`],
      ["where", where],
      ["confirmations", esc(pick(tx, "confirmations"))],
      ["record", typeof anchorText === "function" ? anchorText(outputs) : null],
      ["fee", pick(tx, "fee") !== null ? `${esc(coins(tx.fee))} coins` : null],
      ["size", tx.size ? `${esc(tx.size)} bytes` : null],
      ["version", esc(tx.version)],
      ["lock time", esc(pick(tx, "locktime", "lock_time"))],
    ])) +
    `<div class="grid">` +
    card(`Inputs (${inputs.length})`, table(["#", "spends", "from", "amount"], inputRows(inputs))) +
    card(`Outputs (${outputs.length})`, table(["#", "to", "amount", ""], outputRows(outputs))) +
    `</div>` +
    card("Scripts", table(["", "script (asm)", "witness", ""], scriptRows(pick(tx, "txid", "id"), inputs, outputs)));
}

async function viewAddress([address]) {
  const info = await api(`/api/address/${encodeURIComponent(address)}`);
  const utxos = listOf(info, "utxos");
  const rows = utxos.map((u) => {
    let txid = pick(u, "txid");
    let index = pick(u, "index", "vout");
    if (!txid && u.outpoint) [txid, index] = u.outpoint.split(":");
    const spendable = pick(u, "spendable");
    return [
      `${txLink(txid)}<span class="muted">:${esc(index)}</span>`,
      `<span class="amount">${esc(coins(pick(u, "amount", "value")))}</span>`,
      esc(pick(u, "height") ?? ""),
      spendable === false ? '<span class="badge pending">immature</span>' : "",
    ];
  });
  return `<h1>Address</h1>` +
    card("Balance", fields([
      ["address", `<span class="mono" id="address">${esc(pick(info, "address") || address)}</span>`],
      ["balance", `<span class="big">${esc(coins(pick(info, "balance")))}</span> coins`],
      ["spendable now", pick(info, "spendable_balance", "spendable") !== null
        ? `${esc(coins(pick(info, "spendable_balance", "spendable")))} coins` : null],
      ["unspent outputs", esc(utxos.length)],
    ])) +
    card("Unspent outputs", table(["outpoint", "amount", "height", ""], rows, "utxos")) +
    (typeof historyCard === "function" ? await historyCard(address).catch(() => "") : "");
}

async function viewMempool() {
  const reply = await api("/api/mempool");
  const txs = listOf(reply, "transactions", "txs", "txids");
  const rows = txs.map((t) => {
    const txid = typeof t === "string" ? t : pick(t, "txid", "id");
    return [
      txLink(txid, txid),
      esc(typeof t === "object" ? (pick(t, "size") ?? "") : ""),
      typeof t === "object" && pick(t, "fee") !== null ? esc(coins(t.fee)) : "",
    ];
  });
  return `<h1>Mempool <span class="muted">${txs.length} transaction(s)</span></h1>` +
    card("Waiting to be mined",
      '<p class="muted">Valid transactions this node has seen but no block on its active chain ' +
      "contains yet. After a reorganisation, the transactions of the losing branch come back here.</p>" +
      table(["txid", "size (bytes)", "fee (coins)"], rows, "mempool"));
}

// A small line chart of series[i][key] against height, as an inline SVG.
// `clip`: values above it are drawn at the top edge (an outlier such as the first block's
// interval after a genesis dated months ago would otherwise flatten everything else).
// `reference`: a dashed horizontal line, e.g. the target spacing.
function lineChart(series, key, { height = 200, width = 640, format = number, clip = null,
  reference = null } = {}) {
  const points = series
    .map((s) => ({ x: Number(s.height), y: Number(pick(s, key)) }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (points.length < 2) return '<p class="muted">not enough blocks yet</p>';
  const pad = { left: 76, right: 12, top: 10, bottom: 24 };
  const xs = points.map((p) => p.x);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const clipped = clip !== null && points.some((p) => p.y > clip);
  if (clipped) points.forEach((p) => { p.off = p.y > clip; p.shown = Math.min(p.y, clip); });
  points.forEach((p) => { if (p.shown === undefined) p.shown = p.y; });
  const ys = points.map((p) => p.shown);
  if (reference) ys.push(reference.value);
  let [y0, y1] = [0, Math.max(...ys)];
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x) => pad.left + ((x - x0) / (x1 - x0 || 1)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const path = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.shown).toFixed(1)}`).join("");
  const grid = [0, 0.5, 1].map((f) => {
    const y = y0 + f * (y1 - y0);
    return `<line class="grid" x1="${pad.left}" x2="${width - pad.right}" y1="${sy(y)}" y2="${sy(y)}"/>` +
      `<text class="axis" x="${pad.left - 6}" y="${sy(y) + 4}" text-anchor="end">${esc(format(y))}</text>`;
  }).join("");
  const xlabels = [x0, x1].map((x, i) =>
    `<text class="axis" x="${sx(x)}" y="${height - 6}" text-anchor="${i ? "end" : "start"}">#${x}</text>`).join("");
  const dots = points.length <= 80 || clipped
    ? points.filter((p) => points.length <= 80 || p.off).map((p) =>
      `<circle class="dot${p.off ? " off" : ""}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.shown).toFixed(1)}" r="${p.off ? 4 : 2.5}">` +
      `<title>#${p.x}: ${esc(format(p.y))}${p.off ? " (off the scale)" : ""}</title></circle>`).join("")
    : "";
  const ref = reference
    ? `<line class="reference" x1="${pad.left}" x2="${width - pad.right}" y1="${sy(reference.value)}" y2="${sy(reference.value)}"/>` +
      `<text class="axis reference-label" x="${width - pad.right}" y="${sy(reference.value) - 5}" text-anchor="end">${esc(reference.label)}</text>`
    : "";
  return `<svg class="chart" data-series="${esc(key)}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="${esc(key)} by height">${grid}${xlabels}${ref}<path class="line" d="${path}"/>${dots}</svg>`;
}

async function viewStats() {
  const reply = await api(`/api/stats?window=${STATS_WINDOW}`);
  const series = listOf(reply, "blocks", "series");
  const spacing = Number(pick(reply, "target_spacing")) || null;
  const last = series.length ? series[series.length - 1] : {};
  const rateKey = ["hash_rate", "hashrate", "network_hash_rate", "estimated_hash_rate"]
    .find((k) => series.some((s) => s[k] !== undefined && s[k] !== null)) || "hash_rate";
  const intervalKey = ["interval", "block_interval", "seconds"]
    .find((k) => series.some((s) => s[k] !== undefined && s[k] !== null)) || "interval";
  return `<h1>Difficulty and hash rate <span class="muted">last ${series.length} blocks</span></h1>` +
    `<div class="grid">` +
    card("Now", fields([
      ["height", esc(pick(last, "height"))],
      ["bits", `<span class="mono nowrap">${esc(bitsText(pick(last, "bits")))}</span>`],
      ["difficulty", esc(number(pick(last, "difficulty")))],
      ["network hash rate (estimate)", esc(hashRate(pick(last, rateKey)))],
    ])) +
    card("How to read this",
      '<p class="muted">Difficulty = how many times harder than the easiest allowed target a block ' +
      "is to mine. The network hash rate is estimated from the difficulty and the time between " +
      "blocks: hashes expected per block ÷ seconds per block. Every retarget window the difficulty " +
      "moves so blocks come at the target spacing again.</p>") +
    `</div>` +
    card("Difficulty by height", lineChart(series, "difficulty", { width: 1000, height: 200 }), "chart-card") +
    card("Estimated network hash rate", lineChart(series, rateKey, { width: 1000, height: 200, format: hashRate }), "chart-card") +
    card("Seconds between blocks", lineChart(series, intervalKey, {
      width: 1000,
      height: 160,
      clip: spacing ? 10 * spacing : null,
      reference: spacing ? { value: spacing, label: `target spacing ${spacing} s` } : null,
    }), "chart-card");
}

// ---------------------------------------------------------------- fork tree

// Lay out the block tree: one column per height, one lane per branch, the active chain in
// lane 0.  Returns {nodes: [{entry, column, lane}], edges: [[parent, child]]}.
function layoutForkTree(entries) {
  const byHash = new Map(entries.map((e) => [e.hash, e]));
  const children = new Map();
  const roots = [];
  for (const e of entries) {
    const prev = pick(e, "prev_hash", "prev");
    if (byHash.has(prev)) {
      if (!children.has(prev)) children.set(prev, []);
      children.get(prev).push(e);
    } else {
      roots.push(e);
    }
  }
  // Active child first, then heavier branches, so the active chain is a straight line.
  const order = (a, b) => Number(!!b.active) - Number(!!a.active) || Number(a.height) - Number(b.height);
  roots.sort(order);
  const minHeight = Math.min(...entries.map((e) => Number(e.height)));
  const placed = [];
  const edges = [];
  let nextLane = 0;
  // Iterative depth-first walk (a long chain would overflow the JS stack if recursive).
  const stack = roots.map((r) => ({ entry: r, lane: null })).reverse();
  while (stack.length) {
    const { entry, lane: given } = stack.pop();
    const lane = given === null ? nextLane++ : given;
    placed.push({ entry, column: Number(entry.height) - minHeight, lane });
    const kids = (children.get(entry.hash) || []).slice().sort(order);
    // The first child continues this lane; the others open new lanes (pushed last = walked after).
    for (let i = kids.length - 1; i >= 0; i -= 1) {
      edges.push([entry.hash, kids[i].hash]);
      stack.push({ entry: kids[i], lane: i === 0 ? lane : null });
    }
  }
  return { nodes: placed, edges };
}

function forkTreeSvg(entries) {
  const { nodes, edges } = layoutForkTree(entries);
  const W = 42, H = 40, BOX_W = 34, BOX_H = 24, PAD = 16;
  const columns = Math.max(...nodes.map((n) => n.column)) + 1;
  const lanes = Math.max(...nodes.map((n) => n.lane)) + 1;
  const width = PAD * 2 + columns * W;
  const height = PAD + 14 + lanes * H + 4;
  const at = new Map(nodes.map((n) => [n.entry.hash, n]));
  const cx = (n) => PAD + n.column * W + BOX_W / 2;
  const cy = (n) => PAD + 14 + n.lane * H + BOX_H / 2;
  const lines = edges.map(([a, b]) => {
    const p = at.get(a), c = at.get(b);
    return `<path class="edge" d="M${cx(p) + BOX_W / 2},${cy(p)} C${cx(p) + W / 2},${cy(p)} ${cx(c) - W / 2},${cy(c)} ${cx(c) - BOX_W / 2},${cy(c)}"/>`;
  }).join("");
  const minHeight = Math.min(...entries.map((e) => Number(e.height)));
  const ticks = [];
  for (let col = 0; col < columns; col += 1) {
    if (col % 5 === 0 || col === columns - 1) {
      ticks.push(`<text class="axis" x="${PAD + col * W + BOX_W / 2}" y="${PAD}" text-anchor="middle">#${minHeight + col}</text>`);
    }
  }
  const boxes = nodes.map((n) => {
    const e = n.entry;
    const state = e.invalid ? "invalid" : e.active ? "active" : "stale";
    return `<a href="#/block/${esc(e.hash)}" class="fork-block-link">` +
      `<g class="block ${state}" data-state="${state}" data-hash="${esc(e.hash)}" data-height="${esc(e.height)}">` +
      `<rect x="${cx(n) - BOX_W / 2}" y="${cy(n) - BOX_H / 2}" width="${BOX_W}" height="${BOX_H}" rx="5"/>` +
      `<text x="${cx(n)}" y="${cy(n) + 4}" text-anchor="middle">${esc(String(e.hash).slice(-4))}</text>` +
      `<title>#${esc(e.height)} ${esc(e.hash)} (${state}${e.reason ? `: ${esc(e.reason)}` : ""})</title></g></a>`;
  }).join("");
  return `<svg id="fork-tree" class="fork-tree" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-label="block tree">${ticks.join("")}${lines}${boxes}</svg>`;
}

async function viewForks() {
  const reply = await api("/api/forks");
  const all = listOf(reply, "blocks", "entries", "index");
  if (!all.length) return card("Fork tree", '<p class="muted">no blocks</p>');
  const top = Math.max(...all.map((e) => Number(e.height)));
  const shown = all.filter((e) => Number(e.height) > top - FORK_TREE_HEIGHTS);
  const stale = all.filter((e) => !e.active && !e.invalid);
  const invalid = all.filter((e) => e.invalid);
  const staleRows = stale
    .sort((a, b) => Number(b.height) - Number(a.height))
    .slice(0, 20)
    .map((e) => [esc(e.height), blockLink(e.hash, e.hash)]);
  return `<h1>Fork tree <span class="muted">${all.length} blocks known</span></h1>` +
    card(`Last ${FORK_TREE_HEIGHTS} heights`,
      '<p class="legend"><span class="key active"></span> active chain ' +
      '<span class="key stale"></span> stale branch <span class="key invalid"></span> invalid ' +
      '<span class="muted">— hover a block for its hash, click to open it</span></p>' +
      `<div class="scroll" id="fork-scroll">${forkTreeSvg(shown)}</div>`) +
    card(`Stale blocks (${stale.length})${invalid.length ? `, invalid blocks (${invalid.length})` : ""}`,
      '<p class="muted">A stale block was valid but lost the race: another branch gathered more ' +
      "work and the node reorganised to it.</p>" +
      table(["height", "hash"], staleRows, "stale-blocks"));
}

// ---------------------------------------------------------------- routing

const ROUTES = [
  [/^#?\/?$/, viewOverview, "overview"],
  [/^#\/block\/([0-9a-fA-F]{64})$/, viewBlock, "overview"],
  [/^#\/height\/(\d+)$/, viewHeight, "overview"],
  [/^#\/blocks\/(\d+)$/, viewBlocks, "overview"],
  [/^#\/tx\/([0-9a-fA-F]{64})$/, viewTx, "mempool"],
  [/^#\/trace\/([0-9a-fA-F]{64})\/(\d+)$/, viewTrace, "mempool"],
  [/^#\/address\/([A-Za-z0-9]+)$/, viewAddress, "overview"],
  [/^#\/mempool$/, viewMempool, "mempool"],
  [/^#\/stats$/, viewStats, "stats"],
  [/^#\/forks$/, viewForks, "forks"],
];

function setHtml(element, html) {
  if (element.dataset.html === html) return false;
  element.innerHTML = html;
  element.dataset.html = html;
  return true;
}

let rendering = false;

async function render() {
  if (rendering) return;
  rendering = true;
  const view = document.getElementById("view");
  const hash = location.hash || "#/";
  try {
    const route = ROUTES.find(([pattern]) => pattern.test(hash));
    document.querySelectorAll("nav a").forEach((a) =>
      a.classList.toggle("current", !!route && a.dataset.nav === route[2]));
    if (!route) {
      setHtml(view, card("Not found", `<p>No view for <code>${esc(hash)}</code>.</p>`));
    } else {
      const args = hash.match(route[0]).slice(1);
      const html = await route[1](args);
      if (html && (location.hash || "#/") === hash && setHtml(view, html)) {
        // Wide fork trees scroll: keep the newest blocks (the right end) in sight.
        const scroller = document.getElementById("fork-scroll");
        if (scroller) scroller.scrollLeft = scroller.scrollWidth;
      }
    }
    view.dataset.route = hash;
  } catch (error) {
    const what = error instanceof ApiError ? `${error.status} ${error.code}` : "error";
    setHtml(view, card("Could not load this view",
      `<p class="error-text" id="view-error"><b>${esc(what)}</b>: ${esc(error.message)}</p>`));
  } finally {
    rendering = false;
  }
  renderStatus();
}

// The search box: a number is a height; 64 hex digits a block or a transaction; else an address.
async function search(text) {
  const query = text.trim();
  if (/^\d+$/.test(query)) return `#/height/${query}`;
  if (/^[0-9a-fA-F]{64}$/.test(query)) {
    try {
      await api(`/api/blocks/${query}`);
      return `#/block/${query}`;
    } catch (_) {
      return `#/tx/${query}`;
    }
  }
  return `#/address/${query}`;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("refresh-seconds").textContent = String(REFRESH_MS / 1000);
  document.getElementById("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("search-input");
    if (input.value.trim()) location.hash = await search(input.value);
    input.value = "";
  });
  window.addEventListener("hashchange", () => {
    document.getElementById("view").dataset.html = "";
    render();
  });
  setInterval(() => {
    if (document.getElementById("auto-refresh").checked && !document.hidden) render();
  }, REFRESH_MS);
  render();
});
