// Small progressive enhancements; every page works without them.

// Fill hidden time-zone fields from the browser, so a new account's day starts at local midnight.
function fillTimezones(root) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  root.querySelectorAll("input[data-fill-timezone]").forEach((input) => {
    if (!input.value) input.value = zone;
  });
}

// After HTMX swaps content in, move focus where a keyboard or screen-reader user expects it:
// the first invalid field, else the new page's main region.
function focusAfterSwap(event) {
  const target = event.detail && event.detail.target;
  if (!target) return;
  const invalid = target.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
    return;
  }
  if (event.detail.boosted) {
    const main = document.getElementById("main");
    if (main) main.focus({ preventScroll: true });
  }
}

fillTimezones(document);
document.addEventListener("htmx:load", (event) => fillTimezones(event.target));
document.addEventListener("htmx:afterSettle", focusAfterSwap);

// Toasts pushed over the WebSocket leave by themselves after a while (the notification centre keeps them).
document.addEventListener("htmx:oobAfterSwap", (event) => {
  const toasts = document.getElementById("toasts");
  if (!toasts || !event.detail || event.detail.target !== toasts) return;
  const latest = toasts.lastElementChild;
  if (latest) setTimeout(() => latest.remove(), 8000);
});

// The live channel's state, on the #realtime element as data-live: "connecting", then "open" once the
// server's first message (the catch-up it sends after it starts listening for this tab) has arrived, and
// "closed" when the socket drops (the extension reconnects by itself).
document.addEventListener("htmx:wsConnecting", (event) => { event.target.dataset.live = "connecting"; });
document.addEventListener("htmx:wsAfterMessage", (event) => { event.target.dataset.live = "open"; });
document.addEventListener("htmx:wsClose", (event) => { event.target.dataset.live = "closed"; });
