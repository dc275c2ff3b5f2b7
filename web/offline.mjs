// Offline use after the first visit: registers the service worker (sw.js at the site's root,
// scope "./", so it serves only this app's sub-path) and offers new deployments.
//
// First visit: registration waits until the page has loaded everything it needs (charts
// ready), so the worker's precache mostly reuses the browser's HTTP cache rather than
// downloading Pyodide twice. The data bundles the page already downloaded are handed to it.
// Later visits: the page is served by the worker; a new deployment installs in the
// background and the page shows "Update available — reload". Reload swaps only when the user
// asks and no run is going (`<html data-state="training">` holds it back).

const root = document.documentElement;
const WORKER_URL = "./sw.js"; // relative: GitHub Pages project sites live under /<repo>/
let banner = null;
let swapping = false;

function training() {
  return root.dataset.state === "training";
}

function whenMarker(test) {
  return new Promise((resolve) => {
    if (test()) { resolve(); return; }
    const observer = new MutationObserver(() => {
      if (test()) { observer.disconnect(); resolve(); }
    });
    observer.observe(root, { attributes: true, attributeFilter: ["data-state", "data-charts"] });
  });
}

function showUpdate(waiting) {
  if (banner === null) {
    banner = document.createElement("div");
    banner.className = "update-banner";
    banner.setAttribute("role", "status");
    banner.dataset.testid = "update-banner";
    const text = document.createElement("span");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Reload";
    banner.append(text, button);
    document.body.append(banner);
    const refresh = () => {
      const busy = training();
      text.textContent = busy ? "Update available: reload once this run ends." : "Update available.";
      button.disabled = busy;
    };
    new MutationObserver(refresh).observe(root, { attributes: true, attributeFilter: ["data-state"] });
    refresh();
    button.addEventListener("click", () => {
      if (training()) return; // never swap under a running training
      swapping = true;
      button.disabled = true;
      text.textContent = "Updating…";
      banner.waiting.postMessage({ type: "skip-waiting" });
    });
  }
  banner.waiting = waiting;
  root.dataset.update = "available";
}

function watch(registration) {
  if (registration.waiting && navigator.serviceWorker.controller) showUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    if (!installing) return;
    installing.addEventListener("statechange", () => {
      // With no controller this is the first install: nothing to update.
      if (installing.state === "installed" && navigator.serviceWorker.controller) showUpdate(installing);
    });
  });
}

function usedBundles() {
  return performance.getEntriesByType("resource").map((entry) => entry.name)
    .filter((name) => /\/data\/[\w.-]+\.npz(\?|$)/.test(name));
}

async function start() {
  if (!("serviceWorker" in navigator)) return; // e.g. not a secure context: works online only
  const container = navigator.serviceWorker;
  container.addEventListener("controllerchange", () => {
    if (swapping) location.reload(); // the user asked for the new deployment
  });
  if (!container.controller) {
    // First visit: let the page fetch what it needs first (charts ready, or it gave up).
    await whenMarker(() => root.dataset.charts === "ready" || root.dataset.state === "error");
    if (root.dataset.state === "error") return;
  }
  const registration = await container.register(WORKER_URL, { scope: "./" });
  watch(registration);
  const ready = await container.ready;
  const bundles = usedBundles();
  if (bundles.length && ready.active) {
    // Wait for the worker's answer: then those bundles are in its cache.
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      ready.active.postMessage({ type: "keep-bundles", urls: bundles }, [channel.port2]);
    });
  }
  root.dataset.offline = "ready"; // the next visit works without the network
}

start().catch((error) => {
  // Offline use is a nicety: the page works without it.
  console.warn(`MNIST Sorter: offline use unavailable (${error.message || error})`);
});
