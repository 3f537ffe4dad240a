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

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
