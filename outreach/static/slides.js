// Keyboard navigation for seminar decks. Without this script every slide is shown, stacked.
(function () {
  "use strict";
  var body = document.body;
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slides .slide"));
  if (!slides.length) { return; }
  body.classList.add("js");
  var current = 0;

  function fromHash() {
    var match = /^#slide-(\d+)$/.exec(window.location.hash);
    var n = match ? parseInt(match[1], 10) - 1 : 0;
    return Math.min(Math.max(n, 0), slides.length - 1);
  }

  function show(index) {
    current = Math.min(Math.max(index, 0), slides.length - 1);
    slides.forEach(function (slide, i) { slide.classList.toggle("current", i === current); });
    var hash = "#slide-" + (current + 1);
    if (window.location.hash !== hash) { history.replaceState(null, "", hash); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    switch (event.key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case " ": case "Enter":
        show(current + 1); break;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace":
        show(current - 1); break;
      case "Home": show(0); break;
      case "End": show(slides.length - 1); break;
      case "n": case "N": body.classList.toggle("show-notes"); return;
      case "p": case "P": window.print(); return;
      default: return;
    }
    event.preventDefault();
  });
  slides.forEach(function (slide, i) {
    slide.addEventListener("click", function (event) {
      if (event.target.closest("a")) { return; }
      show(i + 1 < slides.length ? i + 1 : i);
    });
  });
  window.addEventListener("hashchange", function () { show(fromHash()); });
  show(fromHash());
})();
