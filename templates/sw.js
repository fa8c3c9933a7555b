// Puchi's service worker (served from /sw.js so its scope is the whole site). Version {{ version }}.
const VERSION = {{ version|tojson }};
const SHELL_CACHE = `puchi-shell-${VERSION}`;
const STATIC_CACHE = `puchi-static-${VERSION}`;
const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ url_for("pwa.offline")|tojson }};
// Recordings of downloaded lessons (static/js/offline.js fills it); kept across versions, as the lessons are.
const AUDIO_CACHE = "puchi-audio";
const RECORDING = /^\/(media\/|items\/\d+\/speech\/)/;
// Never cached, never answered from a cache: signing in, accounts, payments, admin, the API, webhooks.
const PRIVATE = /^\/(login|signup|logout|language|account|verify-email|reset-password|forgot-password|billing|plans|admin|api|webhooks|stripe)(\/|$)/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(PRECACHE)));
  // No skipWaiting here: the page offers "Update available — reload" and the learner decides.
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, STATIC_CACHE, AUDIO_CACHE]);
    for (const key of await caches.keys()) {
      if (key.startsWith("puchi-") && !keep.has(key)) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// Past this, a page that has not started to arrive is taken for a connection that is up but carries nothing
// ("lie-fi"). Long enough for a slow page on a slow network, which is still the page, not the offline one.
const NAVIGATION_TIMEOUT_MS = 15000;

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function offlinePage(request) {
  const cached = await caches.match(request.url, { ignoreSearch: true });
  return cached || (await caches.match(OFFLINE_URL)) || Response.error();
}

async function navigate(request) {
  // Network only (pages hold personal data, so they are never cached). Offline, or when the network fails or
  // stays silent, the offline page (which links to downloaded lessons) stands in.
  if (self.navigator.onLine === false) return offlinePage(request);
  try {
    return await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
  } catch (error) {
    return offlinePage(request);
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = (await cache.match(event.request)) || (await caches.match(event.request));
  const refresh = fetch(event.request).then((response) => {
    if (response.ok) cache.put(event.request, response.clone());
    return response;
  }).catch(() => cached);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || PRIVATE.test(url.pathname)) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
  } else if (RECORDING.test(url.pathname)) {
    // A recording's address never changes meaning: the downloaded copy, else the network.
    event.respondWith(caches.open(AUDIO_CACHE).then((cache) => cache.match(request.url))
      .then((cached) => cached || fetch(request)));
  } else if (PRECACHE.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
  }
});

// Offline lessons finished while offline are sent when the connection returns (see static/js/offline.js).
self.addEventListener("sync", (event) => {
  if (event.tag === "puchi-sync-lessons") {
    event.waitUntil(self.clients.matchAll({ includeUncontrolled: true }).then((clients) => {
      clients.forEach((client) => client.postMessage({ type: "SYNC_LESSONS" }));
    }));
  }
});

// A push message carries JSON {title, body, url, tag} (puchi/notifications/push.py), already in the learner's
// language. The same tag replaces an earlier notification instead of stacking a second one.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) { /* not JSON: show the plain notification below */ }
  event.waitUntil(self.registration.showNotification(data.title || "Puchi", {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: {{ url_for("static", filename="icons/generated/icon-192.png")|tojson }},
    data: { url: data.url || "/home" },
  }));
});

// A click focuses a Puchi tab already on that page, else opens it. Only pages of this site are opened.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL("/home", self.location.origin);
  try {
    const wanted = new URL((event.notification.data && event.notification.data.url) || "/home", self.location.origin);
    if (wanted.origin === self.location.origin) target = wanted;
  } catch (error) { /* a malformed url: go home */ }
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
    const open = clients.find((client) => client.url === target.href);
    return open ? open.focus() : self.clients.openWindow(target.href);
  }));
});
