// Installable app: register the service worker, offer "Install" when the browser allows it, and
// "Update available — reload" when a new version is waiting.

function showUpdate(registration) {
  const banner = document.getElementById("update-banner");
  if (!banner || !registration.waiting) return;
  banner.hidden = false;
  banner.querySelector("button").addEventListener("click", () => {
    registration.waiting.postMessage({ type: "SKIP_WAITING" });
  }, { once: true });
}

async function register() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  if (registration.waiting && navigator.serviceWorker.controller) showUpdate(registration);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) showUpdate(registration);
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading || !document.getElementById("update-banner") || document.getElementById("update-banner").hidden) return;
    reloading = true;
    window.location.reload();
  });
}

let installPrompt = null;
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt = event;
  const button = document.getElementById("install-app");
  if (button) button.hidden = false;
});

document.addEventListener("click", async (event) => {
  if (!event.target.closest("#install-app") || !installPrompt) return;
  installPrompt.prompt();
  await installPrompt.userChoice;
  installPrompt = null;
  event.target.closest("#install-app").hidden = true;
});

window.addEventListener("appinstalled", () => {
  const button = document.getElementById("install-app");
  if (button) button.hidden = true;
});

register().catch(() => { /* an app without a service worker still works online */ });
