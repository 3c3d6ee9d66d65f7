// Kiosk: the attract loop, touch search with an on-screen keyboard, the
// idle reset, live updates and the heartbeat. Nothing of one shopper stays
// for the next: the reset clears query, results, history, scroll and size.
(function () {
  "use strict";
  var body = document.body;
  var id = body.dataset.kiosk;
  var rotation = Number(body.dataset.rotation) * 1000;
  var idleAfter = Number(body.dataset.idle) * 1000;
  var countdownFrom = Number(body.dataset.countdown);
  var $ = function (selector) { return document.querySelector(selector); };
  var loop = $("#loop"), search = $("#search"), doc = $("#doc"), idle = $("#idle");
  var typed = "", history = [], rotateTimer = null, idleTimer = null, countdownTimer = null;

  // One section at a time; during the loop (body.looping) the navigation
  // buttons are hidden, as there is nowhere to go back to.
  var show = function (section) {
    [loop, search, doc].forEach(function (s) { s.hidden = s !== section; });
    body.classList.toggle("looping", section === loop);
    section.scrollTop = 0;
    $("#doc-body").scrollTop = 0;
  };
  // Results take the place of the keyboard, tiles and questions.
  var searched = function (on) {
    $("#entry").hidden = on;
    $("#results").hidden = !on;
    $("#retype").hidden = !on;
  };

  // The attract loop, in the order the server gives (#slides .playlist):
  // the most relevant warnings come round more often.
  var slides = function () { return Array.prototype.slice.call(document.querySelectorAll("#slides .slide")); };
  var step = 0;
  var rotate = function () {
    var all = slides();
    var list = $("#slides .playlist");
    var order = list && list.dataset.order ? list.dataset.order.split(" ").map(Number) : [];
    if (order.length < 2) { return; }
    step = (step + 1) % order.length;
    var next = all[order[step]];
    all.forEach(function (s) { s.hidden = s !== next; s.classList.toggle("current", s === next); });
  };
  var startLoop = function () { step = 0; clearInterval(rotateTimer); rotateTimer = setInterval(rotate, rotation); };
  // Offline: the saved slides keep running, but search is turned off (it
  // would only show an empty list) and the notice gives 12315 instead.
  var offline = function (away) {
    $("#offline").hidden = !away;
    body.classList.toggle("offline", away);
    document.querySelectorAll("#start, #keyboard .key, .tile, .question").forEach(function (b) { b.disabled = away; });
    if (away && !search.hidden) { $("#results").innerHTML = ""; searched(false); }
  };
  var refreshSlides = function () {
    fetch("/kiosk/" + id + "/slides").then(function (r) { if (!r.ok) { throw r; } return r.text(); }).then(function (html) {
      $("#slides").innerHTML = html;
      offline(false);
      startLoop();
    }).catch(function () { offline(true); });
  };

  // Search.
  var text = function (html) { var d = document.createElement("div"); d.innerHTML = html; return d.textContent; };
  var button = function (label, onTap, extra) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (extra) { var s = document.createElement("span"); s.className = "snippet"; s.textContent = extra; b.appendChild(s); }
    b.addEventListener("click", onTap);
    return b;
  };
  var render = function () { $("#typed").textContent = typed; };
  // The suggestions for what is typed now: 搜索 on pinyin (yfk) searches
  // the first of them, since letters alone find no Chinese text.
  var suggested = [];
  var suggest = function () {
    var list = $("#suggestions");
    list.innerHTML = "";
    suggested = [];
    if (!typed) { return; }
    var asked = typed;
    fetch("/api/suggest?q=" + encodeURIComponent(typed)).then(function (r) { return r.json(); }).then(function (data) {
      if (asked !== typed) { return; }
      list.innerHTML = "";
      suggested = data.suggestions || [];
      suggested.slice(0, 6).forEach(function (s) {
        var li = document.createElement("li");
        li.appendChild(button(s.text, function () { run(s.text); }));
        list.appendChild(li);
      });
    }).catch(function () { offline(true); });
  };
  var addHit = function (hit, from) {
    var li = document.createElement("li");
    var title = hit.title + (hit.article ? " " + hit.article : "") + (hit.expired ? "（已过期）" : "");
    li.appendChild(button(title, function () { open(hit.id, hit.anchor, from); }, text(hit.snippet || "")));
    $("#results").appendChild(li);
  };
  var run = function (query) {
    typed = query; render(); $("#suggestions").innerHTML = "";
    var results = $("#results");
    results.innerHTML = "";
    searched(true);
    fetch("/api/search?per_page=10&kiosk=" + encodeURIComponent(id) + "&q=" + encodeURIComponent(query)).then(function (r) { return r.json(); }).then(function (data) {
      // Nothing found is no dead end: the closest guides and warnings, and 12315.
      if (!data.hits || !data.hits.length) {
        var li = document.createElement("li");
        li.className = "none";
        var nearby = data.nearby || [];
        li.textContent = nearby.length
          ? "没有找到相关内容。可以看看下面这些指南和警示，或拨打 12315 咨询投诉。"
          : "没有找到相关内容。换个说法试试，或拨打 12315 咨询投诉。";
        results.appendChild(li);
        nearby.forEach(function (hit) { addHit(hit, ""); });
      }
      (data.hits || []).forEach(function (hit, i) {
        // Which search and place a result was opened from, for staff insights.
        addHit(hit, data.search_ref ? "?from=" + data.search_ref + "&pos=" + (i + 1) : "");
      });
    }).catch(function () { offline(true); });
  };
  var open = function (docId, anchor, from) {
    fetch("/api/docs/" + docId + (from || "")).then(function (r) { return r.json(); }).then(function (data) {
      $("#doc-body").innerHTML = "<h2></h2>" + data.html;
      $("#doc-body h2").textContent = data.title;
      var path = "/docs/" + docId + (anchor ? "#" + anchor : "");
      $("#doc-qr").src = "/kiosk-qr?kiosk=" + encodeURIComponent(id) + "&path=" + encodeURIComponent(path);
      $("#doc-qr").dataset.path = path;
      history.push("doc");
      show(doc);
      if (anchor) { var target = document.getElementById(anchor); if (target) { target.scrollIntoView(); } }
    }).catch(function () { offline(true); });
  };

  // 搜索: what was typed, or for letters alone (yfk) the first suggestion.
  var go = function () {
    if (!typed) { return; }
    if (!/^[a-z]+$/i.test(typed)) { run(typed); return; }
    if (suggested.length) { run(suggested[0].text); return; }
    var asked = typed;
    fetch("/api/suggest?q=" + encodeURIComponent(asked)).then(function (r) { return r.json(); }).then(function (data) {
      var first = (data.suggestions || [])[0];
      run(first ? first.text : asked);
    }).catch(function () { offline(true); });
  };

  document.querySelectorAll("#keyboard .key").forEach(function (key) {
    key.addEventListener("click", function () {
      var k = key.dataset.key;
      if (k === "back") { typed = typed.slice(0, -1); }
      else if (k === "clear") { typed = ""; $("#results").innerHTML = ""; searched(false); }
      else if (k === "go") { go(); return; }
      else { typed += k; }
      render(); suggest();
    });
  });
  document.querySelectorAll("[data-query]").forEach(function (tile) {
    tile.addEventListener("click", function () { run(tile.dataset.query); });
  });

  // Navigation: back, home, and never leaving the kiosk.
  var retype = function () {
    typed = ""; render();
    ["#suggestions", "#results"].forEach(function (s) { $(s).innerHTML = ""; });
    searched(false);
  };
  var reset = function () {
    typed = ""; history = []; render(); searched(false);
    ["#suggestions", "#results", "#doc-body"].forEach(function (s) { $(s).innerHTML = ""; });
    $("#doc-qr").removeAttribute("src");
    body.classList.remove("larger");
    $("#larger").setAttribute("aria-pressed", "false");
    idle.hidden = true;
    clearInterval(countdownTimer);
    window.scrollTo(0, 0);
    show(loop);
  };
  $("#home").addEventListener("click", reset);
  // Back: from a document to its results, from results to the keyboard,
  // from the keyboard to the loop.
  $("#back").addEventListener("click", function () {
    if (!doc.hidden) { history.pop(); show(search); } else if (!$("#results").hidden) { retype(); } else { reset(); }
  });
  $("#retype").addEventListener("click", retype);
  $("#start").addEventListener("click", function () { show(search); });
  loop.addEventListener("click", function (event) { if (event.target === loop || loop.contains(event.target)) { show(search); } });
  $("#larger").addEventListener("click", function () {
    var on = body.classList.toggle("larger");
    $("#larger").setAttribute("aria-pressed", on ? "true" : "false");
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a");
    if (link) { event.preventDefault(); }
  });
  document.addEventListener("contextmenu", function (event) { event.preventDefault(); });

  // Idle reset: ask 还在使用吗 with a countdown, then start over.
  var touched = function () {
    clearTimeout(idleTimer);
    if (!idle.hidden) { return; }
    idleTimer = setTimeout(function () {
      if (!loop.hidden) { return; }
      var left = countdownFrom;
      $("#countdown").textContent = left;
      idle.hidden = false;
      countdownTimer = setInterval(function () {
        left -= 1;
        $("#countdown").textContent = left;
        if (left <= 0) { reset(); }
      }, 1000);
    }, idleAfter);
  };
  $("#continue").addEventListener("click", function () { clearInterval(countdownTimer); idle.hidden = true; touched(); });
  ["pointerdown", "keydown", "touchstart"].forEach(function (e) { document.addEventListener(e, touched, true); });

  // Live updates and heartbeat.
  if (window.EventSource) {
    var events = new EventSource("/api/events");
    events.addEventListener("warning", refreshSlides);
    // Reconnected (after the server or the network came back): catch up.
    events.addEventListener("open", refreshSlides);
    // A stream also ends at its lifetime and reconnects: only a server that
    // does not answer means offline.
    events.addEventListener("error", function () {
      fetch("/healthz", { cache: "no-store" }).then(function (r) { offline(!r.ok); }).catch(function () { offline(true); });
    });
  }
  // The kiosk's secret comes once in the address (#key=...), is kept on
  // this screen only and leaves the address bar at once.
  var keyName = "weiquan-kiosk-key-" + id;
  var given = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (given) {
    try { localStorage.setItem(keyName, decodeURIComponent(given[1])); } catch (e) { /* storage off: no heartbeat */ }
    window.history.replaceState(null, "", location.pathname + location.search);
  }
  var key = null;
  try { key = localStorage.getItem(keyName); } catch (e) { key = null; }
  var beat = function () {
    if (!key) { return; }
    fetch("/kiosk/" + id + "/heartbeat", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + key },
      body: JSON.stringify({ version: body.dataset.version, orientation: body.dataset.orientation })
    }).then(function (r) { return r.json(); }).then(function (reply) {
      offline(false);
      if (reply.reload) { location.reload(); }
    }).catch(function () { offline(true); });
  };
  beat();
  setInterval(beat, 30000);
  if (navigator.serviceWorker) { navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk/" }); }
  startLoop();
  touched();
})();
