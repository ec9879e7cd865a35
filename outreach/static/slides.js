// Seminar decks: the projected view (data-role="projector") and the presenter view
// (data-role="presenter") of the same deck, kept on the same slide. Without this script every
// slide is shown, stacked, and the page still reads and prints.
//
// The two windows are usually on one laptop (the projected one dragged to the projector), so
// they talk through the browser itself: a BroadcastChannel named after the deck, and where that is
// missing, a localStorage key whose "storage" event reaches the other window. A window that opens
// asks where the deck is ("hello"); the other answers with its slide.
(function () {
  "use strict";
  var container = document.querySelector(".slides[data-deck]");
  if (!container) { return; }
  var body = document.body;
  var role = container.getAttribute("data-role");
  var deckId = container.getAttribute("data-deck");
  var slides = Array.prototype.slice.call(container.querySelectorAll(".slide, .presenter-slide"));
  if (!slides.length) { return; }
  body.classList.add("js");
  var current = 0;
  var channelName = "dipcheck-deck:" + deckId;
  var sender = Math.random().toString(36).slice(2);
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(channelName) : null;

  function send(message) {
    message.sender = sender;
    if (channel) { channel.postMessage(message); return; }
    try {
      message.at = Date.now();  // a new value every time, so the storage event always fires
      window.localStorage.setItem(channelName, JSON.stringify(message));
    } catch (ignored) { /* storage disabled: this window still works on its own */ }
  }

  function receive(message) {
    if (!message || message.sender === sender) { return; }
    if (message.type === "slide") { show(message.index, false); }
    if (message.type === "hello") { send({ type: "slide", index: current }); }
  }

  if (channel) {
    channel.onmessage = function (event) { receive(event.data); };
  } else {
    window.addEventListener("storage", function (event) {
      if (event.key !== channelName || !event.newValue) { return; }
      try { receive(JSON.parse(event.newValue)); } catch (ignored) { /* not ours */ }
    });
  }

  function fromHash() {
    var match = /^#slide-(\d+)$/.exec(window.location.hash);
    var n = match ? parseInt(match[1], 10) - 1 : 0;
    return Math.min(Math.max(n, 0), slides.length - 1);
  }

  // Text sized for the back of the room can still be too much for one slide on a 4:3 projector:
  // shrink that slide's type (never below 60 %) until it fits instead of cutting it off.
  function fit(slide) {
    if (role !== "projector") { return; }
    var scale = 1;
    slide.style.setProperty("--fit", "1");
    while (scale > 0.6 && slide.scrollHeight > slide.clientHeight + 1) {
      scale -= 0.05;
      slide.style.setProperty("--fit", scale.toFixed(2));
    }
  }

  function show(index, broadcast) {
    current = Math.min(Math.max(index, 0), slides.length - 1);
    slides.forEach(function (slide, i) { slide.classList.toggle("current", i === current); });
    fit(slides[current]);
    var hash = "#slide-" + (current + 1);
    if (window.location.hash !== hash) { history.replaceState(null, "", hash); }
    var position = document.getElementById("position");
    if (position) { position.textContent = String(current + 1); }
    body.setAttribute("data-slide", String(current + 1));
    if (broadcast) { send({ type: "slide", index: current }); }
  }

  function move(step) { show(current + step, true); }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.target.closest && event.target.closest("input, textarea, select")) { return; }
    switch (event.key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case " ": case "Enter":
        move(1); break;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace":
        move(-1); break;
      case "Home": show(0, true); break;
      case "End": show(slides.length - 1, true); break;
      case "p": case "P": window.print(); return;
      default: return;
    }
    event.preventDefault();
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-move]"), function (button) {
    button.addEventListener("click", function () {
      move(parseInt(button.getAttribute("data-move"), 10));
    });
  });
  if (role === "projector") {
    slides.forEach(function (slide) {
      slide.addEventListener("click", function (event) {
        if (event.target.closest("a")) { return; }
        move(1);
      });
    });
    window.addEventListener("resize", function () { fit(slides[current]); });
  }

  // The presenter's clock: minutes into the seminar, kept across reloads of the presenter view.
  var elapsed = document.getElementById("elapsed");
  if (elapsed) {
    var startKey = channelName + ":started";
    var started = Number(window.sessionStorage.getItem(startKey)) || Date.now();
    window.sessionStorage.setItem(startKey, String(started));
    var tick = function () {
      var seconds = Math.floor((Date.now() - started) / 1000);
      var rest = seconds % 60;
      elapsed.textContent = Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
    };
    document.getElementById("restart-timer").addEventListener("click", function () {
      started = Date.now();
      window.sessionStorage.setItem(startKey, String(started));
      tick();
    });
    tick();
    window.setInterval(tick, 1000);
  }

  window.addEventListener("hashchange", function () { show(fromHash(), true); });
  show(fromHash(), false);
  send({ type: "hello" });
})();
