// Enhancements only: every page works without this script.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (input && list) {
    var kinds = { question: "常见问题", faq: "常见问题", tag: "标签" };
    var documents = { law: "法规", guide: "维权指南", warning: "消费警示", "case": "案例" };
    var items = [];
    var active = -1;
    var timer = null;
    var close = function () { list.hidden = true; list.innerHTML = ""; active = -1; input.setAttribute("aria-expanded", "false"); };
    var choose = function (item) {
      if (item.kind === "title" && item.id) { window.location.href = "/docs/" + item.id; return; }
      input.value = item.text;
      input.form.submit();
    };
    var render = function () {
      list.innerHTML = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = "suggestion-" + i;
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.textContent = item.text;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = item.kind === "title" ? documents[item.document_kind] || "文件" : kinds[item.kind] || "";
        li.appendChild(kind);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (active >= 0) { input.setAttribute("aria-activedescendant", "suggestion-" + active); }
    };
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-controls", "suggestions");
    input.setAttribute("aria-autocomplete", "list");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var typed = input.value.trim();
      if (!typed) { close(); return; }
      timer = setTimeout(function () {
        fetch("/api/suggest?q=" + encodeURIComponent(typed))
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) { if (input.value.trim() === typed) { items = data.suggestions || []; active = -1; render(); } })
          .catch(close);
      }, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { active = (active + 1) % items.length; render(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = (active - 1 + items.length) % items.length; render(); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(items[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  document.querySelectorAll(".share-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!navigator.clipboard) { return; }
      event.preventDefault();
      navigator.clipboard.writeText(link.href).then(function () { link.textContent = "链接已复制"; });
    });
  });
  // On phones the table of contents starts folded so the text comes first.
  if (window.matchMedia("(max-width: 700px)").matches) {
    document.querySelectorAll(".toc details").forEach(function (details) { details.open = false; });
  }
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // The filters on a results page: open beside the results on a wide
  // screen; on a phone they stay behind 筛选 (without script: 筛选 opens them).
  var facets = document.querySelector(".facets-panel");
  if (facets && window.matchMedia("(min-width: 860px)").matches) { facets.open = true; }
  // Live warnings: when a warning is published, withdrawn or expires, the
  // list of warnings on this page is refreshed in place (nothing else, so a
  // search being typed is left alone).
  var live = document.getElementById("live-warnings");
  if (window.EventSource && live) {
    var source = new EventSource("/api/events");
    source.addEventListener("warning", function () {
      fetch(location.href).then(function (response) { return response.text(); }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("live-warnings");
        if (fresh) { live.innerHTML = fresh.innerHTML; }
        // The banner of urgent and pinned warnings at the top follows too.
        var banner = document.getElementById("urgent-banner"), freshBanner = page.getElementById("urgent-banner");
        if (banner) { banner.innerHTML = freshBanner ? freshBanner.innerHTML : ""; }
      });
    });
  }
})();
