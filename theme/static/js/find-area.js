// "Find your area": looks a postcode up in the published JSON (/api/v1/postcodes/{OUTWARD}.json)
// and opens the ward's page. Without JavaScript the form opens the list of wards instead.
(function () {
  "use strict";
  var POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$/;
  var form = document.querySelector("[data-postcode-form]");
  if (!form || !window.fetch) {
    return;
  }
  var input = form.querySelector("input[name=postcode]");
  var error = form.querySelector("[data-postcode-error]");
  var group = form.querySelector("[data-postcode-group]");
  var messages = {
    empty: form.getAttribute("data-message-empty") || "Enter your postcode",
    invalid: form.getAttribute("data-message-invalid") || "Enter a real postcode, like CT16 1LU",
    unknown: form.getAttribute("data-message-unknown") || "We could not find that postcode in our area. Check it, or choose your ward from the list."
  };

  function showError(text) {
    error.textContent = "";
    var hidden = document.createElement("span");
    hidden.className = "govuk-visually-hidden";
    hidden.textContent = "Error: ";
    error.appendChild(hidden);
    error.appendChild(document.createTextNode(text));
    error.hidden = false;
    group.classList.add("govuk-form-group--error");
    input.classList.add("govuk-input--error");
    input.setAttribute("aria-describedby", "find-area-hint find-area-error");
    input.focus();
  }

  function normalise(text) {
    var squeezed = text.toUpperCase().replace(/\s+/g, "");
    var match = POSTCODE.exec(squeezed);
    return match ? [match[1], match[1] + " " + match[2]] : null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.value.trim()) {
      showError(messages.empty);
      return;
    }
    var postcode = normalise(input.value);
    if (!postcode) {
      showError(messages.invalid);
      return;
    }
    fetch(form.getAttribute("data-api") + postcode[0] + ".json")
      .then(function (response) { return response.ok ? response.json() : { postcodes: {} }; })
      .then(function (lookup) {
        var ward = lookup.postcodes && lookup.postcodes[postcode[1]];
        if (ward) {
          window.location.assign(form.getAttribute("data-wards") + ward + "/");
        } else {
          showError(messages.unknown);
        }
      })
      .catch(function () { form.submit(); });
  });
})();
