/* The offline check of a DipCheck QR token, as lookup/qr/tokens.py `verify` does it on the server
   and `dipcheck qr verify` offline: the same steps in the same order, so a code gets the same
   verdict and support code everywhere. The token layout is documented in tokens.py; the numbers
   and code tables come from the page (`format`, written by lookup/web/offline.py from the Python
   constants), so there is one source for them. Ed25519 is checked with WebCrypto.

   The order matters: the key before the signature, the signature before any claim, so a code
   that fails knows nothing of its content. */

const HEADER_BYTES = 14; // version, type, key id (4), issued (4), expires (4)
const CERTIFICATE_TAIL = 4; // hours in tenths (2), seminar day (2)
const DAY_MS = 86400 * 1000;

export class KeySetError extends Error {}

function bytesOf(base64) {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeB64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/* Strict base64url without padding: one token, one spelling (no stray trailing bits). */
export function decodeB64url(text) {
  if (!text || !/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) {
    return null;
  }
  const standard = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  let raw;
  try {
    raw = bytesOf(standard);
  } catch (malformed) {
    return null;
  }
  return encodeB64url(raw) === text ? raw : null;
}

/* The token in what a scanner read: the bare token, or a verification URL ending in it. */
export function extractToken(scanned, format) {
  let text = scanned.trim();
  const at = text.lastIndexOf(format.scan_path);
  if (at >= 0) {
    text = text.slice(at + format.scan_path.length);
  }
  return text.split("?", 1)[0].split("#", 1)[0];
}

export function isUrl(scanned) {
  return scanned.includes("://");
}

function origin(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch (notUrl) {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    return null;
  }
  // The URL parser gives the host in ASCII (IDNA), lower-cased, and no port when it is the default.
  return { scheme: url.protocol.slice(0, -1), host: url.hostname, port: url.port, path: url.pathname };
}

/* Why a scanned verification URL is not on the issuer's address, or null when it is (the rule of
   lookup/qr/origin.py: the exact host, scheme, port and path). */
export function hostProblem(scanned, issuer, format) {
  const want = origin(issuer);
  if (want === null) {
    return `the key set's issuer ${issuer} is not an http(s) URL`;
  }
  const found = origin(scanned);
  if (found === null) {
    return "the scanned text is not an http(s) URL";
  }
  if (found.host !== want.host) {
    return `host '${found.host}' is not the DipCheck host '${want.host}'`;
  }
  if (found.scheme !== want.scheme || found.port !== want.port) {
    const port = found.port ? `:${found.port}` : "";
    return `address ${found.scheme}://${found.host}${port} is not ${issuer}`;
  }
  const prefix = want.path.replace(/\/+$/, "") + format.scan_path;
  if (!found.path.startsWith(prefix)) {
    return `path does not start with ${prefix}`;
  }
  return null;
}

function seconds(iso) {
  if (iso === null || iso === undefined) {
    return null;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new KeySetError("a key's time cannot be read");
  }
  return Math.floor(ms / 1000);
}

/* The published key set (/.well-known/dipcheck-keys.json), checked as KeySet.from_json checks it:
   Ed25519 keys only, each key id the start of its public key's SHA-256. */
export async function readKeySet(data) {
  if (!data || !Array.isArray(data.keys)) {
    throw new KeySetError("not a DipCheck key set");
  }
  const keys = [];
  for (const entry of data.keys) {
    if (entry.kty !== "OKP" || entry.crv !== "Ed25519" || typeof entry.x !== "string") {
      throw new KeySetError("only Ed25519 keys are supported");
    }
    if (!["active", "verifying", "retired"].includes(entry.status)) {
      throw new KeySetError(`unknown key status ${entry.status}`);
    }
    const padded = entry.x + "=".repeat((4 - (entry.x.length % 4)) % 4);
    const raw = bytesOf(padded.replace(/-/g, "+").replace(/_/g, "/"));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
    if (raw.length !== 32 || hex(digest.slice(0, 4)) !== entry.kid) {
      throw new KeySetError(`key ${entry.kid}: its id does not match its public key`);
    }
    keys.push({
      kid: entry.kid,
      raw,
      status: entry.status,
      verifyUntil: seconds(entry.verify_until),
    });
  }
  return { keys, issuer: typeof data.issuer === "string" && data.issuer ? data.issuer : null };
}

/* The key for `kid` if it may verify at `now` (active, or verifying within its overlap). */
function verifyingKey(keySet, kid, now) {
  for (const key of keySet.keys) {
    const overlapEnded = key.verifyUntil !== null && now >= key.verifyUntil;
    const retired = key.status === "retired" || (key.status === "verifying" && overlapEnded);
    if (key.kid === kid && !retired) {
      return key;
    }
  }
  return null;
}

class Malformed extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function readText(body, offset, limit, asciiOnly = false) {
  if (offset >= body.length) {
    throw new Malformed();
  }
  const length = body[offset];
  const end = offset + 1 + length;
  if (length > limit || end > body.length) {
    throw new Malformed();
  }
  const slice = body.slice(offset + 1, end);
  if (asciiOnly && slice.some((b) => b > 0x7f)) {
    throw new Malformed();
  }
  try {
    return [utf8.decode(slice), end];
  } catch (invalid) {
    throw new Malformed();
  }
}

function decodeClaims(body, kind, format) {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const issuedAt = view.getUint32(6);
  const expiresAt = view.getUint32(10);
  let [subject, offset] = readText(body, HEADER_BYTES, format.limits.subject);
  if (!subject || issuedAt > expiresAt) {
    throw new Malformed();
  }
  const claims = { kind, subject, issuedAt, expiresAt, receipt: null, certificate: null };
  if (kind === "receipt") {
    if (offset + 4 > body.length) {
      throw new Malformed();
    }
    const [channel, queryKind, outcome, matches] = body.slice(offset, offset + 4);
    const known = channel < format.channels.length && queryKind < format.query_kinds.length;
    if (!known || outcome >= format.outcomes.length) {
      throw new Malformed();
    }
    let query;
    let summary;
    [query, offset] = readText(body, offset + 4, format.limits.query);
    [summary, offset] = readText(body, offset, format.limits.summary, true);
    claims.receipt = {
      channel: format.channels[channel],
      queryKind: format.query_kinds[queryKind],
      outcome: format.outcomes[outcome],
      matches,
      query,
      summary,
    };
  }
  if (kind === "certificate") {
    let holder;
    [holder, offset] = readText(body, offset, format.limits.holder);
    if (offset + CERTIFICATE_TAIL > body.length) {
      throw new Malformed();
    }
    const tenths = view.getUint16(offset);
    const days = view.getUint16(offset + 2);
    offset += CERTIFICATE_TAIL;
    claims.certificate = { holder, hoursTenths: tenths, heldOn: new Date(days * DAY_MS) };
  }
  if (offset !== body.length) {
    throw new Malformed();
  }
  return claims;
}

function result(verdict, code, kid = null, claims = null, typeByte = null) {
  return { verdict, code, kid, claims, typeByte };
}

/* Check a token against a key set read by readKeySet, at `now` (Unix seconds). Never throws on
   bad input. The verdicts and codes are tokens.py's. */
export async function verifyToken(token, keySet, now, format) {
  if (token.length > format.max_chars) {
    return result("invalid", "QR-FORMAT");
  }
  const raw = decodeB64url(token);
  if (raw === null || raw.length < HEADER_BYTES + 2 + format.signature_bytes) {
    return result("invalid", "QR-FORMAT");
  }
  if (raw[0] !== format.version) {
    return result("invalid", "QR-VERSION");
  }
  const kind = format.kinds[String(raw[1])];
  if (kind === undefined) {
    return result("invalid", "QR-TYPE");
  }
  const kid = hex(raw.slice(2, 2 + format.kid_bytes));
  const key = verifyingKey(keySet, kid, now);
  if (key === null) {
    return result("unknown_key", "QR-UNKNOWN-KEY", kid);
  }
  const body = raw.slice(0, raw.length - format.signature_bytes);
  const signature = raw.slice(raw.length - format.signature_bytes);
  const publicKey = await crypto.subtle.importKey("raw", key.raw, { name: "Ed25519" }, false, ["verify"]);
  const signed = concat(bytesOf(format.context), body);
  const genuine = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, signed);
  if (!genuine) {
    return result("invalid", "QR-SIGNATURE", kid);
  }
  let claims;
  try {
    claims = decodeClaims(body, kind, format);
  } catch (malformed) {
    return result("invalid", "QR-FORMAT", kid);
  }
  if (claims.issuedAt > now + format.skew) {
    return result("not_yet_valid", "QR-NOT-YET-VALID", kid, claims, raw[1]);
  }
  if (now >= claims.expiresAt) {
    return result("expired", "QR-EXPIRED", kid, claims, raw[1]);
  }
  return result("valid", "QR-VALID", kid, claims, raw[1]);
}

/* The revocation-list entry of a verified code (lookup/qr/revocations.py `entry`). */
export async function revocationEntry(typeByte, subject, format) {
  const data = concat(bytesOf(format.revocation.context), new Uint8Array([typeByte]), new TextEncoder().encode(subject));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return hex(digest.slice(0, format.revocation.bytes));
}
