// Says what to do when the web editor (Decap CMS, loaded just before this script) cannot
// start: at once when its script did not load, or when it has drawn nothing after a
// while (data-timeout-seconds on this script's tag).
(function () {
  "use strict";
  var fallback = document.querySelector("[data-editor-fallback]");
  var me = document.currentScript;
  var seconds = Number(me && me.getAttribute("data-timeout-seconds")) || 20;

  function started() {
    var root = document.getElementById("nc-root");
    return Boolean(window.CMS) && root !== null && root.childElementCount > 0;
  }

  function checkStarted() {
    if (fallback && !started()) {
      fallback.hidden = false;
    }
  }

  if (!window.CMS) {
    checkStarted();
    return;
  }
  window.setTimeout(checkStarted, seconds * 1000);
})();
