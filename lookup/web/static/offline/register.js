/* Installs DipCheck's service worker (static/offline/service-worker.js) so that the offline page,
   the matrix, the pocket card and the QR verifier open without a network. The worker's address,
   with the bundle's version, is in this script tag's data-worker attribute. The pages work the
   same without it: a browser that refuses it only loses the offline mode. */
"use strict";
(function register() {
  const script = document.currentScript;
  if (!script || !script.dataset.worker || !("serviceWorker" in navigator)) {
    return;
  }
  // After the page has loaded: on a weak signal the page comes first, the bundle after it.
  window.addEventListener("load", () => {
    navigator.serviceWorker.register(script.dataset.worker).catch(() => undefined);
  });
})();
