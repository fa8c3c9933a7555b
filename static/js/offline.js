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
    const finished = new Set((await all("results")).map((r) => r.session_id));
    for (const lesson of pack.lessons) {
      if (!finished.has(lesson.session_id)) await put("lessons", lesson);
    }
    await showOfflineState(box);
  } catch (error) {
    box.querySelector("[data-offline-status]").textContent = box.dataset.failed;
  } finally {
    button.disabled = false;
  }
}

// --- Syncing (any page, when online) ----------------------------------------------------------------------

export async function syncResults() {
  if (!navigator.onLine || !document.querySelector("[hx-headers]")) return 0;
  let sent = 0;
  for (const result of await all("results")) {
    try {
      const response = await fetch(`/lessons/${result.session_id}/sync`, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: JSON.stringify({ client_id: result.client_id, answers: result.answers }),
      });
      if (response.ok || response.status === 404) {  // applied now, or long gone: stop sending it
        await remove("results", result.session_id);
        await remove("lessons", result.session_id);
        sent += 1;
      }
    } catch (error) {
      return sent;  // still offline after all: the next page load or "online" event tries again
    }
  }
  if (sent) document.dispatchEvent(new CustomEvent("puchi:synced", { detail: { sent } }));
  return sent;
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
      const registration = await navigator.serviceWorker.ready;
      registration.sync.register("puchi-sync-lessons").catch(() => {});
    }
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

function setUp() {
  if (!("indexedDB" in window)) return;
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
  if (event.target && event.target.querySelector && event.target.querySelector("[data-offline-download]")) setUp();
});
window.addEventListener("online", () => syncResults());
if (navigator.serviceWorker) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "SYNC_LESSONS") syncResults();
  });
}
setUp();
