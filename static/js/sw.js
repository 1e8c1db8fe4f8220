/* The service worker of offline field work (issue 15), served at /sw.js by
   households/offline.py so that its scope is the whole site. It keeps on the phone the app
   shell (styles, scripts), the visit form, the field-day form, the outbox page and the user's
   own households (households/offline/data/, masked as on the pages); pages come from the
   network whenever there is one. Entries are not sent from here: the outbox (outbox.js, in the
   page) posts them, so the session and its CSRF token are the page's. Logging out deletes the
   cache ("clear" message, or outbox.js deletes it directly). */
"use strict";

var CACHE = "dangjian-offline-v1";
var DATA_URL = "/households/offline/data/";
var VISIT_FORM = "/households/visits/new/";
var VISIT_SHELL = "/households/offline/visit-form/";
var OUTBOX_PAGE = "/households/offline/";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function usable(response) {
  // A page that sent an expired session to the login page is not the page asked for.
  return response && response.ok && !response.redirected && response.type === "basic";
}

/** Fetches the user's data and the shell pages and keeps them; resolves with a summary. */
function refresh() {
  return fetch(DATA_URL, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (!usable(response)) throw new Error("data " + response.status);
    var copy = response.clone();
    return response.json().then(function (data) {
      return caches.open(CACHE).then(function (cache) {
        var pages = data.shell.map(function (url) {
          return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (page) {
            if (usable(page)) return cache.put(url, page);
          }, function () { /* kept from the last time */ });
        });
        return Promise.all(pages).then(function () { return cache.put(DATA_URL, copy); });
      }).then(function () {
        return { ok: true, user: data.user, households: data.households.length, at: data.generated_at };
      });
    });
  });
}

self.addEventListener("message", function (event) {
  var message = event.data || {};
  var port = event.ports && event.ports[0];
  var answer = function (value) { if (port) port.postMessage(value); };
  if (message.type === "refresh") {
    event.waitUntil(refresh().then(answer, function (error) { answer({ ok: false, error: String(error) }); }));
  } else if (message.type === "claim") {
    // a page that loaded while the worker was being installed is taken over now
    event.waitUntil(self.clients.claim().then(function () { answer({ ok: true }); }));
  } else if (message.type === "clear") {
    event.waitUntil(caches.delete(CACHE).then(function () { answer({ ok: true }); }));
  }
});

function fromCache(key) {
  return caches.open(CACHE).then(function (cache) { return cache.match(key, { ignoreSearch: true }); });
}

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (usable(response) && key) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }, function () {
    return fromCache(key || request).then(function (hit) { return hit || Response.error(); });
  });
}

function offlinePage(url) {
  // The visit form for any household is the shell (outbox.js puts the household in).
  var key = url.pathname === VISIT_FORM ? VISIT_SHELL : url.pathname;
  return fromCache(key).then(function (hit) {
    return hit || fromCache(OUTBOX_PAGE);
  }).then(function (hit) { return hit || Response.error(); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (url.pathname === DATA_URL) {
    event.respondWith(networkFirst(request, DATA_URL));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return offlinePage(url); }));
  }
});
