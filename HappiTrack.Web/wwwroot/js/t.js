/*
 * HappiTrack embeddable tracker (issue 20): Trusty's tracker.js for a shop on another origin. The
 * readable source; /t.js serves t.min.js, built from this file by tools/tracker/build.sh. Budget 2 KB gzipped.
 *
 *   <script src="https://<brain>/t.js" data-site="<site key>" defer></script>
 *
 * The brain's address comes from this script's own src, the site from its data-site. Third-party
 * cookies are blocked, so the visitor id lives in the shop's localStorage and goes with every batch;
 * the server answers with the id to keep (a new one when a tracked link needs it, SECURITY.md
 * "Identity linking rule"). A tracked link on the shop (?ht=<token>) is sent once, with the first
 * batch, and taken out of the address bar at once.
 *
 * Same markers as Trusty's: data-ht-product="{slug}", data-ht-specs="{slug}", data-ht="{label}"; and
 * window.happitrack.track('add_to_cart', {slug: '...'}) for shops that cannot edit their HTML.
 * Same delivery: every event has a random id, the queue survives in sessionStorage until the server
 * answers, the server stores each (visitor, id) once. Do-Not-Track, Global Privacy Control and
 * happitrack.optOut() stop it. Every handler swallows its errors: it must never break the shop.
 */
(function (win, doc, nav) {
  var me = doc.currentScript || doc.querySelector('script[data-site]');
  var ENDPOINT = new URL(me.src).origin + '/api/sites/' + encodeURIComponent(me.getAttribute('data-site')) + '/track';
  var OPT_OUT_KEY = 'ht_optout';
  var VID_KEY = 'ht_vid';
  var QUEUE_KEY = 'ht_q';
  var FLUSH_DELAY_MS = 2000;
  var MAX_EVENTS_PER_REQUEST = 50;
  var MAX_BODY_CHARS = 8000;
  var MAX_QUEUE = 500;
  var MAX_AGE_MS = 864e5;
  var LINGER_MS = 3000;
  var ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  var loadedAt = Date.now();
  var queue = [];
  var inFlight = {};
  var flushTimer = 0;
  var seen = {};
  var exited = false;
  var touchOnly = false;
  var blocked = false;
  var token = '';
  var vid = '';

  function local(key, value) {
    try {
      var store = win.localStorage;
      if (value === undefined) return store.getItem(key);
      if (value) store.setItem(key, value); else store.removeItem(key);
    } catch (e) { /* storage disabled: it lasts for this page only */ }
  }

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

  function random(n) {
    return crypto.getRandomValues(new Uint8Array(n));
  }

  // 8 characters of time, then 96 random bits: unique per visitor without coordination.
  function newId() {
    var id = Date.now().toString(36);
    var bytes = random(16);
    for (var i = 0; i < 16; i++) id += ID_CHARS[bytes[i] & 63];
    return id;
  }

  // The server's own visitor id form: 16 random bytes, base64url without padding.
  function newVisitor() {
    return btoa(String.fromCharCode.apply(null, random(16))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function track(type, slug, data) {
    if (blocked) return;
    data = data || {};
    data.path = location.pathname.slice(0, 512);
    queue.push({ id: newId(), type: type, slug: slug || undefined, ts: Date.now(), data: data });
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    save();
    schedule();
  }

  function schedule() {
    if (!flushTimer) flushTimer = setTimeout(safely(flush), FLUSH_DELAY_MS);
  }

  function forget(sent, status, answer) {
    sent.forEach(function (e) { delete inFlight[e.id]; });
    if (answer && answer.vid) local(VID_KEY, vid = answer.vid);
    // 2xx: stored (or deliberately not counted); 4xx but 429: never will be. Anything else is retried.
    if (status < 300 || (status >= 400 && status < 500 && status != 429)) {
      queue = queue.filter(function (e) { return sent.indexOf(e) < 0; });
      save();
    } else schedule();
  }

  function flush(leaving) {
    clearTimeout(flushTimer);
    flushTimer = 0;
    if (blocked) { queue = []; save(); return; }
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
    // A string body goes as text/plain: no preflight, and what beacons send. The token goes once.
    var body = JSON.stringify({ v: 1, vid: vid, ht: token || undefined, events: batch });
    token = '';
    if (leaving && nav.sendBeacon && nav.sendBeacon(ENDPOINT, body)) return;
    batch.forEach(function (e) { inFlight[e.id] = 1; });
    fetch(ENDPOINT, { method: 'POST', body: body, keepalive: true, credentials: 'omit' })
      .then(function (response) {
        return response.json().then(function (answer) { forget(batch, response.status, answer); }, function () { forget(batch, response.status); });
      }, function () { forget(batch, 0); });
  }

  function leave(e) {
    if (touchOnly && !exited) { exited = true; track('exit_intent', 0, { ms: Date.now() - loadedAt }); }
    flush(e.type != 'beforeunload');
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
      if (touchOnly && win.IntersectionObserver) {
        new IntersectionObserver(safely(function (entries) {
          if (entries[entries.length - 1].isIntersecting) start(slug); else stop(slug);
        }), { threshold: 0.6 }).observe(el);
      }
    });
  }

  function init() {
    blocked = browserSaysNo() || local(OPT_OUT_KEY) == '1';
    vid = local(VID_KEY) || '';
    if (!blocked && !vid) local(VID_KEY, vid = newVisitor());
    try { queue = JSON.parse(sessionStorage.getItem(QUEUE_KEY)) || []; } catch (e) { /* none, or unreadable */ }
    touchOnly = !!(win.matchMedia && win.matchMedia('(hover: none)').matches);

    // The token leaves the address bar (and the history, and the next Referer) before anything else.
    var url = new URL(location.href);
    token = url.searchParams.get('ht') || '';
    if (token) {
      url.searchParams.delete('ht');
      history.replaceState(history.state, '', url.href);
    }

    var referrer = '';
    try { referrer = doc.referrer ? new URL(doc.referrer).host : ''; } catch (e) { /* an odd referrer is simply left out */ }
    track('page_view', 0, referrer ? { ref: referrer } : {});
    // A link's answer may change the visitor id: get it before the rest of the page's events.
    if (blocked || token) flush();
    watchProducts();
    watchSpecs();

    on(doc, 'click', function (e) {
      var target = e.target.closest && e.target.closest('[data-ht]');
      if (!target) return;
      var label = target.getAttribute('data-ht').replace(/[^\w .:\/-]/g, '').slice(0, 64).trim();
      var holder = target.closest('[data-ht-product]');
      var slug = holder ? holder.getAttribute('data-ht-product') : '';
      if (label) track('click', slug, { label: label });
      if (slug && /add.?to.?cart/i.test(label)) track('add_to_cart', slug);
    });
    on(doc, 'click', function (e) {
      var target = e.target.closest && e.target.closest('a[href],button,input[type=submit]');
      if (target && (target.href || target.type == 'submit')) flush();
    });
    on(doc, 'submit', function () { flush(); });
    on(doc, 'mouseout', function (e) {
      if (!exited && !e.relatedTarget && e.clientY <= 0) {
        exited = true;
        track('exit_intent', 0, { ms: Date.now() - loadedAt });
      }
    });
    on(win, 'pagehide', leave);
    on(win, 'beforeunload', leave);
    on(doc, 'visibilitychange', function (e) { if (doc.visibilityState === 'hidden') leave(e); });
    on(win, 'pageshow', function (e) { if (e.persisted) flush(); });
  }

  win.happitrack = {
    // happitrack.track('add_to_cart', {slug: 'blue-kettle'}): the same events the markers send.
    track: function (type, fields) {
      try {
        var data = {};
        for (var k in fields) if (k != 'slug') data[k] = fields[k];
        track(type, fields && fields.slug, data);
      } catch (e) { /* a shop's bad call must not break its page */ }
    },
    optOut: function () { local(OPT_OUT_KEY, '1'); local(VID_KEY, ''); blocked = true; queue = []; save(); },
    optIn: function () { local(OPT_OUT_KEY, ''); blocked = browserSaysNo(); }
  };

  try { init(); } catch (e) { /* never let tracking break the page */ }
})(window, document, navigator);
