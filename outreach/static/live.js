// Pages that follow a seminar session without reloads: the attendee's screen (the quiz opens,
// closes, the results appear) and the projection page (live counts).
//
// The element marked data-live names a small JSON endpoint (data-poll) and the state it was drawn
// in (data-state). Every few seconds the script asks the endpoint: counts it returns go into the
// elements marked data-field; when the state differs, it fetches this same page and swaps in the
// new data-live block. Without the script the page still works with the Reload link (attendees)
// or a refresh every ten seconds (projection).
(function () {
  "use strict";
  var live = document.querySelector("[data-live][data-poll]");
  if (!live || !window.fetch) { return; }
  document.body.classList.add("js");
  var EVERY_MS = 3000;
  var AFTER_ERROR_MS = 10000;
  var busy = false;

  function swap() {
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (!fresh) { return; }
        var replacement = document.importNode(fresh, true);
        live.parentNode.replaceChild(replacement, live);
        live = replacement;
      });
  }

  function poll() {
    if (busy) { return; }
    busy = true;
    fetch(live.getAttribute("data-poll"), {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        Object.keys(status).forEach(function (name) {
          Array.prototype.forEach.call(live.querySelectorAll("[data-field='" + name + "']"),
            function (element) { element.textContent = String(status[name]); });
        });
        if (status.state !== live.getAttribute("data-state")) { return swap(); }
        return null;
      })
      .then(function () { busy = false; window.setTimeout(poll, EVERY_MS); },
            function () { busy = false; window.setTimeout(poll, AFTER_ERROR_MS); });
  }

  window.setTimeout(poll, EVERY_MS);
})();
