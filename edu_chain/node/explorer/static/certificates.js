// edu_chain explorer: the "verify a certificate" page, and anchoring transactions shown as such.
//
// Loaded after explorer.js (which owns ROUTES, api(), card(), fields(), esc()).  The page runs
// the steps of `educhain certificates verify` in the browser against this node's API:
// hash (sha256d of the canonical JSON, with the browser's crypto.subtle), Merkle path,
// anchoring transaction (GET /api/tx/{txid}/proof and /api/tx/{txid}), confirmations, the
// issuer's key on input 0, revocations (GET /api/anchors).  The node checked input 0's
// signature when it accepted the block; the command line checks it again itself.
// Record formats: edu_chain/certificates/anchor.py ("EDUC" + root; a revocation batch is
// "EDUR" + reason length (1 byte) + reason (UTF-8) + the revoked hashes, 32 bytes each;
// revoke's first version wrote "EDUR" + one hash + a reason of 1..44 bytes, still read).
"use strict";

const BATCH_TAG_HEX = "45445543"; // "EDUC"
const REVOKE_TAG_HEX = "45445552"; // "EDUR"

// Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
function fromHex(hex) {
  if (typeof hex !== "string" || !/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
}

async function sha256d(bytes) {
  const once = await crypto.subtle.digest("SHA-256", bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", once));
}

async function pathRoot(leaf, index, path) {
  let node = leaf;
  for (const siblingHex of path) {
    const sibling = fromHex(siblingHex);
    const pair = new Uint8Array(64);
    pair.set(index & 1 ? sibling : node, 0);
    pair.set(index & 1 ? node : sibling, 32);
    node = await sha256d(pair);
    index >>= 1;
  }
  return toHex(node);
}

class StepFailed extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

// The data of OP_RETURN <one push> (direct, OP_PUSHDATA1, 2 or 4), else null.
function opReturnData(output) {
  const hex = ((output && output.scriptPubKey) || {}).hex || "";
  if (!hex.startsWith("6a") || hex.length < 4) return null;
  const opcode = parseInt(hex.slice(2, 4), 16);
  const lengthBytes = { 0x4c: 1, 0x4d: 2, 0x4e: 4 }[opcode] || 0;
  if (opcode >= 0x4c && !lengthBytes) return null;
  let size = opcode;
  if (lengthBytes) {
    const little = hex.slice(4, 4 + 2 * lengthBytes).match(/../g) || [];
    size = parseInt(little.reverse().join("") || "0", 16);
  }
  const data = hex.slice(4 + 2 * lengthBytes);
  return data.length === 2 * size ? data : null;
}

// A revocation batch: {reason, hashes} (hashes as hex), or null if dataHex is not one.
function parseRevocation(dataHex) {
  if (!dataHex || !dataHex.startsWith(REVOKE_TAG_HEX) || dataHex.length < 10) return null;
  const size = parseInt(dataHex.slice(8, 10), 16);
  const rest = dataHex.slice(10 + 2 * size);
  if (size === 0 || rest.length < 64 || rest.length % 64 !== 0) return null;
  let reason;
  try {
    reason = new TextDecoder("utf-8", { fatal: true }).decode(fromHex(dataHex.slice(10, 10 + 2 * size)));
  } catch (_) {
    return null;
  }
  return { reason, hashes: rest.match(/.{64}/g) };
}

// A record of revoke's first version ("EDUR" + one hash + the reason), or null.
function parseLegacyRevocation(dataHex) {
  if (!dataHex || !dataHex.startsWith(REVOKE_TAG_HEX) || dataHex.length <= 72 || dataHex.length > 160) return null;
  let reason;
  try {
    reason = new TextDecoder("utf-8", { fatal: true }).decode(fromHex(dataHex.slice(72)));
  } catch (_) {
    return null;
  }
  return { reason, hashes: [dataHex.slice(8, 72)] };
}

// Every reading of dataHex as a revocation (anchor.py's read_revocation).
function readRevocation(dataHex) {
  return [parseRevocation(dataHex), parseLegacyRevocation(dataHex)].filter((record) => record);
}

function issuerKey(tx) {
  const witness = ((tx.vin || [])[0] || {}).txinwitness || [];
  return witness.length === 2 ? witness[1] : null;
}

async function verifyInBrowser(cert, minConfirmations, passed) {
  if (!window.crypto || !crypto.subtle) {
    throw new StepFailed("hash", "this browser has no crypto.subtle here (it needs the page served from 127.0.0.1 or over HTTPS)");
  }
  const body = cert.certificate;
  const leaf = await sha256d(new TextEncoder().encode(canonicalJson(body)));
  if (toHex(leaf) !== cert.hash) {
    throw new StepFailed("hash", `hash mismatch: the fields hash to ${toHex(leaf)}, the certificate carries ${cert.hash}`);
  }
  passed.push("hash");
  const batch = cert.batch;
  const depth = batch.size > 1 ? Math.ceil(Math.log2(batch.size)) : 0;
  if (batch.merkle_path.length !== depth || batch.index < 0 || batch.index >= batch.size ||
      (await pathRoot(leaf, batch.index, batch.merkle_path)) !== batch.root) {
    throw new StepFailed("merkle-path", `bad Merkle path: leaf ${batch.index} of ${batch.size} does not hash up to ${batch.root}`);
  }
  passed.push("merkle-path");
  const txid = cert.anchor.txid;
  let proof;
  try {
    proof = await api(`/api/tx/${encodeURIComponent(txid)}/proof`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    let status = null;
    try {
      status = (await api(`/api/tx/${encodeURIComponent(txid)}`)).status;
    } catch (_) {
      throw new StepFailed("anchor", `anchoring transaction unknown: this node has no transaction ${txid}`);
    }
    throw new StepFailed("anchor", `anchoring transaction not in the best chain: it is ${status}`);
  }
  const tx = await api(`/api/tx/${encodeURIComponent(txid)}`);
  if (!(tx.vout || []).some((o) => opReturnData(o) === BATCH_TAG_HEX + batch.root)) {
    throw new StepFailed("anchor", `anchoring transaction ${txid} does not record this batch's root`);
  }
  passed.push("anchor");
  if (proof.confirmations < minConfirmations) {
    throw new StepFailed("confirmations", `too few confirmations: ${proof.confirmations} < ${minConfirmations}`);
  }
  passed.push("confirmations");
  if (issuerKey(tx) !== body.issuer_public_key) {
    throw new StepFailed("issuer-signature", `input not signed by the issuer's key: input 0 presents ${issuerKey(tx)}`);
  }
  passed.push("issuer-signature");
  const found = await api(`/api/anchors?prefix=${REVOKE_TAG_HEX}&contains=${encodeURIComponent(cert.hash)}`);
  for (const entry of found.anchors || []) {
    const record = readRevocation(entry.data).find((r) => r.hashes.includes(cert.hash));
    if (!record) continue;
    const revocation = await api(`/api/tx/${encodeURIComponent(entry.txid)}`);
    if (issuerKey(revocation) === body.issuer_public_key) {
      throw new StepFailed("revocation", `revoked: ${record.reason} (transaction ${entry.txid}, ` +
        `revoking ${record.hashes.length} certificate(s))`);
    }
  }
  passed.push("revocation");
  return proof;
}

async function runCertificateCheck() {
  const out = document.getElementById("cert-result");
  const text = document.getElementById("cert-json").value;
  const minConfirmations = Number(document.getElementById("cert-min-conf").value || 1);
  let cert;
  try {
    cert = JSON.parse(text);
    if (!cert || cert.format !== "edu_chain-certificate" || !cert.certificate || !cert.batch || !cert.anchor) {
      throw new Error("no edu_chain-certificate format field");
    }
  } catch (error) {
    out.innerHTML = `<p class="error-text" id="cert-verdict"><b>not a certificate</b>: ${esc(error.message)}</p>`;
    return;
  }
  const passed = [];
  try {
    const proof = await verifyInBrowser(cert, minConfirmations, passed);
    const body = cert.certificate;
    out.innerHTML = `<p id="cert-verdict"><span class="badge">VALID</span> ${esc(body.student)} completed ` +
      `<b>${esc(body.course)}</b> with ${esc(body.total)} / ${esc(body.max_total)} on ${esc(body.date)}</p>` +
      fields([
        ["anchored in", txLink(cert.anchor.txid, cert.anchor.txid)],
        ["block", `${blockLink(proof.block_hash, proof.block_hash)} <span class="muted">height ${esc(proof.block_height)}, ${esc(proof.confirmations)} confirmations</span>`],
        ["issuer", `<span class="mono">${esc(body.issuer_public_key)}</span>`],
        ["checked", esc(passed.join(", "))],
      ]);
  } catch (error) {
    const step = error instanceof StepFailed ? error.step : "error";
    out.innerHTML = `<p class="error-text" id="cert-verdict"><span class="badge invalid">INVALID</span> ` +
      `at step <b id="cert-step">${esc(step)}</b>: ${esc(error.message)}</p>` +
      `<p class="muted">passed: ${esc(passed.join(", ") || "none")}</p>`;
  }
}

async function viewCertificate() {
  return "<h1>Verify a certificate</h1>" + card("Paste or drop a certificate file (JSON)",
    '<textarea id="cert-json" rows="10" spellcheck="false" placeholder="{&quot;format&quot;: &quot;edu_chain-certificate&quot;, ...}"></textarea>' +
    '<p><label>minimum confirmations <input id="cert-min-conf" type="number" min="0" value="1"></label> ' +
    '<button id="cert-verify" type="button">Verify</button></p>' +
    '<p class="muted">The same steps as <code>educhain certificates verify CERT --node URL</code>, ' +
    "against this node: hash, Merkle path, anchoring transaction, confirmations, issuer, revocation.</p>" +
    '<div id="cert-result"></div>');
}

// The transaction view marks certificate records (used by explorer.js's viewTx).
function anchorText(outputs) {
  for (const output of outputs || []) {
    const data = opReturnData(output);
    if (data && data.startsWith(BATCH_TAG_HEX) && data.length === 2 * 36) {
      return `<span class="badge" id="anchor-kind">certificate batch</span> root <span class="mono">${esc(data.slice(8))}</span>`;
    }
    const record = readRevocation(data)[0];
    if (record) {
      const shown = record.hashes.slice(0, 5).map((h) => `<span class="mono">${esc(h)}</span>`).join(", ");
      const more = record.hashes.length > 5 ? ` and ${record.hashes.length - 5} more` : "";
      return `<span class="badge invalid" id="anchor-kind">certificate revocation</span> ` +
        `of <span id="revoked-count">${record.hashes.length}</span> certificate(s) (${shown}${more}): ${esc(record.reason)}`;
    }
  }
  return null;
}

ROUTES.push([/^#\/certificate$/, viewCertificate, "certificate"]);

document.addEventListener("click", (event) => {
  if (event.target && event.target.id === "cert-verify") runCertificateCheck();
});
document.addEventListener("drop", (event) => {
  if (!event.target || event.target.id !== "cert-json") return;
  const file = event.dataTransfer && event.dataTransfer.files[0];
  if (!file) return;
  event.preventDefault();
  file.text().then((text) => { event.target.value = text; });
});
