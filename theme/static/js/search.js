// Starts Pagefind's search interface on /search/ when the index is there.
(function () {
  "use strict";
  var element = document.querySelector("[data-search]");
  if (!element || typeof window.PagefindUI !== "function") {
    return;
  }
  new window.PagefindUI({
    element: "#search",
    showImages: false,
    showSubResults: false,
    resetStyles: false,
    translations: {
      placeholder: element.getAttribute("data-placeholder"),
      filters_label: element.getAttribute("data-label-filters")
    }
  });
})();
