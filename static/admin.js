// Admin enhancements: the editor's live preview. Saving works without it.
(function () {
  "use strict";
  var form = document.getElementById("editor");
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
