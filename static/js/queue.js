/* The live age counter on new leads: counts up from the age the server rendered (so a skewed
   client clock does not matter) and turns red past the two-minute first-call promise. */
(function () {
  "use strict";
  var seen = new WeakMap();

  function label(seconds) {
    if (seconds < 3600) {
      var s = seconds % 60;
      return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
    }
    if (seconds < 86400) {
      var m = Math.floor((seconds % 3600) / 60);
      return Math.floor(seconds / 3600) + ":" + (m < 10 ? "0" : "") + m + " h";
    }
    return Math.floor(seconds / 86400) + " d";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-age]").forEach(function (el) {
      if (!seen.has(el)) {
        seen.set(el, now - parseInt(el.getAttribute("data-age"), 10) * 1000);
      }
      var seconds = Math.max(0, Math.floor((now - seen.get(el)) / 1000));
      var text = label(seconds);
      if (el.textContent !== text) {
        el.textContent = text;
      }
      var lateAfter = parseInt(el.getAttribute("data-late-after") || "120", 10);
      el.classList.toggle("late", seconds > lateAfter);
    });
  }

  tick();
  window.setInterval(tick, 1000);
})();
