// Starts Pagefind's search interface on /search/ when the index is there. An alert's
// status (the meta its page gives Pagefind: status, status_class and, while in force,
// expires) is shown as a GOV.UK tag before its excerpt, "Expired" once its time has passed.
(function () {
  "use strict";
  var element = document.querySelector("[data-search]");
  if (!element || typeof window.PagefindUI !== "function") {
    return;
  }

  function tag(label, modifier) {
    var strong = document.createElement("strong");
    strong.className = "govuk-tag " + modifier;
    strong.textContent = label;
    return strong.outerHTML + " ";
  }

  function withStatus(result) {
    var meta = result.meta || {};
    if (meta.status) {
      var expires = Date.parse(meta.expires);
      var expired = !isNaN(expires) && expires <= Date.now();
      var label = expired ? element.getAttribute("data-label-expired") : meta.status;
      var modifier = expired ? element.getAttribute("data-class-expired") : meta.status_class;
      result.excerpt = tag(label, modifier || "") + result.excerpt;
    }
    // Shown by the tag, not as Pagefind's "key: value" lines.
    delete meta.status;
    delete meta.status_class;
    delete meta.expires;
    return result;
  }

  new window.PagefindUI({
    element: "#search",
    showImages: false,
    showSubResults: false,
    resetStyles: false,
    processResult: withStatus,
    translations: {
      placeholder: element.getAttribute("data-placeholder"),
      filters_label: element.getAttribute("data-label-filters")
    }
  });
})();
