// Hides emergency alerts in the banner once their expiry time has passed, even when the
// site has not been rebuilt since. Without JavaScript each alert still says when it ends.
(function () {
  "use strict";
  var banner = document.querySelector("[data-alert-banner]");
  if (!banner) {
    return;
  }
  function hideExpired() {
    var now = Date.now();
    var alerts = banner.querySelectorAll("[data-expires]");
    var remaining = 0;
    for (var i = 0; i < alerts.length; i++) {
      var expires = Date.parse(alerts[i].getAttribute("data-expires"));
      if (!isNaN(expires) && expires <= now) {
        alerts[i].hidden = true;
      } else {
        remaining++;
      }
    }
    banner.hidden = remaining === 0;
  }
  hideExpired();
  window.setInterval(hideExpired, 60 * 1000);
})();
