// Kiosk service worker: keeps the kiosk page, its assets, the warnings in
// force and their QR codes, so the attract loop goes on when the network or
// the server is away. Pages and slides: network first, cache when offline.
// Assets and QR codes: cache first. Searches are never cached.
"use strict";
var CACHE = "weiquan-kiosk-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var assets = url.pathname.indexOf("/static/") === 0 || url.pathname === "/kiosk-qr";
  var pages = url.pathname.indexOf("/kiosk/") === 0;
  if (assets) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) { cache.put(request, response.clone()); }
          return response;
        });
      });
    }));
  } else if (pages) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
