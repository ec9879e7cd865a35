/* The offline QR verifier page (lookup/web/templates/web/offline_verify.html): reads a code from
   the camera or from a photo with jsQR (vendored, static/offline/vendor/), checks it with
   token.js against the key set and the revocation list the service worker keeps, and shows the
   verdict in the online screens' words. Nothing of a scanned code is kept: no storage, no
   history, no request carrying it; the result is gone when the page is left. */
import { extractToken, hostProblem, isUrl, readKeySet, revocationEntry, verifyToken } from "./token.js";

const root = document.getElementById("verifier");
const format = JSON.parse(root.dataset.format);
const screens = new Map(
  Array.from(document.querySelectorAll("#screens li"), (item) => [item.dataset.verdict, item.dataset]),
);
const box = document.getElementById("result");
const status = document.getElementById("data-status");
const video = document.getElementById("camera");
const startButton = document.getElementById("start-camera");
const stopButton = document.getElementById("stop-camera");
const picker = document.getElementById("qr-image");
const canvas = document.createElement("canvas");
const SCAN_INTERVAL_MS = 250;

let keySet = null;
let revoked = null; // { entries: Set, knownAsOf: string, fetchedAt: string }
let stream = null;

function when(iso) {
  if (!iso) {
    return "unknown";
  }
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? "unknown" : moment.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "omit" });
  if (!response.ok) {
    throw new Error(`${url}: ${response.status}`);
  }
  // Set by the service worker on what it keeps; a page not yet under the worker read it just now.
  const fetchedAt = response.headers.get("DipCheck-Fetched-At") || new Date().toISOString();
  return { data: await response.json(), fetchedAt };
}

async function loadData() {
  const problems = [];
  try {
    const keys = await fetchJson(root.dataset.keys);
    keySet = await readKeySet(keys.data);
  } catch (error) {
    problems.push("the key set is not on this phone");
  }
  try {
    const list = await fetchJson(root.dataset.revocations);
    revoked = {
      entries: new Set(list.data.revoked),
      knownAsOf: list.data.data_as_of,
      fetchedAt: list.fetchedAt,
    };
  } catch (error) {
    problems.push("the revocation list is not on this phone");
  }
  if (problems.length > 0) {
    status.textContent = `Cannot check codes offline: ${problems.join(" and ")}. Open this page once with a network, or call the 24/7 number.`;
  } else {
    status.textContent = `Ready. Revocations known as of ${when(revoked.knownAsOf)} (list fetched ${when(revoked.fetchedAt)}).`;
  }
}

function setText(selector, text) {
  const element = box.querySelector(selector);
  element.textContent = text || "";
  element.hidden = !text;
}

function factsOf(claims) {
  const issued = when(new Date(claims.issuedAt * 1000).toISOString());
  const expires = when(new Date(claims.expiresAt * 1000).toISOString());
  if (claims.receipt) {
    const facts = claims.receipt;
    const [levelCodes, insuranceCode] = facts.summary.split("/", 2);
    const levels = Array.from(levelCodes || "", (letter) => format.levels[letter]).filter(Boolean);
    const rows = [
      ["Reference", claims.subject],
      ["Looked up", issued],
      ["Channel", facts.channel],
      ["Looked up by", facts.queryKind.replace(/_/g, " ")],
      ["Query", facts.query],
      ["Result", `${facts.outcome.replace(/_/g, " ")}, ${facts.matches} match${facts.matches === 1 ? "" : "es"}`],
    ];
    if (levels.length > 0) {
      rows.push(["Immunity shown", levels.join(", ")]);
    }
    if (format.insurance[insuranceCode]) {
      rows.push(["Insurance shown", format.insurance[insuranceCode]]);
    }
    return ["Lookup receipt", rows];
  }
  if (claims.certificate) {
    const awarded = claims.certificate;
    return [
      "Training certificate",
      [
        ["Certificate number", claims.subject],
        ["Awarded to", awarded.holder],
        ["Hours of instruction", String(awarded.hoursTenths / 10)],
        ["Seminar held on", awarded.heldOn.toISOString().slice(0, 10)],
      ],
    ];
  }
  const card = claims.kind === "credential";
  return [
    card ? "State Department ID card" : "Diplomatic vehicle registration",
    [
      [card ? "Card number" : "Plate", claims.subject],
      ["Code issued", issued],
      ["Code valid until", expires],
    ],
  ];
}

function show(verdict, code, claims, warning) {
  const screen = screens.get(verdict);
  box.className = `result tone-${screen.tone}`;
  setText(".verdict", screen.banner);
  setText("h2", screen.title);
  setText(".message", verdict === "valid" ? root.dataset.validMessage : screen.message);
  setText(".address-warning", warning);
  const facts = box.querySelector(".facts");
  const list = facts.querySelector("dl");
  list.replaceChildren();
  facts.hidden = claims === null;
  if (claims !== null) {
    const [heading, rows] = factsOf(claims);
    facts.querySelector("h3").textContent = heading;
    for (const [label, value] of rows) {
      const term = document.createElement("dt");
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.textContent = value;
      list.append(term, detail);
    }
    const document_ = claims.receipt || claims.certificate ? "" : claims.kind === "credential" ? "card and the person" : "plate and the vehicle";
    setText(".compare", document_ ? `Compare these with the ${document_} in front of you. ${root.dataset.compare}` : "");
  }
  setText(".failed-notice", claims === null ? root.dataset.notice : "");
  setText(".code", `Support code: ${code}`);
  setText(".offline-line", `Offline check: revocations known as of ${when(revoked && revoked.knownAsOf)}.`);
  box.hidden = false;
  box.focus();
}

async function check(scanned) {
  if (keySet === null) {
    show("unavailable", "QR-KEYS-UNAVAILABLE", null, "");
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const outcome = await verifyToken(extractToken(scanned, format), keySet, now, format);
  let problem = null;
  if (isUrl(scanned)) {
    problem = keySet.issuer ? hostProblem(scanned, keySet.issuer, format) : "the key set names no address to compare with";
  }
  if (problem !== null) {
    // A genuine signature behind another address is a look-alike: nothing of it is shown.
    show("invalid", "QR-ADDRESS", null, `NOT A DIPCHECK ADDRESS: ${problem}; treat the code as a look-alike.`);
    return;
  }
  const claims = outcome.claims;
  if (outcome.verdict !== "valid") {
    show(outcome.verdict, outcome.code, null, "");
    return;
  }
  if (claims.kind === "credential" || claims.kind === "vehicle") {
    if (revoked === null) {
      show("unavailable", "QR-REVOCATIONS-UNAVAILABLE", null, "");
      return;
    }
    if (revoked.entries.has(await revocationEntry(outcome.typeByte, claims.subject, format))) {
      show("revoked", "QR-REVOKED", null, "");
      return;
    }
  }
  show("valid", outcome.code, claims, "");
}

function decode(image, width, height) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(image, 0, 0, width, height);
  const pixels = context.getImageData(0, 0, width, height);
  const found = window.jsQR(pixels.data, width, height, { inversionAttempts: "attemptBoth" });
  context.clearRect(0, 0, width, height);
  return found ? found.data : null;
}

async function fromFile() {
  const file = picker.files[0];
  if (!file) {
    return;
  }
  let text = null;
  try {
    const bitmap = await createImageBitmap(file);
    text = decode(bitmap, bitmap.width, bitmap.height);
    bitmap.close();
  } catch (unreadable) {
    text = null;
  }
  picker.value = ""; // the photo is not kept either
  if (text === null) {
    box.hidden = true;
    status.textContent = "No QR code found in this picture. Try a sharper, closer photo.";
    return;
  }
  await check(text);
}

function stopCamera() {
  if (stream !== null) {
    stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }
  video.srcObject = null;
  video.hidden = true;
  stopButton.hidden = true;
  startButton.hidden = false;
}

async function scanFrame() {
  if (stream === null) {
    return;
  }
  const text = video.videoWidth > 0 ? decode(video, video.videoWidth, video.videoHeight) : null;
  if (text !== null) {
    stopCamera();
    await check(text);
    return;
  }
  setTimeout(scanFrame, SCAN_INTERVAL_MS);
}

async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (refused) {
    status.textContent = "The camera cannot be used. Choose a photo of the code instead.";
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  startButton.hidden = true;
  stopButton.hidden = false;
  await video.play();
  scanFrame();
}

if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
  startButton.hidden = true;
}
startButton.addEventListener("click", startCamera);
stopButton.addEventListener("click", stopCamera);
picker.addEventListener("change", fromFile);
window.addEventListener("pagehide", stopCamera);
loadData();
