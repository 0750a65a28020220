// "Find your area": looks a postcode up in the published JSON (/api/v1/postcodes/{OUTWARD}.json)
// and opens the ward's page; on "Find your bin days" (data-rounds), the postcode's collection
// round. Without JavaScript, or where a postcode's services have different rounds, the form
// goes to the backend's /subscriptions/find-area, which answers the same.
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
    unknown: form.getAttribute("data-message-unknown") || "We could not find that postcode in our area. Check it, or choose your ward from the list.",
    prefix: form.getAttribute("data-message-prefix") || "Error:"
  };

  function showError(text) {
    error.textContent = "";
    var hidden = document.createElement("span");
    hidden.className = "govuk-visually-hidden";
    hidden.textContent = messages.prefix + " ";
    error.appendChild(hidden);
    error.appendChild(document.createTextNode(text));
    error.hidden = false;
    if (document.title.indexOf(messages.prefix) !== 0) {
      document.title = messages.prefix + " " + document.title;
    }
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
        var rounds = form.getAttribute("data-rounds");
        if (rounds) {
          var found = (lookup.rounds && lookup.rounds[postcode[1]]) || {};
          var slugs = Object.keys(found).map(function (service) { return found[service]; });
          var distinct = slugs.filter(function (slug, i) { return slugs.indexOf(slug) === i; });
          if (distinct.length === 1) {
            window.location.assign(rounds + distinct[0] + "/");
          } else if (distinct.length > 1) {
            form.submit();
          } else {
            showError(messages.unknown);
          }
          return;
        }
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
