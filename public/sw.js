// Kith service worker: keeps the app shell in Cache Storage so that a reload
// with the relay stopped still opens the app (the data itself lives in the
// app's own offline store; this file only has to get the code on screen).
//
// BUILD CONTRACT (xtask fills this in when it assembles dist/):
//   This file holds exactly two placeholders, each exactly once, both on the
//   two `const` lines below. They are the words KITH_BUILD and KITH_PRECACHE,
//   each wrapped in two underscores on both sides (not spelled out here so a
//   naive replace-all cannot touch this comment).
//   - the BUILD placeholder sits inside a double-quoted JS string and is
//     replaced by the build id: a hex hash of the assembled files (no quotes,
//     no escaping needed). The cache is named "kith-shell-<build id>".
//   - the PRECACHE placeholder is a bare expression and is replaced by a JSON
//     array of absolute URL paths of every file in dist/, e.g.
//     ["/","/index.html","/kith.css","/pkg/kith_app.js","/pkg/kith_app_bg.wasm",...]
//   Unsubstituted (e.g. public/ served as-is in development) the PRECACHE
//   line throws a ReferenceError, so registration fails with a console warning
//   and no stale shell is ever cached: that is intended.
//
// No libraries on purpose: the whole policy is the code below.

const BUILD = "__KITH_BUILD__";
const PRECACHE = __KITH_PRECACHE__;

const PREFIX = 'kith-shell-';
const CACHE = PREFIX + BUILD;

// Live traffic that must always reach the relay, never a cached copy.
const BYPASS = ['/api/', '/ws', '/healthz'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    try {
      // The worker script itself is never served from here (the browser
      // fetches it around us for update checks), so don't store it.
      await Promise.all(PRECACHE.filter((url) => url !== '/sw.js').map(async (url) => {
        // cache: 'reload' skips the HTTP cache, so the shell we store really
        // is this build and not an older file the browser had lying around.
        const res = await fetch(new Request(url, { cache: 'reload' }));
        if (!res.ok) throw new Error(`precache ${url}: HTTP ${res.status}`);
        // Browsers refuse a redirected response as the answer to a navigation;
        // store a clean copy in case the relay redirected (e.g. "/" -> "/index.html").
        await cache.put(url, res.redirected
          ? new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers })
          : res);
      }));
    } catch (err) {
      // Failing the install keeps the previous worker and its complete cache;
      // drop our half-filled one so nothing can ever read from it.
      await caches.delete(CACHE);
      throw err;
    }
    // The new shell is complete: take over without waiting for every tab to close.
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Old builds are dead weight (a wasm bundle is megabytes); only touch our
    // own prefix so caches the app creates for other purposes survive.
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (BYPASS.some((prefix) => url.pathname.startsWith(prefix))) return;

  if (req.mode === 'navigate') {
    // Single-page app: every in-app URL (/, /people, /tasks/42, ...) is the same
    // index.html. Cache-first, because the app is offline-first and the shell is
    // already pinned to this BUILD; a new deploy arrives as a new worker.
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      return (await cache.match('/index.html')) || (await cache.match('/')) || fetch(req);
    })());
    return;
  }

  // Static assets: cache-first by exact URL (query string included), network if absent.
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    return (await cache.match(req)) || fetch(req);
  })());
});

// A reminder shown through this worker (phones allow no other way): tapping it brings the
// app forward on the task, opening a window if none is open.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || '/tasks';
  event.waitUntil((async () => {
    const url = new URL(path, self.location.origin).href;
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin && 'focus' in client) {
        await client.focus();
        if ('navigate' in client) await client.navigate(url);
        return;
      }
    }
    await self.clients.openWindow(url);
  })());
});
