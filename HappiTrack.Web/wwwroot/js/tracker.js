/*
 * HappiTrack tracker (SPEC §2, §10). The readable source; pages load tracker.min.js, built from this
 * file by tools/tracker/build.sh. Vanilla JS, no dependencies, budget 2 KB gzipped.
 *
 * The store marks what is watched: data-ht-product="{slug}" on product cards and sections,
 * data-ht-specs="{slug}" on specs blocks, data-ht="{label}" on elements whose clicks matter
 * (a label containing "add-to-cart" also sends the add_to_cart hint).
 *
 * Delivery (SPEC §10): every event gets a random id, and the queue lives in sessionStorage until the
 * server answers it with 2xx (or 400: it will never be accepted; or it is a day old). A page re-sends
 * what its predecessor could not confirm, and the server stores each (visitor, id) once, so
 * re-sending is always safe. Unload beacons are best effort: the queue is flushed by fetch(keepalive)
 * the moment the shopper clicks a link or a submit button or submits a form, while the page is alive.
 *
 * It must never break or slow the page: every handler swallows its errors, nothing is synchronous,
 * events are batched. Do-Not-Track, Global Privacy Control and window.happitrack.optOut() stop it
 * from sending or keeping anything.
 */
(function (win, doc, nav) {
  var ENDPOINT = '/api/track';
  var OPT_OUT_KEY = 'ht_optout';
  var QUEUE_KEY = 'ht_q';
  var FLUSH_DELAY_MS = 2000;
  var MAX_EVENTS_PER_REQUEST = 50;
  var MAX_BODY_CHARS = 8000;
  var MAX_QUEUE = 500;
  var MAX_AGE_MS = 864e5;
  var MAX_CELLS_PER_EVENT = 100;
  var GRID = 20;
  var LINGER_MS = 3000;
  var MOUSE_SAMPLE_MS = 250;
  var ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  var loadedAt = Date.now();
  var queue = [];
  var inFlight = {};
  var cells = [];
  var flushTimer = 0;
  var seen = {};
  var lastSample = 0;
  var maxScroll = -1;
  var sentScroll = -1;
  var exited = false;
  var touchOnly = false;
  var blocked = false;

  function storage(value) {
    try {
      var store = win.localStorage;
      if (value === undefined) return store.getItem(OPT_OUT_KEY) === '1';
      if (value) store.setItem(OPT_OUT_KEY, '1'); else store.removeItem(OPT_OUT_KEY);
    } catch (e) { /* storage disabled: the choice lasts for this page only */ }
  }

  // The queue outlives the page in this tab; without sessionStorage it lives as long as the page.
  function save() {
    try {
      if (queue.length) sessionStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
      else sessionStorage.removeItem(QUEUE_KEY);
    } catch (e) { /* full or disabled: the memory queue still works */ }
  }

  function browserSaysNo() {
    return nav.doNotTrack == '1' || win.doNotTrack == '1' || nav.globalPrivacyControl === true;
  }

  function safely(fn) {
    return function (e) { try { fn(e); } catch (err) { /* never let tracking break the page */ } };
  }

  function on(target, type, fn) {
    target.addEventListener(type, safely(fn), { passive: true, capture: true });
  }

  function path() {
    return location.pathname.slice(0, 512);
  }

  // 8 characters of time, then 96 random bits: unique per visitor without coordination.
  function newId() {
    var id = Date.now().toString(36);
    var random = crypto.getRandomValues(new Uint8Array(16));
    for (var i = 0; i < 16; i++) id += ID_CHARS[random[i] & 63];
    return id;
  }

  function track(type, slug, data) {
    if (blocked) return;
    data = data || {};
    data.path = path();
    queue.push({ id: newId(), type: type, slug: slug || undefined, ts: Date.now(), data: data });
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    save();
    schedule();
  }

  function schedule() {
    if (!flushTimer) flushTimer = setTimeout(safely(flush), FLUSH_DELAY_MS);
  }

  function takeCells() {
    while (cells.length) track('mouse', 0, { cells: cells.splice(0, MAX_CELLS_PER_EVENT) });
  }

  function forget(sent, status) {
    sent.forEach(function (e) { delete inFlight[e.id]; });
    // 2xx: stored (or deliberately not counted); 400 and 413: never will be. Anything else is retried.
    if (status < 300 || status == 400 || status == 413) {
      queue = queue.filter(function (e) { return sent.indexOf(e) < 0; });
      save();
    } else schedule();
  }

  // leaving: the page is going away, so a beacon may be all that gets out. What it carried stays
  // queued: this page re-sends it if it comes back, the next page if it does not.
  function flush(leaving) {
    clearTimeout(flushTimer);
    flushTimer = 0;
    if (blocked) { queue = []; cells = []; save(); return; }
    takeCells();
    var now = Date.now();
    queue = queue.filter(function (e) { return now - e.ts < MAX_AGE_MS; });
    var ready = queue.filter(function (e) { return !inFlight[e.id]; });
    while (ready.length) {
      var batch = [];
      var size = 0;
      while (ready.length && batch.length < MAX_EVENTS_PER_REQUEST && (!batch.length || size < MAX_BODY_CHARS)) {
        size += JSON.stringify(ready[0]).length;
        batch.push(ready.shift());
      }
      send(batch, leaving);
    }
  }

  function send(batch, leaving) {
    // A string body goes as text/plain, which needs no preflight and is what beacons send.
    var body = JSON.stringify({ v: 1, events: batch });
    if (leaving && nav.sendBeacon && nav.sendBeacon(ENDPOINT, body)) return;
    batch.forEach(function (e) { inFlight[e.id] = 1; });
    fetch(ENDPOINT, { method: 'POST', body: body, keepalive: true, credentials: 'same-origin' })
      .then(function (response) { forget(batch, response.status); }, function () { forget(batch, 0); });
  }

  function wrapUp() {
    if (maxScroll > sentScroll) { sentScroll = maxScroll; track('scroll_depth', 0, { pct: maxScroll }); }
  }

  // beforeunload still runs with the page alive, so it sends by fetch (which keeps the page's user agent,
  // where Chromium under automation sends beacons as HeadlessChrome); pagehide and a hidden tab beacon.
  function leave(e) {
    if (touchOnly && !exited) { exited = true; track('exit_intent', 0, { ms: Date.now() - loadedAt }); }
    wrapUp();
    flush(e.type != 'beforeunload');
  }

  function slugOf(el, attribute) {
    var holder = el && el.closest('[' + attribute + ']');
    return holder ? holder.getAttribute(attribute) : '';
  }

  function measureScroll() {
    var root = doc.documentElement;
    var pct = Math.round(Math.min(1, (win.scrollY + win.innerHeight) / Math.max(1, root.scrollHeight)) * 100);
    if (pct > maxScroll) maxScroll = pct;
  }

  function watchProducts() {
    if (!win.IntersectionObserver) return;
    var observer = new IntersectionObserver(safely(function (entries) {
      entries.forEach(function (entry) {
        var slug = entry.target.getAttribute('data-ht-product');
        if (entry.isIntersecting && !seen['p' + slug]) {
          seen['p' + slug] = 1;
          track('product_view', slug);
        }
      });
    }), { threshold: 0.5 });
    doc.querySelectorAll('[data-ht-product]').forEach(function (el) { observer.observe(el); });
  }

  function watchSpecs() {
    var timers = {};
    function start(slug) {
      if (seen['s' + slug] || timers[slug]) return;
      var began = Date.now();
      timers[slug] = setTimeout(safely(function () {
        timers[slug] = 0;
        seen['s' + slug] = 1;
        track('linger_specs', slug, { ms: Date.now() - began });
      }), LINGER_MS);
    }
    function stop(slug) {
      clearTimeout(timers[slug]);
      timers[slug] = 0;
    }
    doc.querySelectorAll('[data-ht-specs]').forEach(function (el) {
      var slug = el.getAttribute('data-ht-specs');
      on(el, 'mouseenter', function () { start(slug); });
      on(el, 'mouseleave', function () { stop(slug); });
      // Without a pointer that hovers, "lingering" means the block stays in view, untouched by scrolling.
      if (touchOnly && win.IntersectionObserver) {
        new IntersectionObserver(safely(function (entries) {
          if (entries[entries.length - 1].isIntersecting) start(slug); else stop(slug);
        }), { threshold: 0.6 }).observe(el);
      }
    });
  }

  function init() {
    blocked = browserSaysNo() || storage();
    try { queue = JSON.parse(sessionStorage.getItem(QUEUE_KEY)) || []; } catch (e) { /* none, or unreadable */ }
    touchOnly = !!(win.matchMedia && win.matchMedia('(hover: none)').matches);

    var referrer = '';
    try { referrer = doc.referrer ? new URL(doc.referrer).host : ''; } catch (e) { /* an odd referrer is simply left out */ }
    // The previous page's unconfirmed events go with this page view's batch, on the regular timer rather
    // than at once: the first page's answer may still be bringing the visitor cookie, and a request without
    // it would be given a second visitor.
    track('page_view', 0, referrer ? { ref: referrer } : {});
    if (blocked) flush();
    watchProducts();
    watchSpecs();
    measureScroll();

    on(doc, 'click', function (e) {
      var target = e.target.closest && e.target.closest('[data-ht]');
      if (!target) return;
      var label = target.getAttribute('data-ht').replace(/[^\w .:\/-]/g, '').slice(0, 64).trim();
      var slug = target.getAttribute('data-ht-product') || slugOf(target, 'data-ht-product');
      if (label) track('click', slug, { label: label });
      if (slug && /add.?to.?cart/i.test(label)) track('add_to_cart', slug);
    });
    // Navigating now: send by fetch while the page (and its user agent) is still alive.
    on(doc, 'click', function (e) {
      var target = e.target.closest && e.target.closest('a[href],button,input[type=submit]');
      if (target && (target.href || target.type == 'submit')) { wrapUp(); flush(); }
    });
    on(doc, 'submit', function () { wrapUp(); flush(); });
    on(doc, 'mouseout', function (e) {
      if (!exited && !e.relatedTarget && e.clientY <= 0) {
        exited = true;
        track('exit_intent', 0, { ms: Date.now() - loadedAt });
      }
    });
    on(doc, 'mousemove', function (e) {
      var now = Date.now();
      if (blocked || now - lastSample < MOUSE_SAMPLE_MS) return;
      lastSample = now;
      var column = Math.min(GRID - 1, Math.max(0, Math.floor(e.clientX / win.innerWidth * GRID)));
      var row = Math.min(GRID - 1, Math.max(0, Math.floor(e.clientY / win.innerHeight * GRID)));
      cells.push(row * GRID + column);
      schedule();
    });
    on(win, 'scroll', measureScroll);
    on(win, 'pagehide', leave);
    on(win, 'beforeunload', leave);
    on(doc, 'visibilitychange', function (e) { if (doc.visibilityState === 'hidden') leave(e); });
    // Back from the back/forward cache: whatever the beacons carried may not have arrived.
    on(win, 'pageshow', function (e) { if (e.persisted) flush(); });
  }

  win.happitrack = {
    optOut: function () { storage(true); blocked = true; queue = []; cells = []; save(); },
    optIn: function () { storage(false); blocked = browserSaysNo(); }
  };

  try { init(); } catch (e) { /* never let tracking break the page */ }
})(window, document, navigator);
