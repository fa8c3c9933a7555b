// Offline lessons: download the next lessons, play them without a connection with the same grading
// rules as the server (grading.js), keep the answers in IndexedDB with ids made here, and send them
// when the connection returns. The server applies each lesson once, at the time it was really played.
import { csrfToken } from "./csrf.js";
import { grade } from "./grading.js";

const DB_NAME = "puchi-offline";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("lessons", { keyPath: "session_id" });
      db.createObjectStore("results", { keyPath: "session_id" });
      db.createObjectStore("meta");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(store, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const result = work(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(result && "result" in result ? result.result : result);
    transaction.onerror = () => reject(transaction.error);
  });
}

const all = (store) => tx(store, "readonly", (s) => s.getAll());
const put = (store, value, key) => tx(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
const remove = (store, key) => tx(store, "readwrite", (s) => s.delete(key));
const get = (store, key) => tx(store, "readonly", (s) => s.get(key));

function newId() {
  return (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// --- Downloading (course map) ---------------------------------------------------------------------------

// The sentence for `count` in the page's language: the element carries one data-<name>-<category> attribute
// per plural category of the language (rendered by the server's catalogue), Intl.PluralRules picks one.
function pluralText(element, name, count) {
  const category = new Intl.PluralRules(document.documentElement.lang || "en").select(count);
  const key = (suffix) => name + suffix.charAt(0).toUpperCase() + suffix.slice(1);
  const text = element.dataset[key(category)] || element.dataset[key("other")] || "";
  return text.replace("%(num)s", count.toLocaleString(document.documentElement.lang || undefined));
}

async function showOfflineState(box) {
  const lessons = await all("lessons");
  const mine = lessons.filter((lesson) => lesson.course === box.dataset.course && !lesson.finished);
  const status = box.querySelector("[data-offline-status]");
  status.textContent = mine.length ? pluralText(box, "available", mine.length) : "";
  box.querySelector("[data-offline-play]").hidden = !mine.length;
}

async function download(box) {
  const button = box.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(box.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const pack = await response.json();
    await put("meta", pack.labels, "labels");
    await keepToken();
    const finished = new Set((await all("results")).map((r) => r.session_id));
    for (const lesson of pack.lessons) {
      if (!finished.has(lesson.session_id)) await put("lessons", lesson);
    }
    await keepRecordings();
    await showOfflineState(box);
  } catch (error) {
    box.querySelector("[data-offline-status]").textContent = box.dataset.failed;
  } finally {
    button.disabled = false;
  }
}

// The stored lessons' recordings (the course's own or the server's text to speech) go into the cache the
// service worker answers them from, so listening steps speak offline too; those of lessons sent and gone are
// dropped. A recording that fails to download is left out (the browser's voice or the text stands in).
export const AUDIO_CACHE = "puchi-audio";

async function keepRecordings() {
  if (!("caches" in window)) return;
  const urls = new Set();
  for (const lesson of await all("lessons")) {
    for (const step of lesson.steps) {
      const found = new DOMParser().parseFromString(step.html, "text/html").querySelectorAll("[data-audio]");
      found.forEach((element) => urls.add(new URL(element.dataset.audio, window.location.href).href));
    }
  }
  const cache = await caches.open(AUDIO_CACHE);
  for (const request of await cache.keys()) {
    if (!urls.has(request.url)) await cache.delete(request);
  }
  await Promise.all([...urls].filter((url) => url.startsWith(window.location.origin)).map(async (url) => {
    if (await cache.match(url)) return;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) await cache.put(url, response);
    } catch (error) { /* offline meanwhile: the browser's voice or the text stands in */ }
  }));
}

// The session's CSRF token (it lives as long as the session), kept for the offline player, a page with no
// account data and so no token of its own: it sends the answers with it once back online.
async function keepToken() {
  const token = csrfToken();
  if (token) await put("meta", token, "csrf");
}

async function token() {
  return csrfToken() || (await get("meta", "csrf")) || "";
}

// --- Syncing (any page, when online) ----------------------------------------------------------------------

// Results wait in IndexedDB until the server has them. They are sent on every page load, as soon as the
// browser says it is online again, when the service worker's Background Sync fires (where there is one),
// and, after a failure, again with a growing pause (2 s, 4 s, ... up to 5 minutes). The server applies a
// lesson once however often it arrives, so overlapping attempts are harmless; one at a time is just tidier.
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 5 * 60 * 1000;
let retryDelay = RETRY_FIRST_MS;
let retryTimer = null;
let running = null;

function retryLater() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => syncResults(), retryDelay);
  retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
}

export function syncResults() {
  if (!running) running = sendResults().finally(() => { running = null; });
  return running;
}

async function sendResults() {
  if (!("indexedDB" in window)) return 0;
  const waiting = await all("results");
  if (!waiting.length) return 0;
  if (!navigator.onLine) {
    announce("pending", waiting.length);
    return 0;
  }
  const csrf = await token();
  if (!csrf) return 0;  // signed out: the next page with the account's token sends them
  announce("sending", waiting.length);
  let sent = 0;
  let failed = false;
  for (const result of waiting) {
    try {
      const response = await fetch(`/lessons/${result.session_id}/sync`, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ client_id: result.client_id, answers: result.answers }),
      });
      if (response.ok || response.status === 404) {  // applied now, or long gone: stop sending it
        await remove("results", result.session_id);
        await remove("lessons", result.session_id);
        sent += 1;
      } else if (response.status >= 500 || response.status === 429 || response.type === "opaqueredirect") {
        failed = true;  // the server is busy, or the session ended: try again later
      } else {
        failed = true;  // refused (a stale token): kept, and sent again from a page with a fresh token
      }
    } catch (error) {
      failed = true;  // still offline after all
      break;
    }
  }
  const left = waiting.length - sent;
  if (failed && left) {
    retryLater();
  } else {
    retryDelay = RETRY_FIRST_MS;
  }
  announce(left ? "pending" : "synced", left);
  if (sent) {
    keepRecordings().catch(() => {});
    document.dispatchEvent(new CustomEvent("puchi:synced", { detail: { sent } }));
  }
  return sent;
}

// The offline player says what became of the answers: waiting to be sent, being sent, sent.
function announce(state, count) {
  const status = document.querySelector("[data-sync-status]");
  if (!status) return;
  status.dataset.state = state;
  status.textContent = state === "pending" ? pluralText(status, "pending", count) : status.dataset[state] || "";
  status.hidden = false;
}

// --- Playing (the offline player page) ------------------------------------------------------------------

function formAnswer(form, step) {
  const data = new FormData(form);
  if (step.type === "match_pairs") {
    return { answer: "", pairs: step.pairs.map((_, n) => String(data.get(`pair_${n}`) || "")) };
  }
  return { answer: String(data.get("answer") || ""), pairs: null };
}

function judge(step, given) {
  if (step.type === "match_pairs") {
    const right = given.pairs.every((value, n) => value === step.pairs[n]);
    return { result: right ? "correct" : "wrong", expected: step.pairs.join(" | ") };
  }
  if (step.exact_choice && !step.choices.includes(given.answer)) {
    return { result: "wrong", expected: step.accepted[0] };
  }
  // The key (variants, folds, known words) comes with the download, so offline verdicts are the server's.
  const verdict = grade(given.answer, step.accepted, step.language, step.key);
  return { ...verdict, result: step.exact_choice && verdict.result === "almost" ? "wrong" : verdict.result };
}

// The right answer with what the learner got wrong marked, as the server's feedback shows it.
function correction(verdict) {
  const span = document.createElement("span");
  span.className = "correction";
  for (const segment of verdict.segments || [{ text: verdict.expected, differs: false }]) {
    const part = segment.differs ? document.createElement("mark") : document.createTextNode(segment.text);
    if (segment.differs) part.textContent = segment.text;
    span.append(part);
  }
  return span;
}

function feedbackPanel(labels, verdict) {
  const panel = document.createElement("div");
  panel.className = `feedback feedback--${verdict.result}`;
  panel.setAttribute("role", "alert");
  const heading = document.createElement("h2");
  heading.textContent = labels[verdict.result];
  panel.append(heading);
  if (verdict.result !== "correct") {
    const line = document.createElement("p");
    line.append(`${labels.right_answer} `, correction(verdict));
    panel.append(line);
  }
  if (verdict.mistake && labels[verdict.mistake]) {
    const hint = document.createElement("p");
    hint.className = "feedback-hint";
    hint.dataset.mistake = verdict.mistake;
    const word = document.createElement("strong");
    word.textContent = verdict.focus;
    hint.append(`${labels[verdict.mistake]} `, word);
    panel.append(hint);
  }
  const next = document.createElement("button");
  next.type = "button";
  next.className = "button button--wide";
  next.dataset.continue = "";
  next.textContent = labels.continue;
  panel.append(next);
  return panel;
}

async function play(root) {
  const labels = (await get("meta", "labels")) || {};
  const lessons = (await all("lessons")).filter((lesson) => !lesson.finished);
  const stage = root.querySelector("[data-stage]");
  if (!lessons.length) {
    stage.textContent = labels.none || root.dataset.none;
    return;
  }
  const lesson = lessons[0];
  const answers = [];
  let index = 0;
  let shownAt = performance.now();

  function show() {
    stage.innerHTML = lesson.steps[index].html;  // rendered by Puchi's own templates at download time
    shownAt = performance.now();
    document.dispatchEvent(new CustomEvent("htmx:load"));  // lesson.js: keys, tiles, focus
  }

  async function finish() {
    await put("results", { session_id: lesson.session_id, client_id: newId(), answers });
    lesson.finished = true;
    await put("lessons", lesson);
    const right = answers.filter((a) => a.verdict !== "wrong").length;
    stage.innerHTML = "";
    const heading = document.createElement("h1");
    heading.textContent = labels.complete;
    const score = document.createElement("p");
    score.className = "lesson-stats";
    score.textContent = `${labels.accuracy}: ${Math.round((100 * right) / answers.length)}%`;
    const later = document.createElement("p");
    later.textContent = labels.later;
    stage.append(heading, score, later);
    stage.dataset.finished = "true";
    if ("serviceWorker" in navigator && "SyncManager" in window) {
      navigator.serviceWorker.ready
        .then((registration) => registration.sync.register("puchi-sync-lessons")).catch(() => {});
    }
    syncResults();
  }

  stage.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target.closest("form");
    const step = lesson.steps[index];
    const given = formAnswer(form, step);
    const skipped = event.submitter && event.submitter.name === "skip";
    const verdict = skipped ? { result: "skipped", expected: step.accepted[0] } : judge(step, given);
    const hinted = form.querySelector("[data-hinted]")?.value === "1";
    answers.push({ step: index, answer: given.answer, pairs: given.pairs, skipped, hinted,
                   duration_ms: Math.round(performance.now() - shownAt), answered_at: new Date().toISOString(),
                   verdict: verdict.result });
    form.querySelectorAll("input, select, button").forEach((control) => { control.disabled = true; });
    const panel = feedbackPanel(labels, verdict.result === "skipped" ? { ...verdict, result: "wrong" } : verdict);
    form.after(panel);
    panel.querySelector("[data-continue]").focus();
    panel.querySelector("[data-continue]").addEventListener("click", async () => {
      index += 1;
      if (index < lesson.steps.length) show(); else await finish();
    }, { once: true });
  });
  show();
}

// --- Wiring -----------------------------------------------------------------------------------------------

// The offline page (shown for any page that cannot be reached): the downloaded lessons, ready to play.
async function showDownloaded(box) {
  const count = (await all("lessons")).filter((lesson) => !lesson.finished).length;
  box.querySelector("[data-offline-count]").textContent = count ? pluralText(box, "available", count) : "";
  box.hidden = !count;
}

function setUp() {
  if (!("indexedDB" in window)) return;
  keepToken();
  document.querySelectorAll("[data-offline-lessons]").forEach((box) => showDownloaded(box));
  document.querySelectorAll("[data-offline-download]:not([data-ready])").forEach((box) => {
    box.dataset.ready = "1";  // set up once, however often htmx reports new content
    box.hidden = false;
    box.querySelector("button").addEventListener("click", () => download(box));
    showOfflineState(box);
  });
  const player = document.querySelector("[data-offline-player]");
  if (player && !player.dataset.started) {
    player.dataset.started = "1";
    play(player);
  }
  syncResults();
}

document.addEventListener("htmx:load", (event) => {
  if (event.target && event.target.querySelector
      && event.target.querySelector("[data-offline-download], [data-offline-player], [data-offline-lessons]")) setUp();
});
window.addEventListener("online", () => {
  retryDelay = RETRY_FIRST_MS;
  syncResults();
});
window.addEventListener("offline", () => syncResults());  // says "waiting to be sent" for anything unsent
if (navigator.serviceWorker) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "SYNC_LESSONS") syncResults();
  });
}
setUp();
