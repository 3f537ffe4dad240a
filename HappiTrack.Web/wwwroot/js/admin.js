// Admin area behaviour. Loaded as a file: the CSP allows no inline scripts or handlers.
(function () {
  "use strict";

  const tokenMeta = document.querySelector('meta[name="request-verification-token"]');

  // Cookie-authenticated API calls that change state must carry the antiforgery token
  // (ApiTokenAuthenticationHandler refuses them with 400 otherwise).
  function adminFetch(url, init) {
    const options = Object.assign({ credentials: "same-origin" }, init || {});
    const headers = new Headers(options.headers || {});
    const method = (options.method || "GET").toUpperCase();
    if (tokenMeta && !["GET", "HEAD", "OPTIONS", "TRACE"].includes(method)) {
      headers.set("RequestVerificationToken", tokenMeta.content);
    }
    if (options.body && typeof options.body !== "string" && !(options.body instanceof FormData)) {
      options.body = JSON.stringify(options.body);
      headers.set("Content-Type", "application/json");
    }
    options.headers = headers;
    return fetch(url, options);
  }
  window.HappiTrackAdmin = { fetch: adminFetch };

  // On a narrow screen the menu scrolls sideways; bring the current page's entry into view.
  const nav = document.querySelector(".admin-nav");
  const activeLink = nav && nav.querySelector("a.active");
  if (activeLink && activeLink.offsetLeft + activeLink.offsetWidth > nav.clientWidth) {
    nav.scrollLeft = activeLink.offsetLeft - (nav.clientWidth - activeLink.offsetWidth) / 2;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copyTarget);
    if (!field) return;
    const text = field.value ?? field.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });

  // Contacts table: re-reads the same page of GET /api/contacts every few seconds and redraws the
  // rows, so new shoppers and changing scores appear without a reload. Paused while the tab is hidden.
  const live = document.querySelector("table[data-live-contacts]");
  if (live) {
    const status = document.getElementById("contacts-live");
    const total = document.getElementById("contacts-total");
    const intervalMs = Number(live.dataset.intervalMs || 3000);
    const params = new URLSearchParams();
    [["page", "page"], ["pageSize", "pageSize"], ["sort", "sort"], ["search", "search"], ["vip", "vip"], ["optedIn", "optedIn"], ["minScore", "minScore"], ["hasCart", "hasCart"], ["site", "site"]]
      .forEach(([key, data]) => { if (live.dataset[data]) params.set(key, live.dataset[data]); });
    const url = live.dataset.liveContacts + "?" + params.toString();

    const cell = (text, className) => {
      const td = document.createElement("td");
      if (className) td.className = className;
      if (text !== undefined && text !== null) td.textContent = text;
      return td;
    };
    const badge = (text, kind) => {
      const span = document.createElement("span");
      span.className = "badge" + (kind ? " " + kind : "");
      span.textContent = text;
      return span;
    };
    const pad = (n) => String(n).padStart(2, "0");
    const formatUtc = (iso) => {
      const d = new Date(iso.endsWith("Z") ? iso : iso + "Z");
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
    };
    const score = (n) => String(Math.round(n * 100) / 100);

    function row(c) {
      const tr = document.createElement("tr");
      tr.dataset.contactId = c.id;
      const who = cell();
      const a = document.createElement("a");
      a.href = "/admin/contacts/" + encodeURIComponent(c.id) + (live.dataset.site ? "?site=" + encodeURIComponent(live.dataset.site) : "");
      a.textContent = c.name || "(no name)";
      const phone = document.createElement("div");
      phone.className = "muted mono";
      phone.textContent = c.phone;
      who.append(a, phone);
      const scoreCell = cell(score(c.generalInterestScore), "num"); scoreCell.dataset.field = "score";
      const purchases = cell(String(c.purchases), "num"); purchases.dataset.field = "purchases";
      const vip = cell(); vip.dataset.field = "vip"; if (c.vipStatus) vip.append(badge("VIP", "vip"));
      const desired = cell(c.mostDesiredProduct ? c.mostDesiredProduct.name : "—"); desired.dataset.field = "desired";
      const tags = cell((c.topTags || []).join(", ")); tags.dataset.field = "tags";
      const optin = cell(); optin.dataset.field = "optin";
      optin.append(c.optedOut ? badge("opted out", "danger") : c.optedIn ? badge("opted in", "ok") : badge("no opt-in"));
      const seen = cell(); seen.dataset.field = "lastseen";
      if (c.lastSeenAt) {
        const time = document.createElement("time");
        time.dateTime = c.lastSeenAt;
        time.textContent = formatUtc(c.lastSeenAt);
        seen.append(time);
      } else {
        seen.append(Object.assign(document.createElement("span"), { className: "muted", textContent: "never" }));
      }
      tr.append(who, scoreCell, purchases, vip, desired, tags, optin, seen);
      return tr;
    }

    async function refresh() {
      if (document.hidden) return;
      try {
        const response = await adminFetch(url, { headers: { Accept: "application/json" } });
        if (response.status === 401 || response.status === 403) { status.textContent = "Signed out: reload to sign in again."; return; }
        if (!response.ok) throw new Error(String(response.status));
        const data = await response.json();
        const body = live.tBodies[0];
        if (data.items.length === 0) {
          const tr = document.createElement("tr");
          tr.className = "empty";
          const td = cell("No contacts match.", "muted"); td.colSpan = 8;
          tr.append(td);
          body.replaceChildren(tr);
        } else {
          body.replaceChildren(...data.items.map(row));
        }
        if (total) total.textContent = data.total.toLocaleString();
        status.textContent = "Updated " + new Date().toLocaleTimeString();
        live.dataset.refreshed = String(Number(live.dataset.refreshed || 0) + 1);
      } catch {
        status.textContent = "Could not refresh; retrying.";
      }
    }
    setInterval(refresh, intervalMs);
    document.addEventListener("visibilitychange", refresh);
  }

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
