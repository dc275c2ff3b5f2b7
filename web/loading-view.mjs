// The loading view's data line, and the error state when the runtime itself fails.
//
// Runs before Python exists: it shows the bundle's download progress as the data
// loader reports it, and turns any uncaught error during start-up into
// `<html data-state="error">` with one readable line, instead of a silent hang.

const root = document.documentElement;

function byId(id) {
  return document.getElementById(id);
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

window.addEventListener("mnist-sorter:data-progress", (event) => {
  if (root.dataset.state !== "loading") return;
  const { loaded, total, source } = event.detail;
  const bar = byId("step-data");
  bar.max = total;
  bar.value = loaded;
  byId("step-data-text").textContent = source === "cache"
    ? "read from this browser's storage"
    : `${megabytes(loaded)} of ${megabytes(total)}`;
});

function fail(message) {
  if (root.dataset.state !== "loading") return; // after start-up, Python reports its own errors
  const box = byId("load-error");
  box.textContent = `Loading failed: ${message}. Reload the page to try again.`;
  box.hidden = false;
  root.dataset.state = "error";
}

// PyScript keeps its own state in IndexedDB and cannot start without it (it hangs, or fails
// with a cryptic TypeError): say so plainly, at once.
if (typeof indexedDB === "undefined" || indexedDB === null) {
  fail("this browser gives the page no IndexedDB storage (turned off, or blocked in a private "
    + "window), which the Python runtime needs; allow site data for this site");
}

window.addEventListener("error", (event) => fail(event.message || "a script could not run"));
window.addEventListener("unhandledrejection", (event) => {
  const reason = event.reason;
  fail((reason && reason.message) || String(reason));
});
