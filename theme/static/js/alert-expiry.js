// Keeps what a page says about alerts true once an alert's expiry time has passed, even
// when the site has not been rebuilt since: on load and every minute. Without JavaScript
// each alert still says when it ends.
//
// The banner: each alert in it has data-expires and is hidden once expired; the banner
// goes when none remain. The compact banner shows one alert (the most severe left, they
// come most severe first), the count of those left (the [data-alert-count] whose number
// it is) and "Most severe:" only while there are several ([data-alert-several]).
//
// Statuses (an alert's page, the "In force" tags in lists): an element with data-until
// shows its [data-while-active] part until then and its [data-once-expired] part after.
(function () {
  "use strict";

  function expired(element, now) {
    var expires = Date.parse(element.getAttribute("data-expires"));
    return !isNaN(expires) && expires <= now;
  }

  function refreshBanner(banner, now) {
    var compact = banner.querySelector("[data-alert-count]") !== null;
    var alerts = banner.querySelectorAll("[data-expires]");
    var remaining = 0;
    for (var i = 0; i < alerts.length; i++) {
      var gone = expired(alerts[i], now);
      alerts[i].hidden = gone || (compact && remaining > 0);
      if (!gone) {
        remaining++;
      }
    }
    var counts = banner.querySelectorAll("[data-alert-count]");
    for (var j = 0; j < counts.length; j++) {
      counts[j].hidden = Number(counts[j].getAttribute("data-alert-count")) !== remaining;
    }
    var several = banner.querySelectorAll("[data-alert-several]");
    for (var k = 0; k < several.length; k++) {
      several[k].hidden = remaining < 2;
    }
    banner.hidden = remaining === 0;
  }

  function refreshStatus(element, now) {
    var until = Date.parse(element.getAttribute("data-until"));
    var gone = !isNaN(until) && until <= now;
    var active = element.querySelectorAll("[data-while-active]");
    var after = element.querySelectorAll("[data-once-expired]");
    for (var i = 0; i < active.length; i++) {
      active[i].hidden = gone;
    }
    for (var j = 0; j < after.length; j++) {
      after[j].hidden = !gone;
    }
  }

  function refresh() {
    var now = Date.now();
    var banner = document.querySelector("[data-alert-banner]");
    if (banner) {
      refreshBanner(banner, now);
    }
    var statuses = document.querySelectorAll("[data-until]");
    for (var i = 0; i < statuses.length; i++) {
      refreshStatus(statuses[i], now);
    }
  }

  refresh();
  window.setInterval(refresh, 60 * 1000);
})();
