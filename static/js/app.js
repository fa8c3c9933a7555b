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

// Boosted navigation swaps the body only: carry the new page's language, direction and theme over to <html>,
// so changing the language or the theme (or logging in as an Arabic-speaking learner) applies at once.
const HTML_ATTRIBUTES = ["lang", "dir", "data-theme"];
document.addEventListener("htmx:afterSwap", (event) => {
  const detail = event.detail;
  if (!detail || !detail.boosted || !detail.xhr) return;
  const tag = /<html\b([^>]*)>/i.exec(detail.xhr.responseText || "");
  if (!tag) return;
  HTML_ATTRIBUTES.forEach((name) => {
    const found = new RegExp(`\\s${name}="([^"]*)"`).exec(tag[1]);
    if (found) document.documentElement.setAttribute(name, found[1]);
    else document.documentElement.removeAttribute(name);
  });
});

// The course path opens at the learner's current skill.
function scrollToCurrentNode(root) {
  const node = root.querySelector && root.querySelector("[data-current-node]");
  if (node) node.scrollIntoView({ block: "center" });
}
scrollToCurrentNode(document);
document.addEventListener("htmx:load", (event) => scrollToCurrentNode(event.target));

// A scrolling strip of days (the year heatmap) opens on its latest end.
function scrollToEnd(root) {
  if (!root.querySelectorAll) return;
  root.querySelectorAll("[data-scroll-end]").forEach((strip) => { strip.scrollLeft = strip.scrollWidth; });
}
scrollToEnd(document);
document.addEventListener("htmx:load", (event) => scrollToEnd(event.target));

// The time-zone menu offers the device's own zone when it differs from the chosen one.
function offerDeviceZone(root) {
  if (!root.querySelectorAll) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  root.querySelectorAll("select[data-detect-timezone]").forEach((select) => {
    if (!zone || select.value === zone || select.dataset.offered) return;
    const option = Array.from(select.options).find((candidate) => candidate.value === zone);
    if (!option) return;
    select.dataset.offered = "true";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button link-button--inline";
    button.textContent = select.dataset.detectTimezone.replace("%(zone)s", option.textContent);
    button.addEventListener("click", () => {
      select.value = zone;
      button.remove();
      select.focus();
    });
    const line = document.createElement("p");
    line.className = "hint";
    line.append(button);
    select.after(line);
  });
}
offerDeviceZone(document);
document.addEventListener("htmx:load", (event) => offerDeviceZone(event.target));

// A new message needs no toast when its conversation is open: it appears in the thread itself.
document.addEventListener("htmx:oobBeforeSwap", (event) => {
  const detail = event.detail;
  if (!detail || !detail.fragment || !detail.target || detail.target.id !== "toasts") return;
  const toast = detail.fragment.querySelector && detail.fragment.querySelector("[data-thread]");
  if (toast && document.getElementById(toast.dataset.thread)) detail.shouldSwap = false;
});
