// Renders the policy draft on the server as the operator types (the same libcmark safe mode
// that publishing uses). Without JavaScript the form's Preview button does the same.
(function () {
  "use strict";
  var form = document.getElementById("policy-form");
  var textarea = document.getElementById("markdown");
  var preview = document.getElementById("policy-preview");
  if (!form || !textarea || !preview || !window.fetch) return;
  var timer = null;
  var latest = 0;

  function refresh() {
    var body = new URLSearchParams();
    body.set("_csrf", form.querySelector("input[name=_csrf]").value);
    body.set("markdown", textarea.value);
    var request = ++latest;
    fetch(form.getAttribute("data-preview-url"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        // Answers may arrive out of order; only the newest draft is shown.
        if (request === latest) preview.innerHTML = html;
      })
      .catch(function () {});
  }

  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
