// Data bundles for the page: fetched once, checked against the manifest's sha256,
// kept in IndexedDB under that hash, read back from there on later visits.
//
// Loaded as a module before PyScript, so the first bundle's download (or IndexedDB
// read) runs while the Python runtime boots. Python awaits the same promise through
// `globalThis.mnistSorterData.bundle(name)`.

const DB_NAME = "mnist-sorter-bundles"; // GitHub Pages sites share one origin: prefix
const STORE = "bundles";
const MANIFEST_URL = new URL("data/manifest.json", document.baseURI);

const loads = new Map(); // bundle name -> Promise<LoadedBundle>

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function sha256(bytes) {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

let database = null;
function openDatabase() {
  if (database === null) {
    database = (async () => {
      const opening = indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
      return request(opening);
    })();
  }
  return database;
}

async function readCached(hash) {
  const db = await openDatabase();
  return request(db.transaction(STORE).objectStore(STORE).get(hash));
}

async function writeCached(hash, record) {
  const db = await openDatabase();
  const transaction = db.transaction(STORE, "readwrite");
  const store = transaction.objectStore(STORE);
  // One copy per bundle name: drop older versions of the same bundle.
  const keys = await request(store.getAllKeys());
  for (const key of keys) {
    const old = await request(store.get(key));
    if (old && old.name === record.name && key !== hash) store.delete(key);
  }
  store.put(record, hash);
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("transaction aborted"));
  });
}

async function dropCached(hash) {
  const db = await openDatabase();
  await request(db.transaction(STORE, "readwrite").objectStore(STORE).delete(hash));
}

function report(entry, loaded, source) {
  window.dispatchEvent(new CustomEvent("mnist-sorter:data-progress", {
    detail: { name: entry.name, loaded, total: entry.bytes, source },
  }));
}

async function download(entry) {
  // The hash in the query names this exact content: a cache (GitHub Pages keeps files
  // ten minutes) can never hand back an older bundle under the same name.
  const url = new URL(`data/${entry.file}?sha256=${entry.sha256.slice(0, 16)}`, document.baseURI);
  const response = await fetch(url).catch((error) => {
    throw new Error(`data/${entry.file} could not be downloaded (${error.message}); check the connection`);
  });
  if (!response.ok) throw new Error(`data/${entry.file}: HTTP ${response.status}`);
  const bytes = new Uint8Array(entry.bytes);
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch((error) => {
      throw new Error(`data/${entry.file}: the download broke off after ${loaded} bytes (${error.message})`);
    });
    if (done) break;
    if (loaded + value.length > bytes.length) throw new Error(`data/${entry.file} is larger than the manifest says`);
    bytes.set(value, loaded);
    loaded += value.length;
    report(entry, loaded, "network");
  }
  if (loaded !== entry.bytes) throw new Error(`data/${entry.file} is ${loaded} bytes, the manifest says ${entry.bytes}`);
  if ((await sha256(bytes)) !== entry.sha256) throw new Error(`data/${entry.file} does not match its sha256 in the manifest`);
  return bytes.buffer;
}

// Returns {buffer, source: "cache" | "network", kept: bool, note: string}.
async function load(entry) {
  let note = "";
  let cacheUsable = true;
  try {
    const cached = await readCached(entry.sha256);
    if (cached && cached.buffer && (await sha256(cached.buffer)) === entry.sha256) {
      report(entry, entry.bytes, "cache");
      return { buffer: cached.buffer, source: "cache", kept: true, note: "" };
    }
    if (cached) {
      note = "The stored copy of the data was damaged; it was dropped and downloaded again. ";
      await dropCached(entry.sha256);
    }
  } catch (error) {
    cacheUsable = false;
  }
  const buffer = await download(entry);
  let kept = false;
  if (cacheUsable) {
    try {
      await writeCached(entry.sha256, { name: entry.name, buffer });
      kept = true;
    } catch (error) {
      kept = false;
    }
  }
  if (!kept) note += "The data could not be kept in this browser's storage; it will be downloaded again next visit.";
  return { buffer, source: "network", kept, note: note.trim() };
}

const manifest = fetch(MANIFEST_URL, { cache: "no-cache" }).then(async (response) => {
  if (!response.ok) throw new Error(`data/manifest.json: HTTP ${response.status}`);
  const parsed = await response.json();
  if (parsed.format !== 1 || !Array.isArray(parsed.bundles) || parsed.bundles.length === 0) {
    throw new Error("data/manifest.json is not a format-1 manifest with bundles");
  }
  return parsed;
});

function bundle(name) {
  if (!loads.has(name)) {
    loads.set(name, manifest.then((parsed) => {
      const entry = parsed.bundles.find((candidate) => candidate.name === name);
      if (!entry) throw new Error(`no data bundle named ${name} in data/manifest.json`);
      return load(entry);
    }));
    // A failed download is not remembered: the next request for the bundle tries again.
    const loading = loads.get(name);
    loading.catch(() => { if (loads.get(name) === loading) loads.delete(name); });
  }
  return loads.get(name);
}

// Forget a bundle whose contents Python refused, so the next request downloads it again.
async function discard(name) {
  const parsed = await manifest;
  const entry = parsed.bundles.find((candidate) => candidate.name === name);
  loads.delete(name);
  if (entry) {
    try { await dropCached(entry.sha256); } catch (error) { /* storage unusable: nothing kept */ }
  }
}

// Start the smallest bundle now: the default data set, and the quickest to have.
const first = manifest.then((parsed) => {
  const smallest = parsed.bundles.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  return bundle(smallest.name);
});
first.catch(() => {}); // reported when Python asks for it

globalThis.mnistSorterData = { manifest, bundle, discard };
