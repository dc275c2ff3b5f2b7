// A page from an older deployment: GitHub Pages lets browsers keep index.html ten minutes, but
// a new deployment replaces the app-<hash>/ directory that page names, so its files answer 404.
// Seen here (a failed load of an app-<hash>/ file), the page reloads once, which revalidates
// index.html and brings the current deployment. A classic script at the site's root, not
// hashed, run before everything else; the service worker makes this moot once installed.
(function () {
  "use strict";
  var KEY = "mnist-sorter:stale-page-reload";
  var APP_FILE = /\/app-[0-9a-f]{12}\//;

  function reloadedRecently() {
    try {
      var at = Number(sessionStorage.getItem(KEY));
      return at > 0 && Date.now() - at < 60000; // once a minute at most: no reload loop
    } catch (error) {
      return true; // no storage to remember it: never risk a loop
    }
  }

  window.addEventListener("error", function (event) {
    var target = event.target;
    var url = target && (target.src || target.href);
    if (!url || !APP_FILE.test(url) || reloadedRecently()) return;
    try { sessionStorage.setItem(KEY, String(Date.now())); } catch (error) { return; }
    document.documentElement.dataset.stalePage = "reloading";
    location.reload();
  }, true);
})();
