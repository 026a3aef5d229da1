// The classroom page: polls the host's classroom API every 2 s and redraws.  Same-origin
// only (the node's Content-Security-Policy), so it works on a LAN without internet.
"use strict";

const $ = (id) => document.getElementById(id);

async function getJSON(path) {
  const reply = await fetch(path, { cache: "no-store" });
  if (!reply.ok) throw new Error(path + ": " + reply.status);
  return reply.json();
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function formatRate(hps) {
  const units = ["H/s", "kH/s", "MH/s", "GH/s"];
  let i = 0;
  while (hps >= 1000 && i < units.length - 1) { hps /= 1000; i += 1; }
  return hps.toFixed(hps < 10 ? 2 : 0) + " " + units[i];
}

function drawInfo(info) {
  $("title").textContent = info.name;
  document.title = info.name + " · edu_chain classroom";
  $("tip-height").textContent = info.tip.height;
  $("count").textContent = info.participants;
  $("join-token").textContent = info.join_token;
  $("host-address").textContent = info.host;
  $("join-command").textContent = info.join_command;
  const part = info.controls.partition;
  $("partition-status").textContent = part
    ? "Partitioned: group B = " + part.join(", ") + " (the rest stay with the host)"
    : (info.controls.mining ? "" : "Mining paused by the instructor");
  const pace = info.pace;
  const seconds = (v) => (v === null ? "—" : v + " s/block");
  $("pace").textContent =
    (pace.target ? "target: " + pace.target + " s/block" : "no target (miners start at once)") +
    " · measured over the last " + pace.blocks + " blocks" +
    (pace.target ? " since it was set" : "") + ": " + seconds(pace.arrived) +
    " as they arrived here, " + seconds(pace.measured) + " by their timestamps" +
    " · difficulty aims at " + pace.consensus_spacing + " s/block";
  const reorgs = info.reorgs;
  $("reorg").hidden = reorgs.length === 0;
  if (reorgs.length) {
    const last = reorgs[reorgs.length - 1];
    $("reorg-text").textContent = "At height " + last.height + ", " + last.disconnected.length +
      " block(s) left the best chain: " + last.disconnected.map((h) => h.slice(0, 12)).join(", ");
  }
}

function drawLeaderboard(rows) {
  const body = $("leaderboard").querySelector("tbody");
  body.replaceChildren();
  rows.forEach((r, i) => {
    const tr = document.createElement("tr");
    tr.dataset.name = r.name;
    cell(tr, String(i + 1));
    cell(tr, r.name, "name");
    cell(tr, String(r.blocks), "blocks");
    cell(tr, String(r.stale_blocks), "stale");
    cell(tr, formatRate(r.hash_rate));
    cell(tr, (r.balance / 1e8).toFixed(2));
    cell(tr, r.online ? "●" : "○", r.online ? "" : "offline");
    body.appendChild(tr);
  });
}

function drawChallenges(board) {
  const body = $("challenges").querySelector("tbody");
  body.replaceChildren();
  for (const c of board.challenges) {
    const tr = document.createElement("tr");
    tr.dataset.id = c.id;
    cell(tr, c.title);
    cell(tr, String(c.points));
    cell(tr, c.first || "—", "first");
    cell(tr, c.solvers.map((s) => s.name).join(", "), "solvers");
    body.appendChild(tr);
  }
}

async function refresh() {
  try {
    const [info, rows, board] = await Promise.all([
      getJSON("/api/classroom/info"),
      getJSON("/api/classroom/leaderboard"),
      getJSON("/api/classroom/challenges"),
    ]);
    drawInfo(info);
    drawLeaderboard(rows);
    drawChallenges(board);
    document.body.dataset.loaded = "1";
  } catch (error) {
    $("partition-status").textContent = "host unreachable: " + error.message;
  }
}

async function control(action) {
  const body = { action };
  if (action === "pace" && $("interval").value !== "") body.interval = Number($("interval").value);
  const reply = await fetch("/api/classroom/control", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-EduChain-Token": $("token").value },
    body: JSON.stringify(body),
  });
  const data = await reply.json();
  $("control-result").textContent = reply.ok
    ? action + ": done"
    : action + ": " + data.error.code + " (" + data.error.message + ")";
  refresh();
}

// Reset wipes the group's participants, scores and challenges: one click must not do it.
const RESET_QUESTION =
  "Reset for the next group? Participants, the leaderboard and the challenges start over " +
  "from the current height (the chain itself stays).";

for (const button of document.querySelectorAll("#controls button")) {
  button.addEventListener("click", () => {
    if (button.dataset.action === "reset" && !window.confirm(RESET_QUESTION)) {
      $("control-result").textContent = "reset: cancelled";
      return;
    }
    control(button.dataset.action);
  });
}
refresh();
setInterval(refresh, 2000);
