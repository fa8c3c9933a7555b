// Push notifications on this device (the card on the notification settings page): ask permission, subscribe
// through the service worker with the server's VAPID key, and tell the server; or the reverse. Every word
// shown comes from the card's data attributes, rendered in the learner's language.
import { csrfToken } from "./csrf.js";

const READY_TIMEOUT_MS = 10000;

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

// applicationServerKey wants the raw bytes of the base64url public key.
function keyBytes(base64url) {
  const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options && subscription.options.applicationServerKey;
  if (!current) return true;  // the browser does not say: assume it is ours
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((byte, i) => byte === key[i]);
}

// navigator.serviceWorker.ready never settles when the worker cannot be installed: give up after a while.
function registration() {
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise((resolve, reject) => setTimeout(() => reject(new Error("no service worker")), READY_TIMEOUT_MS)),
  ]);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  if (!response.ok || response.redirected) {
    const error = new Error(`HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response;
}

// The device count is worded by the server (plurals differ by language): read it from a fresh settings page.
async function refreshCount(card) {
  const line = card.closest(".push-device").querySelector("[data-push-count]");
  try {
    const response = await fetch(window.location.pathname, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("[data-push-count]");
    if (line && fresh) line.textContent = fresh.textContent;
  } catch (error) { /* the count is a courtesy */ }
}

function show(card, state) {
  const status = card.querySelector("[data-push-status]");
  const button = card.querySelector("[data-push-toggle]");
  const texts = { on: card.dataset.textOn, off: card.dataset.textOff, working: card.dataset.textWorking,
    unsupported: card.dataset.textUnsupported, denied: card.dataset.textDenied, failed: card.dataset.textFailed };
  status.textContent = texts[state] || "";
  card.dataset.state = state;
  button.hidden = state === "unsupported" || state === "denied";
  button.disabled = state === "working";
  if (state === "on" || state === "off") {
    button.textContent = state === "on" ? card.dataset.labelOff : card.dataset.labelOn;
  }
}

async function currentSubscription() {
  const reg = await navigator.serviceWorker.getRegistration();
  return reg ? reg.pushManager.getSubscription() : null;
}

async function turnOn(card) {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    show(card, permission === "denied" ? "denied" : "off");
    return;
  }
  const key = keyBytes(card.dataset.publicKey);
  const reg = await registration();
  let subscription = await reg.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {  // made with an older server key: start again
    await subscription.unsubscribe();
    subscription = null;
  }
  if (!subscription) subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  try {
    await post(card.dataset.subscribeUrl, subscription.toJSON());
  } catch (error) {
    if (error.status !== 409) throw error;
    // Another account (an earlier learner on this browser) holds this subscription, and the server does not
    // hand it over: drop it here and make a fresh one, which is this learner's alone.
    await subscription.unsubscribe();
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await post(card.dataset.subscribeUrl, subscription.toJSON());
  }
  show(card, "on");
}

async function turnOff(card) {
  const subscription = await currentSubscription();
  if (subscription) {
    const endpoint = subscription.endpoint;
    await subscription.unsubscribe();
    await post(card.dataset.deleteUrl, { endpoint });
  }
  show(card, "off");
}

async function toggle(card) {
  const wasOn = card.dataset.state === "on";
  show(card, "working");
  try {
    await (wasOn ? turnOff(card) : turnOn(card));
    refreshCount(card);
  } catch (error) {
    show(card, wasOn ? "on" : "off");
    card.querySelector("[data-push-status]").textContent = card.dataset.textFailed;
  }
  card.querySelector("[data-push-toggle]").focus();
}

async function setUp(card) {
  card.dataset.ready = "1";  // once, however often htmx reports new content
  if (!supported()) {
    show(card, "unsupported");
    return;
  }
  card.querySelector("[data-push-toggle]").addEventListener("click", () => toggle(card));
  if (Notification.permission === "denied") {
    show(card, "denied");
    return;
  }
  try {
    const subscription = Notification.permission === "granted" ? await currentSubscription() : null;
    if (subscription) {
      // Tell the server again: it may have forgotten the device. If another account holds it, push is not
      // on for this learner here (turning it on makes a subscription of their own).
      const held = await post(card.dataset.subscribeUrl, subscription.toJSON()).then(() => false,
        (error) => error.status === 409);
      show(card, held ? "off" : "on");
      return;
    }
    show(card, "off");
  } catch (error) {
    show(card, "off");
  }
}

function setUpAll() {
  document.querySelectorAll("[data-push-device]:not([data-ready])").forEach(setUp);
}

document.addEventListener("htmx:load", setUpAll);
setUpAll();
