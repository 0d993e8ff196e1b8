// Offline once loaded: every file of the page is cached on install and served from the
// cache first; a new version (a new cache name, written by the build) replaces the old.
const CACHE = 'kantor-VERSION';
const FILES = ['./', 'index.html', 'style.css', 'app.js', 'kantor.js', 'melody.js', 'audio.js', 'worker.js', 'kantor.wasm', 'vendor/opensheetmusicdisplay.min.js', 'manifest.webmanifest'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  if (e.request.method !== 'GET') return;
  e.respondWith(caches.match(e.request, { ignoreSearch: true }).then((hit) => hit || fetch(e.request)));
});
