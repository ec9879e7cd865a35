/* DipCheck's service worker: keeps the offline bundle (lookup/web/offline.py) and nothing else.

   - Install: fetch the bundle's list (offline/bundle.json) and cache every URL in it, without
     cookies, under a cache named after the version in this script's own URL (?v=...).
   - Activate: delete every other DipCheck cache, so a deploy replaces the bundle whole.
   - Fetch: the network first, always. Only when it fails does a bundle URL come from the cache,
     and a page (any officer page opened in a dead zone) gets its cached copy or the offline page.
     Responses are never added to the cache here, except the public key set and revocation list
     (the bundle's `data`), refreshed whenever the network answers, with the time they were
     fetched. Answers, lookups and signed-in pages are never stored. */
"use strict";

const VERSION = new URL(self.location.href).searchParams.get("v") || "unversioned";
const PREFIX = "dipcheck-offline-";
const CACHE = PREFIX + VERSION;
const SCOPE = self.registration.scope;
const BUNDLE_URL = new URL("offline/bundle.json", SCOPE).href;
const OFFLINE_URL = new URL("offline", SCOPE).href;
const FETCHED_AT = "DipCheck-Fetched-At";
// Public data older than this is fetched again in the background when a page loads online.
const DATA_REFRESH_MS = 60 * 60 * 1000;

function publicRequest(url) {
  // No cookies: what is cached is what anyone gets, never a signed-in officer's page.
  return new Request(url, { credentials: "omit", cache: "no-store", redirect: "error" });
}

async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set(FETCHED_AT, new Date().toISOString());
  const body = await response.arrayBuffer();
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

async function fetchInto(cache, url) {
  const response = await fetch(publicRequest(url));
  if (!response.ok) {
    throw new Error(`offline bundle: ${url} answered ${response.status}`);
  }
  await cache.put(url, await stamped(response));
}

async function install() {
  const cache = await caches.open(CACHE);
  const listing = await fetch(publicRequest(BUNDLE_URL));
  if (!listing.ok) {
    throw new Error(`offline bundle: list answered ${listing.status}`);
  }
  const listed = await listing.clone().json();
  const data = absolute(listed.data);
  const files = [...absolute(listed.urls)].filter((url) => !data.has(url));
  await Promise.all(files.map((url) => fetchInto(cache, url)));
  // The key set and the revocation list may be unavailable for a while (no data published yet):
  // the rest still installs, and the verifier says what it lacks until a later fetch brings them.
  await Promise.all([...data].map((url) => fetchInto(cache, url).catch(() => undefined)));
  await cache.put(BUNDLE_URL, listing);
}

async function activate() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
  );
  await self.clients.claim();
}

let kept = null; // this version's list, read once per worker start

async function bundle() {
  if (kept === null) {
    const listing = await (await caches.open(CACHE)).match(BUNDLE_URL);
    if (!listing) {
      return { urls: [], data: [] };
    }
    kept = await listing.json();
  }
  return kept;
}

function absolute(paths) {
  return new Set(paths.map((path) => new URL(path, SCOPE).href));
}

async function refreshData(data) {
  const cache = await caches.open(CACHE);
  await Promise.all(
    [...data].map(async (url) => {
      const cached = await cache.match(url);
      const at = cached ? Date.parse(cached.headers.get(FETCHED_AT) || "") : NaN;
      if (!(Date.now() - at < DATA_REFRESH_MS)) {
        await fetchInto(cache, url).catch(() => undefined);
      }
    }),
  );
}

async function page(event) {
  try {
    const response = await fetch(event.request);
    const listed = await bundle();
    event.waitUntil(refreshData(absolute(listed.data)));
    return response;
  } catch (offline) {
    const cache = await caches.open(CACHE);
    const url = event.request.url.split("#")[0];
    return (await cache.match(url)) || (await cache.match(OFFLINE_URL)) || Response.error();
  }
}

async function resource(request) {
  const listed = await bundle();
  const url = request.url.split("#")[0];
  if (!absolute(listed.urls).has(url)) {
    return fetch(request);
  }
  const cache = await caches.open(CACHE);
  if (absolute(listed.data).has(url)) {
    try {
      await fetchInto(cache, url);
    } catch (offline) {
      // The copy fetched last time, with its time, follows.
    }
    return (await cache.match(url)) || Response.error();
  }
  try {
    return await fetch(request);
  } catch (offline) {
    return (await cache.match(url)) || Response.error();
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(install().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(activate());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(self.location.origin + "/")) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else {
    event.respondWith(resource(request));
  }
});
