/*
 * HappiTrack tracker (SPEC §2). The readable source; pages load tracker.min.js, built from this
 * file by tools/tracker/build.sh. Vanilla JS, no dependencies, budget 2 KB gzipped.
 *
 * The store marks what is watched: data-ht-product="{slug}" on product cards and sections,
 * data-ht-specs="{slug}" on specs blocks, data-ht="{label}" on elements whose clicks matter
 * (a label containing "add-to-cart" also sends the add_to_cart hint).
 *
 * It must never break or slow the page: every handler swallows its errors, nothing is synchronous,
 * events are batched. Do-Not-Track, Global Privacy Control and window.happitrack.optOut() stop it
 * from sending anything.
 */
(function (win, doc, nav) {
  var ENDPOINT = '/api/track';
  var OPT_OUT_KEY = 'ht_optout';
  var FLUSH_DELAY_MS = 2000;
  var MAX_EVENTS_PER_REQUEST = 50;
  var MAX_CELLS_PER_EVENT = 100;
  var GRID = 20;
  var LINGER_MS = 3000;
  var MOUSE_SAMPLE_MS = 250;

  var loadedAt = Date.now();
  var queue = [];
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

  function track(type, slug, data) {
    if (blocked) return;
    data = data || {};
    data.path = path();
    queue.push({ type: type, slug: slug || undefined, ts: Date.now(), data: data });
    if (queue.length >= MAX_EVENTS_PER_REQUEST) flush();
    else if (!flushTimer) flushTimer = setTimeout(safely(flush), FLUSH_DELAY_MS);
  }

  function takeCells() {
    while (cells.length) track('mouse', 0, { cells: cells.splice(0, MAX_CELLS_PER_EVENT) });
  }

  function flush(leaving) {
    clearTimeout(flushTimer);
    flushTimer = 0;
    if (blocked) { queue = []; cells = []; return; }
    if (leaving) takeCells();
    while (queue.length) {
      var body = JSON.stringify({ v: 1, events: queue.splice(0, MAX_EVENTS_PER_REQUEST) });
      // A string body goes as text/plain, which needs no preflight and is what beacons send.
      if (!(leaving && nav.sendBeacon && nav.sendBeacon(ENDPOINT, body))) {
        fetch(ENDPOINT, { method: 'POST', body: body, keepalive: true, credentials: 'same-origin' })['catch'](function () {});
      }
    }
  }

  function leave() {
    if (touchOnly && !exited) { exited = true; track('exit_intent', 0, { ms: Date.now() - loadedAt }); }
    if (maxScroll > sentScroll) { sentScroll = maxScroll; track('scroll_depth', 0, { pct: maxScroll }); }
    flush(true);
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
    touchOnly = !!(win.matchMedia && win.matchMedia('(hover: none)').matches);

    var referrer = '';
    try { referrer = doc.referrer ? new URL(doc.referrer).host : ''; } catch (e) { /* an odd referrer is simply left out */ }
    track('page_view', 0, referrer ? { ref: referrer } : {});
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
      if (cells.length >= MAX_CELLS_PER_EVENT) takeCells();
    });
    on(win, 'scroll', measureScroll);
    on(win, 'pagehide', leave);
    on(doc, 'visibilitychange', function () { if (doc.visibilityState === 'hidden') leave(); });
  }

  win.happitrack = {
    optOut: function () { storage(true); blocked = true; queue = []; cells = []; },
    optIn: function () { storage(false); blocked = browserSaysNo(); }
  };

  try { init(); } catch (e) { /* never let tracking break the page */ }
})(window, document, navigator);
