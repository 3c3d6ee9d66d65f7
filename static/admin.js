// Admin enhancements: confirmations, the unsaved-text warning, the tag
// filter and the editor's live preview. Everything works without them.
(function () {
  "use strict";
  // Actions that change what the public sees ask first (data-confirm).
  var submitting = false;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
  document.addEventListener("submit", function () { submitting = true; });
  var form = document.getElementById("editor");
  // Leaving the editor with typed text unsaved asks first.
  var dirty = false;
  if (form) {
    form.addEventListener("input", function () { dirty = true; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
    });
  }
  // The tag picker's filter box shows only the tags holding what is typed;
  // it is no field of the form, and Enter in it does not save.
  var filter = document.querySelector("#tags .tag-filter");
  if (filter) {
    filter.hidden = false;
    filter.addEventListener("input", function (event) {
      event.stopPropagation();
      var text = filter.value.trim();
      document.querySelectorAll("#tags label.check").forEach(function (label) {
        label.hidden = text !== "" && label.textContent.indexOf(text) < 0;
      });
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }
  var preview = document.getElementById("preview");
  if (!form || !preview) { return; }
  var timer = null;
  var refresh = function () {
    var data = new URLSearchParams(new FormData(form));
    fetch("/admin/preview", {
      method: "POST",
      headers: { "x-csrf-token": form.elements.csrf.value },
      body: data
    }).then(function (response) { return response.text(); })
      .then(function (html) { preview.innerHTML = html; })
      .catch(function () { preview.textContent = "预览暂不可用"; });
  };
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();
})();
