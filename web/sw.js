// Service worker: MNIST Sorter works offline after the first visit.
//
// scripts/build_site.py (via scripts/offline.py) writes this file to the site's root with
// VERSION (a hash of every precached file) and PRECACHE (their paths, relative to this file).
// One cache per deployment, `mnist-sorter-<VERSION> <scope path>`: it holds that deployment's
// page, app files, PyScript, Pyodide with the wheels the app loads (numpy, matplotlib and
// their dependencies) and the data manifest, all answered from the cache first, so a page
// never mixes two deployments. Data bundles are added when the page uses them.
//
// A new deployment installs beside the running one and waits: the page offers
// "Update available" and sends "skip-waiting" only when the user asks and no run is going.
// On activation the older caches of this same app and scope are deleted; caches of other
// apps on the shared origin (GitHub Pages) are never touched.

const VERSION = "{{VERSION}}";
const PRECACHE = {{PRECACHE}};

const PREFIX = "mnist-sorter-";
const SCOPE_PATH = new URL("./", self.location.href).pathname;
const CACHE = `${PREFIX}${VERSION} ${SCOPE_PATH}`;
const INDEX = new URL("./index.html", self.location.href).href;
const BUNDLE = /^data\/[\w.-]+\.npz$/; // data bundles, relative to the scope

function ours(name) {
  return name.startsWith(PREFIX) && name.endsWith(` ${SCOPE_PATH}`);
}

function relative(url) {
  return url.pathname.startsWith(SCOPE_PATH) ? url.pathname.slice(SCOPE_PATH.length) : null;
}

// Content-hashed or versioned paths may come from the HTTP cache; the page and the manifest,
// which name this deployment's other files, always from the server.
function precacheRequest(path) {
  const fresh = path === "index.html" || path === "data/manifest.json";
  return new Request(new URL(path, self.location.href), { cache: fresh ? "reload" : "default" });
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map(precacheRequest));
    // A page from another deployment (a CDN or proxy in between) would mix versions: refuse it.
    const page = await (await cache.match(INDEX)).text();
    if (!PRECACHE.some((path) => path.startsWith("app-") && page.includes(path.split("/")[0]))) {
      await caches.delete(CACHE);
      throw new Error("index.html is not this deployment's page; installing later");
    }
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (ours(name) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "skip-waiting") {
    self.skipWaiting();
  } else if (message.type === "keep-bundles" && Array.isArray(message.urls)) {
    // Bundles the page downloaded before this worker controlled it.
    const reply = event.ports[0];
    event.waitUntil(keepBundles(message.urls).finally(() => reply && reply.postMessage("kept")));
  }
});

async function keepBundles(urls) {
  const cache = await caches.open(CACHE);
  for (const text of urls.slice(0, 16)) {
    let url;
    try { url = new URL(text, self.location.href); } catch { continue; }
    if (url.origin !== self.location.origin || !BUNDLE.test(relative(url) || "")) continue;
    if (await cache.match(url.href)) continue;
    try { await cache.add(url.href); } catch { /* offline or gone: kept next time it is used */ }
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const path = url.origin === self.location.origin ? relative(url) : null;
  if (path === null || path === "sw.js") return;
  event.respondWith(respond(event, request, path));
});

async function respond(event, request, path) {
  const cache = await caches.open(CACHE);
  const navigation = request.mode === "navigate" && (path === "" || path === "index.html");
  const hit = navigation ? await cache.match(INDEX) : await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.status === 200 && BUNDLE.test(path)) {
    // Named by their sha256 (in the query): safe to keep until the next deployment.
    event.waitUntil(cache.put(request, response.clone()).catch(() => {}));
  }
  return response;
}
