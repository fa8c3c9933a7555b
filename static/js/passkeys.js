// Passkeys (WebAuthn): register one from the security page, and sign in with one (alone from the log-in
// page, or as the second step, or to confirm it is you). The server sends the options as JSON with binary
// fields in base64url and checks the signed answer; this file only carries bytes between the two. Every word
// shown comes from data attributes, rendered in the learner's language. Click handlers are delegated, so
// pages swapped in by htmx work without re-binding.
import { csrfToken } from "./csrf.js";

// --- base64url <-> bytes ------------------------------------------------------------------------------------
export function base64urlToBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export function bytesToBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function supported() {
  return typeof window.PublicKeyCredential === "function" && navigator.credentials;
}

// --- Talking to the server ----------------------------------------------------------------------------------
async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body || {}),
  });
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (!response.ok) {
    const error = new Error((data && data.detail) || `HTTP ${response.status}`);
    error.fromServer = Boolean(data && data.detail);
    throw error;
  }
  return data;
}

function creationOptions(json) {
  const options = { ...json, challenge: base64urlToBytes(json.challenge) };
  options.user = { ...json.user, id: base64urlToBytes(json.user.id) };
  options.excludeCredentials = (json.excludeCredentials || []).map((c) => ({ ...c, id: base64urlToBytes(c.id) }));
  return options;
}

function requestOptions(json) {
  const options = { ...json, challenge: base64urlToBytes(json.challenge) };
  options.allowCredentials = (json.allowCredentials || []).map((c) => ({ ...c, id: base64urlToBytes(c.id) }));
  return options;
}

function registrationJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: bytesToBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bytesToBase64url(response.clientDataJSON),
      attestationObject: bytesToBase64url(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : [],
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

function assertionJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: bytesToBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bytesToBase64url(response.clientDataJSON),
      authenticatorData: bytesToBase64url(response.authenticatorData),
      signature: bytesToBase64url(response.signature),
      userHandle: response.userHandle ? bytesToBase64url(response.userHandle) : undefined,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

// --- What the buttons do ------------------------------------------------------------------------------------
function statusFor(button) {
  return button.closest("[data-passkey-area]").querySelector("[data-passkey-status]");
}

function fail(button, error) {
  const status = statusFor(button);
  status.textContent = error && error.fromServer ? error.message : status.dataset.failed;
  button.disabled = false;
}

function checked(id) {
  const box = document.getElementById(id);
  return Boolean(box && box.checked);
}

async function register(button) {
  const area = button.closest("[data-passkey-area]");
  const name = area.querySelector("[data-passkey-name]");
  const options = await postJSON(button.dataset.optionsUrl);
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  const result = await postJSON(button.dataset.registerUrl, {
    name: name ? name.value : "", credential: registrationJSON(credential),
  });
  if (result.recovery_codes && result.recovery_codes.length) {
    const panel = document.querySelector("[data-passkey-codes]");
    const list = panel.querySelector("ol");
    list.replaceChildren(...result.recovery_codes.map((code) => {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      return item;
    }));
    panel.hidden = false;
    panel.querySelector("h2").focus();
    return;
  }
  window.location.assign(result.redirect);
}

async function signIn(button) {
  const options = await postJSON(button.dataset.optionsUrl);
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  const result = await postJSON(button.dataset.loginUrl, {
    credential: assertionJSON(credential), remember: checked("remember"), remember_device: checked("remember_device"),
  });
  window.location.assign(result.redirect);
}

function start(button, action) {
  button.disabled = true;
  statusFor(button).textContent = "";
  action(button).catch((error) => fail(button, error));
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const register_ = target && target.closest("[data-passkey-register]");
  const signIn_ = target && target.closest("[data-passkey-sign-in]");
  if (register_) start(register_, register);
  else if (signIn_) start(signIn_, signIn);
});

// Passkey controls stay hidden where the browser cannot use them.
function reveal() {
  if (!supported()) return;
  for (const area of document.querySelectorAll("[data-passkey-area][hidden]")) area.hidden = false;
}
reveal();
document.addEventListener("htmx:afterSettle", reveal);
