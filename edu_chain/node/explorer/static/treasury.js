// edu_chain explorer: a scholarship treasury (#/treasury/<address>), and an address's history.
//
// Loaded after explorer.js (which owns ROUTES, api(), card(), fields(), table(), esc()).
// Everything here is derived from the chain through GET /api/address/{address}/history:
//
// * funding: a transaction that pays the treasury and spends none of its coins;
// * payout: a transaction that spends treasury coins (`sent` > 0); its outputs not locked by
//   the treasury are the payments, the others its change (edu_chain/scholarship/treasury.py);
// * returned: one that spends treasury coins and pays only the treasury, as
//   `educhain scholarship cancel` does to void a payout whose PSBT never came back;
// * a vesting tranche (edu_chain/scholarship/vesting.py) is a P2WSH output whose script,
//     OP_IF <unlock> OP_CHECKLOCKTIMEVERIFY OP_DROP OP_DUP OP_HASH160 <student> OP_EQUALVERIFY
//     OP_CHECKSIG OP_ELSE <expiry> OP_CHECKSEQUENCEVERIFY OP_DROP <m-of-n> OP_ENDIF,
//   appears on the chain only when the output is spent (the last witness item).  The item
//   before it picks the branch: 01 = the student claimed it, empty = the treasury clawed it
//   back.  An unspent P2WSH output shows no script, so the page says just that.
"use strict";

const HISTORY_PAGE = 100; // the route's largest page: a treasury of N transactions takes N/100 requests

const TRANCHE_ASM = new RegExp(
  "^OP_IF (\\d+) OP_CHECKLOCKTIMEVERIFY OP_DROP OP_DUP OP_HASH160 ([0-9a-f]{40}) " +
  "OP_EQUALVERIFY OP_CHECKSIG OP_ELSE (\\d+) OP_CHECKSEQUENCEVERIFY OP_DROP " +
  "(\\d+(?: [0-9a-f]{66})+ \\d+ OP_CHECKMULTISIG) OP_ENDIF$");

// Every confirmed transaction (oldest first) and the pending ones of an address, a page at a
// time until the node's count is reached.  Oldest first, a block found while we read only adds
// at the end; a reorg could shift a page, so a transaction seen twice is kept once, and a page
// that brings nothing new ends the reading (`complete` then says whether it is all there).
async function addressHistory(address) {
  const path = `/api/address/${encodeURIComponent(address)}/history?order=asc&limit=${HISTORY_PAGE}`;
  let reply = await api(path);
  const confirmed = reply.transactions.slice();
  const seen = new Set(confirmed.map((tx) => tx.txid));
  while (confirmed.length < reply.tx_count) {
    reply = await api(`${path}&offset=${confirmed.length}`);
    const fresh = reply.transactions.filter((tx) => !seen.has(tx.txid));
    if (!fresh.length) break;
    fresh.forEach((tx) => seen.add(tx.txid));
    confirmed.push(...fresh);
  }
  const mempool = reply.mempool.filter((tx) => !seen.has(tx.txid)); // mined while we read
  const mempoolCut = reply.mempool.length < reply.mempool_count; // the node lists at most 100
  return { ...reply, transactions: confirmed, mempool, mempoolCut,
    complete: confirmed.length >= reply.tx_count && !mempoolCut };
}

// What the chain says about one payment output of a payout.
function paymentStatus(output, treasuryScriptAsm) {
  const spent = output.spent_by;
  if (output.type !== "witness_v0_scripthash") {
    if (!spent) return { kind: "paid", text: "paid, unspent" };
    return { kind: "paid", text: spent.height === null ? "paid, spent (pending)" : "paid, spent by its owner" };
  }
  if (!spent) return { kind: "unknown", text: "unspent P2WSH (its script shows only when spent)" };
  const match = TRANCHE_ASM.exec(spent.witness_script_asm || "");
  if (!match) return { kind: "other", text: "spent P2WSH (not a tranche script)" };
  const tranche = { unlock: Number(match[1]), student: match[2], expiry: Number(match[3]) };
  if (treasuryScriptAsm && match[4] !== treasuryScriptAsm) {
    return { kind: "other", tranche, text: "spent tranche of another treasury's keys" };
  }
  const witness = spent.witness || [];
  const selector = witness.length >= 2 ? witness[witness.length - 2] : null;
  const pending = spent.height === null ? " (pending)" : "";
  if (selector === "01") return { kind: "claimed", tranche, text: `claimed by the student${pending}` };
  if (selector === "") return { kind: "clawed-back", tranche, text: `clawed back by the treasury${pending}` };
  return { kind: "other", tranche, text: "spent tranche (unknown branch)" };
}

// The treasury's own m-of-n script, revealed by any spend of its coins.
function treasuryScript(transactions) {
  for (const tx of transactions) {
    for (const output of tx.outputs) {
      if (output.mine && output.spent_by && output.spent_by.witness_script_asm) {
        return output.spent_by.witness_script_asm;
      }
    }
  }
  return null;
}

function confirmationsBadge(tx) {
  return tx.status === "pending"
    ? '<span class="badge pending">pending</span>'
    : `<span class="badge active">confirmed</span> <span class="muted">${esc(tx.confirmations)} conf.</span>`;
}

// One payout: its table row, its tranche rows, what it paid and the status of each payment.
// Students: one per address paid outright, one per student key hash a spent tranche shows;
// an unspent P2WSH output names nobody yet, so it is counted apart.
function payoutSummary(tx, script) {
  const payments = tx.outputs.filter((o) => !o.mine);
  const amount = payments.reduce((sum, o) => sum + Number(o.amount), 0);
  const students = new Set();
  const kinds = [];
  const tranches = [];
  let unrevealed = 0;
  for (const output of payments) {
    const status = paymentStatus(output, script);
    kinds.push(status.kind);
    if (output.type !== "witness_v0_scripthash") {
      students.add(`address ${output.address}`);
      continue;
    }
    const tranche = status.tranche;
    if (tranche) students.add(`key ${tranche.student}`);
    else unrevealed += 1;
    tranches.push(`<tr data-outpoint="${esc(tx.txid)}:${esc(output.index)}" data-status="${esc(status.kind)}">` + [
      `${txLink(tx.txid)}<span class="muted">:${esc(output.index)}</span>`,
      `<span class="amount">${esc(coins(output.amount))}</span>`,
      tranche ? `<span class="mono">${esc(short(tranche.student, 8))}</span>` : '<span class="muted">?</span>',
      tranche ? `student after #${esc(tranche.unlock)}; treasury ${esc(tranche.expiry)} blocks after the payout`
        : '<span class="muted">?</span>',
      `<span class="tranche-status">${esc(status.text)}</span>` +
        (output.spent_by ? ` ${txLink(output.spent_by.txid)}` : ""),
    ].map((cell) => `<td>${cell}</td>`).join("") + "</tr>");
  }
  const who = `${students.size} student(s)` + (unrevealed ? ` + ${unrevealed} unspent P2WSH output(s)` : "");
  const row = `<tr data-txid="${esc(tx.txid)}" data-status="${esc(tx.status)}" data-payments="${esc(payments.length)}" ` +
    `data-students="${esc(students.size)}" data-amount="${esc(amount)}" data-fee="${esc(tx.fee)}">` + [
    txLink(tx.txid),
    `${esc(payments.length)} output(s) <span class="muted">to ${esc(who)}</span>`,
    `<span class="amount">${esc(coins(amount))}</span>`,
    esc(coins(tx.fee)),
    confirmationsBadge(tx),
  ].map((cell) => `<td>${cell}</td>`).join("") + "</tr>";
  return { row, tranches, amount, fee: Number(tx.fee || 0), kinds };
}

function rowsTable(id, headers, rows, empty) {
  if (!rows.length) return `<p class="muted" id="${id}">${esc(empty)}</p>`;
  return `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${h}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`;
}

async function viewTreasury([address]) {
  const [info, history] = await Promise.all([
    api(`/api/address/${encodeURIComponent(address)}`),
    addressHistory(address),
  ]);
  const all = [...history.transactions, ...history.mempool];
  const script = treasuryScript(all);
  const funding = all.filter((tx) => tx.sent === 0 && tx.received > 0);
  const spending = all.filter((tx) => tx.sent > 0);
  const returned = spending.filter((tx) => tx.outputs.every((o) => o.mine));
  const payouts = spending.filter((tx) => !returned.includes(tx)).map((tx) => payoutSummary(tx, script));
  const returnedRows = returned.map((tx) => `<tr data-txid="${esc(tx.txid)}" data-fee="${esc(tx.fee)}">` + [
    txLink(tx.txid),
    `<span class="amount">${esc(coins(tx.received))}</span>`,
    esc(coins(tx.fee)),
    confirmationsBadge(tx),
  ].map((cell) => `<td>${cell}</td>`).join("") + "</tr>");
  const kinds = payouts.flatMap((p) => p.kinds);
  const count = (kind) => kinds.filter((k) => k === kind).length;
  const sum = (values) => values.reduce((total, v) => total + Number(v), 0);
  const fees = sum([...payouts.map((p) => p.fee), ...returned.map((tx) => tx.fee || 0)]);
  const fundingRows = funding.map((tx) => [
    txLink(tx.txid),
    `<span class="amount">${esc(coins(tx.received))}</span>`,
    tx.coinbase ? '<span class="badge">coinbase</span>' : "",
    confirmationsBadge(tx),
  ]);
  return `<h1>Scholarship treasury</h1>` +
    `<div class="grid">` +
    card("Treasury", fields([
      ["address", `<span class="mono" id="treasury-address">${esc(address)}</span> ` +
        `<a class="address-link" href="#/address/${esc(address)}">address view</a>`],
      ["type", esc(info.type)],
      ["balance", `<span class="big" id="treasury-balance" data-units="${esc(info.balance)}">${esc(coins(info.balance))}</span> coins` +
        (info.unconfirmed_delta ? ` <span class="muted">(${esc(coins(info.unconfirmed_delta))} pending)</span>` : "")],
      ["signers' script", script ? `<span class="mono">${esc(script)}</span>`
        : '<span class="muted">not on the chain until the treasury spends</span>'],
      ["history", `<span id="treasury-history" data-complete="${history.complete}" ` +
        `data-read="${esc(history.transactions.length)}">` + historyText(history) + "</span>"],
    ])) +
    card("Totals", fields([
      ["funded", `${esc(coins(sum(funding.map((tx) => tx.received))))} coins in ${esc(funding.length)} transaction(s)`],
      ["paid out", `${esc(coins(sum(payouts.map((p) => p.amount))))} coins in ${esc(payouts.length)} payout(s)`],
      ["fees", `<span id="treasury-fees" data-units="${esc(fees)}">${esc(coins(fees))}</span> coins` +
        (returned.length ? ' <span class="muted">(payouts and returns)</span>' : "")],
      ["tranches", `<span id="treasury-tranche-counts">${count("claimed")} claimed, ` +
        `${count("clawed-back")} clawed back, ${count("unknown")} unspent</span>`],
    ])) +
    `</div>` +
    card(`Funding (${funding.length})`, table(["txid", "amount", "", "status"], fundingRows, "treasury-funding")) +
    card(`Payouts (${payouts.length})`,
      '<p class="muted">Transactions that spend the treasury\'s coins (each needs the threshold of ' +
      "signers). Payments are the outputs not locked by the treasury; the rest is change.</p>" +
      rowsTable("treasury-payouts", ["txid", "payments", "amount", "fee", "status"],
        payouts.map((p) => p.row), "No payout yet.")) +
    (returned.length ? card(`Returned to the treasury (${returned.length})`,
      '<p class="muted">Transactions that spend the treasury\'s coins and pay only the treasury: ' +
      "<code>educhain scholarship cancel</code> voiding a payout whose signed PSBT never came back " +
      "(its coins spent, the old PSBT can never be mined; its students are paid by a new payout).</p>" +
      rowsTable("treasury-returned", ["txid", "returned", "fee", "status"], returnedRows, "")) : "") +
    card(`Vesting tranches (${sum(payouts.map((p) => p.tranches.length))})`,
      '<p class="muted">A tranche is a P2WSH output: its script (edu_chain/scholarship/vesting.py) is on the ' +
      "chain only once it is spent, by the student (after the unlock height) or by the treasury " +
      "(after the expiry).</p>" +
      rowsTable("treasury-tranches", ["output", "amount", "student key hash", "terms", "status"],
        payouts.flatMap((p) => p.tranches), "No P2WSH payments: every student was paid outright."));
}

// How much of the history the page read: all of it, or plainly what is missing.
function historyText(history) {
  const read = history.transactions.length;
  let text = read >= history.tx_count ? `${esc(history.tx_count)} confirmed transaction(s)`
    : `<b>cut</b>: the first ${esc(read)} of ${esc(history.tx_count)} confirmed transactions ` +
      "(the chain changed while the page read it; it reads again at the next refresh)";
  if (history.mempool_count) {
    text += !history.mempoolCut ? `, ${esc(history.mempool_count)} pending`
      : `, <b>cut</b>: the node lists ${esc(history.mempool.length)} of ${esc(history.mempool_count)} pending`;
  }
  return text;
}

// An address's history, for the address view.
async function historyCard(address) {
  const reply = await api(`/api/address/${encodeURIComponent(address)}/history?limit=25`);
  const rows = [...reply.mempool, ...reply.transactions].map((tx) => [
    txLink(tx.txid),
    tx.height === null ? '<span class="badge pending">mempool</span>' : esc(tx.height),
    tx.received ? `<span class="amount">+${esc(coins(tx.received))}</span>` : "",
    tx.sent ? `<span class="amount">−${esc(coins(tx.sent))}</span>` : "",
    esc(tx.confirmations),
  ]);
  const more = reply.tx_count > reply.transactions.length
    ? `<p class="muted">the newest 25 of ${esc(reply.tx_count)} transactions</p>` : "";
  return card(`History (${esc(reply.tx_count)} confirmed)`,
    table(["txid", "height", "received", "sent", "confirmations"], rows, "address-history") + more +
    `<p><a id="treasury-link" href="#/treasury/${esc(address)}">open as a scholarship treasury →</a></p>`);
}

ROUTES.push([/^#\/treasury\/([A-Za-z0-9]+)$/, viewTreasury, "overview"]);
