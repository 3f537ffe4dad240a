// Trusty storefront: progressive enhancement only. Every feature here also works without it
// (the cart link goes to /cart, the drawer opens through CSS :target, forms post normally).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var drawer = document.getElementById("cart-drawer");
  var lastTrigger = null;

  function focusables() {
    return drawer.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), select");
  }

  function open(trigger) {
    if (!drawer) return;
    lastTrigger = trigger || null;
    drawer.classList.add("is-open");
    drawer.setAttribute("aria-modal", "true");
    drawer.setAttribute("role", "dialog");
    document.body.classList.add("drawer-locked");
    document.querySelectorAll("[data-drawer-open]").forEach(function (el) { el.setAttribute("aria-expanded", "true"); });
    drawer.focus({ preventScroll: true });
  }

  function close() {
    if (!drawer) return;
    drawer.classList.remove("is-open");
    drawer.removeAttribute("aria-modal");
    drawer.removeAttribute("role");
    document.body.classList.remove("drawer-locked");
    document.querySelectorAll("[data-drawer-open]").forEach(function (el) { el.setAttribute("aria-expanded", "false"); });
    if (location.hash === "#cart-drawer") history.replaceState(null, "", location.pathname + location.search);
    if (lastTrigger) lastTrigger.focus();
  }

  if (drawer) {
    document.querySelectorAll("[data-drawer-open]").forEach(function (el) {
      el.setAttribute("aria-expanded", "false");
      el.addEventListener("click", function (e) {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        open(el);
      });
    });
    document.querySelectorAll("[data-drawer-close]").forEach(function (el) {
      el.addEventListener("click", function (e) { e.preventDefault(); close(); });
    });
    document.addEventListener("keydown", function (e) {
      if (!drawer.classList.contains("is-open")) return;
      if (e.key === "Escape") { close(); return; }
      if (e.key !== "Tab") return;
      var items = focusables();
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
    // After an add-to-cart the server redirects to #cart-drawer; take over from :target so closing works.
    if (location.hash === "#cart-drawer") {
      history.replaceState(null, "", location.pathname + location.search);
      open(null);
      var count = document.querySelector("[data-cart-count]");
      if (count) count.classList.add("bump");
    }
  }

  // Filters apply as soon as a select changes; the Apply button remains for keyboard and no-JS users.
  document.querySelectorAll(".filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Gallery thumbnails scroll the track in place instead of jumping the page.
  document.querySelectorAll("[data-gallery-thumb]").forEach(function (thumb) {
    thumb.addEventListener("click", function (e) {
      var target = document.querySelector(thumb.getAttribute("href"));
      if (!target) return;
      e.preventDefault();
      var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      target.parentElement.scrollTo({ left: target.offsetLeft - target.parentElement.offsetLeft, behavior: reduce ? "auto" : "smooth" });
      document.querySelectorAll("[data-gallery-thumb]").forEach(function (t) { t.removeAttribute("aria-current"); });
      thumb.setAttribute("aria-current", "true");
    });
  });

  // The privacy page's forms set or clear the server's opt-out cookie on their own; with JavaScript the
  // tracker on this page also stops at once and drops its queue, and its own localStorage switch follows.
  document.querySelectorAll("[data-privacy-stop]").forEach(function (form) {
    form.addEventListener("submit", function () { if (window.happitrack) window.happitrack.optOut(); });
  });
  document.querySelectorAll("[data-privacy-resume]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (window.happitrack) { window.happitrack.optIn(); return; }
      // An opted-out page has no tracker loaded: clear its switch (tracker.js OPT_OUT_KEY) directly.
      try { localStorage.removeItem("ht_optout"); } catch (e) { /* storage disabled: nothing was stored */ }
    });
  });
})();
