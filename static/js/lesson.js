// The lesson player's keyboard play, tiles, special characters, speech; every exercise also works without it.
// Number keys pick a choice or a tile, Enter checks and continues, Backspace removes the last tile.
// Check stays disabled until there is an answer; the close button asks before quitting; hearts shake when lost.

// Teach before testing: a new item's card is shown alone first; "Got it" (or Enter) reveals its question.
function setUpTeach(root, form) {
  const card = root.querySelector("[data-teach-card]");
  if (!card || !form || form.hasAttribute("data-locked")) return;
  root.classList.add("lesson--teaching");
  card.querySelector("[data-got-it-bar]").hidden = false;
}

function gotIt(root) {
  const card = root.querySelector("[data-teach-card]");
  root.classList.remove("lesson--teaching");
  if (card) card.hidden = true;
  const listen = root.querySelector("form [data-say]:not(.teach-listen)");
  if (listen && !listen.hidden) speak(listen);  // a listening question speaks as it appears
  focusExercise(root);
  updateCheck(root);
}

function lessonRoot() {
  return document.querySelector("[data-lesson]");
}

function isTyping(element) {
  return element && (element.tagName === "INPUT" && element.type !== "radio" || element.tagName === "TEXTAREA"
    || element.tagName === "SELECT");
}

function answerInput(root) {
  return root.querySelector("input.answer-input:not([disabled])");
}

// Is there something to check? A picked choice, typed text, or a pair chosen.
function hasAnswer(form) {
  if (form.querySelector("input[type=radio]:checked")) return true;
  const input = form.querySelector("input.answer-input");
  if (input && input.value.trim()) return true;
  const menus = [...form.querySelectorAll("select")];
  // With the board every pair must be found; the plain menus need at least one choice.
  return form.querySelector("[data-match-board]:not([hidden])")
    ? menus.length > 0 && menus.every((menu) => menu.value) : menus.some((menu) => menu.value);
}

// Sound and touch: short sounds made by the project (scripts/make_sounds.py), fetched on the first cue, only
// when the learner's "Sound effects" preference is on (the page then names where they are); a short
// vibration on wrong answers on phones that have it, off with the sounds.
const SOUNDS = { correct: "correct", almost: "correct", wrong: "wrong", complete: "complete", match: "match",
  "wrong-pair": "wrong" };
const players = {};

function feedbackCue(kind) {
  const root = lessonRoot();
  const base = root && root.dataset.sounds;
  if (!base || !SOUNDS[kind]) return;
  const name = SOUNDS[kind];
  if (!players[name]) players[name] = new Audio(`${base}${name}.wav`);
  const player = players[name];
  player.currentTime = 0;
  player.play().catch(() => {});  // no sound before the first tap, or muted by the browser: fine
  if ((kind === "wrong" || kind === "wrong-pair") && navigator.vibrate) navigator.vibrate(kind === "wrong" ? 120 : 40);
}

function updateCheck(root) {
  const form = root && root.querySelector("form[data-exercise]");
  const check = form && form.querySelector("[data-check]");
  if (check) check.disabled = !hasAnswer(form);
}

let lastHearts = null;

function showHearts(root) {
  const hearts = root.querySelector("[data-hearts]");
  if (!hearts) return;
  const count = Number(hearts.dataset.hearts);
  if (lastHearts !== null && count < lastHearts) hearts.classList.add("lesson-hearts--lost");
  lastHearts = Number.isNaN(count) ? null : count;
}

function tickCountdowns() {
  for (const time of document.querySelectorAll("[data-countdown]")) {
    const left = Math.max(0, Math.round((Date.parse(time.getAttribute("datetime")) - Date.now()) / 1000));
    const text = `${Math.floor(left / 3600)}:${String(Math.floor(left % 3600 / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`;
    if (time.textContent !== text) time.textContent = text;
  }
}
setInterval(tickCountdowns, 1000);

// Tap-to-match: the board of buttons replaces the menus (kept, hidden, as what the form sends). A right pair
// greys out and fills its menu; a wrong one shakes and counts for nothing.
function setUpMatch(root) {
  const board = root.querySelector("[data-match-board]");
  const menus = root.querySelector("[data-pair-menus]");
  if (!board || !menus) return;
  board.hidden = false;
  menus.hidden = true;
  const menu = menus.querySelector("[autofocus]");
  if (menu) menu.removeAttribute("autofocus");
  board.querySelector("[data-match]").setAttribute("autofocus", "");
}

function pickMatch(root, chip) {
  if (chip.disabled) return;
  const board = chip.closest("[data-match-board]");
  const other = board.querySelector(`[data-match]:not([data-match="${chip.dataset.match}"])[aria-pressed="true"]`);
  for (const pressed of board.querySelectorAll(`[data-match="${chip.dataset.match}"][aria-pressed="true"]`)) {
    if (pressed !== chip) pressed.setAttribute("aria-pressed", "false");
  }
  if (!other) {
    chip.setAttribute("aria-pressed", chip.getAttribute("aria-pressed") === "true" ? "false" : "true");
    return;
  }
  const left = chip.dataset.match === "left" ? chip : other;
  const right = left === chip ? other : chip;
  for (const c of [left, right]) c.setAttribute("aria-pressed", "false");
  if (left.dataset.partner === right.dataset.value) {
    const menu = root.querySelector(`#pair_${left.dataset.pair}`);
    if (menu) menu.value = right.dataset.value;
    for (const c of [left, right]) { c.disabled = true; c.classList.add("match-chip--done"); }
    feedbackCue("match");
    updateCheck(root);
    const next = board.querySelector("[data-match]:not([disabled])") || root.querySelector("[data-check]");
    if (next) next.focus();  // the last pair found: on to Check
  } else {
    for (const c of [left, right]) {
      c.classList.remove("shake");
      void c.offsetWidth;  // restart the animation
      c.classList.add("shake");
    }
    feedbackCue("wrong-pair");
    const status = board.querySelector("[data-match-status]");
    if (status) {  // said, not only shown: a screen reader hears that the two were not a pair
      status.textContent = "";
      status.textContent = status.dataset.notAPair.replace("{left}", left.dataset.word).replace("{right}", right.dataset.value);
    }
  }
}

// Word tiles: tap a tile to place it on the answer line, tap it there to take it back. The line writes the
// (hidden) text field the form sends; without JS the tiles are typed into that field instead.
function setUpTiles(root) {
  const bank = root.querySelector("[data-joiner]");
  const input = answerInput(root);
  if (!bank || !input || root.querySelector("[data-tile-line]")) return;
  const line = document.createElement("div");
  line.className = "tile-line";
  line.dataset.tileLine = "";
  line.setAttribute("role", "group");
  line.dir = bank.dir;  // the answer's language runs its own way, whatever the page's does
  const label = root.querySelector(`label[for="${input.id}"]`);
  if (label) line.setAttribute("aria-label", label.textContent.trim());
  bank.before(line);
  input.hidden = true;
  input.removeAttribute("autofocus");
  const first = bank.querySelector("[data-tile]");
  if (first) first.setAttribute("autofocus", "");
}

function syncTiles(root) {
  const input = answerInput(root);
  const bank = root.querySelector("[data-joiner]");
  const line = root.querySelector("[data-tile-line]");
  if (input && bank && line) {
    input.value = [...line.children].map((placed) => placed.dataset.word).join(bank.dataset.joiner);
  }
  updateCheck(root);
}

function addTile(root, tile) {
  const line = root.querySelector("[data-tile-line]");
  if (!line || tile.disabled) return;
  const placed = document.createElement("button");
  placed.type = "button";
  placed.className = "tile tile--placed";
  placed.dataset.word = tile.dataset.tile;
  placed.dataset.from = tile.dataset.key;
  placed.dataset.placed = "";
  placed.lang = tile.lang;
  placed.textContent = tile.dataset.tile;
  line.append(placed);
  const focused = document.activeElement === tile;
  tile.disabled = true;
  syncTiles(root);
  if (focused) {
    // Keep the keyboard in the bank (a disabled button drops focus to the page, where Enter would check half
    // an answer): on the next tile left, else on Check once every tile is placed.
    const left = [...root.querySelectorAll("[data-tile]:not([disabled])")];
    const next = left.find((other) => tile.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING);
    const check = root.querySelector("[data-check]");
    (next || left[0] || (check && !check.disabled ? check : placed)).focus();
  }
  feedbackCue("tile");
}

function takeBack(root, placed) {
  const tile = root.querySelector(`[data-tile][data-key="${placed.dataset.from}"]`);
  if (tile) tile.disabled = false;
  placed.remove();
  syncTiles(root);
}

function undoTile(root) {
  const line = root.querySelector("[data-tile-line]");
  if (line && line.lastElementChild) takeBack(root, line.lastElementChild);
}

// Listening: the item's recording (the course's own, or the server's text to speech) plays in an <audio>
// element; without one, or when it cannot play, the browser's voice speaks; with no voice for the language
// (0 voices is common), the page says so and shows the text instead of a button that would stay silent.
function recordingFor(button) {
  if (!button.dataset.audio) return null;
  let player = button.parentElement.querySelector("audio[data-item-audio]");
  if (!player) {
    player = document.createElement("audio");
    player.dataset.itemAudio = "";
    player.preload = "auto";
    player.src = button.dataset.audio;
    player.addEventListener("error", () => { button.dataset.audioFailed = "1"; });
    button.after(player);
  }
  return player;
}

function speak(button, { fromTap = true } = {}) {
  const player = button.dataset.audioFailed ? null : recordingFor(button);
  if (player) {
    player.currentTime = 0;
    player.play().catch((error) => {
      // Blocked before the first tap (autoplay): the button plays it. Anything else: the voice, or the text.
      if (error && error.name === "NotAllowedError" && !fromTap) return;
      button.dataset.audioFailed = "1";
      speakWithVoice(button);
    });
    return;
  }
  speakWithVoice(button);
}

function voicesFor(lang) {
  const synth = window.speechSynthesis;
  return synth ? synth.getVoices().filter((v) => v.lang && v.lang.toLowerCase().startsWith(lang.toLowerCase())) : [];
}

// Voices load late in some browsers: wait for them a moment (once) before saying there are none.
let voicesSettled = null;
function voicesReady() {
  const synth = window.speechSynthesis;
  if (!synth || synth.getVoices().length) return Promise.resolve();
  if (!voicesSettled) {
    voicesSettled = new Promise((resolve) => {
      synth.addEventListener("voiceschanged", () => resolve(), { once: true });
      setTimeout(resolve, 800);
    });
  }
  return voicesSettled;
}

function showText(button) {
  if (button.closest("[data-teach-card]")) {  // the card shows its word already
    button.hidden = true;
    return;
  }
  const root = button.closest("form") || document;
  const note = root.querySelector("[data-no-voice]");
  const fallback = root.querySelector("[data-listen-fallback]");
  if (note) note.hidden = false;
  if (fallback) fallback.open = true;
  button.hidden = true;  // a "Play again" that stays silent helps nobody
}

async function speakWithVoice(button) {
  await voicesReady();
  const lang = button.dataset.lang || "";
  const voices = voicesFor(lang);
  if (!window.speechSynthesis || !voices.length) {
    showText(button);
    return;
  }
  const utterance = new SpeechSynthesisUtterance(button.dataset.say);
  utterance.lang = lang;
  utterance.voice = voices[0];
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(utterance);
}

function setUpSpeechRecognition(root) {
  const button = root.querySelector("[data-listen-for-speech]");
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!button || !Recognition) return;
  button.hidden = false;
  const label = button.textContent;
  const status = root.querySelector("[data-speech-status]");
  button.addEventListener("click", () => {
    const recognition = new Recognition();
    recognition.lang = button.dataset.lang;
    let heard = false;
    recognition.onresult = (event) => {
      heard = true;
      const input = answerInput(root);
      if (input) input.value = event.results[0][0].transcript;
      updateCheck(root);
    };
    // While it listens the button says so; when it heard nothing (no microphone, no permission, silence),
    // the page says so and the answer field takes the keyboard.
    recognition.onend = () => {
      button.disabled = false;
      button.textContent = label;
      if (!heard && status) status.textContent = button.dataset.notHeard;
      if (!heard) answerInput(root)?.focus();
    };
    button.disabled = true;
    button.textContent = button.dataset.listening;
    try {
      recognition.start();
    } catch {
      recognition.onend();
    }
  });
}

function start(root) {
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const shownAt = performance.now();
  const form = root.querySelector("form[data-exercise]");
  if (form) {
    form.addEventListener("submit", () => {
      const duration = form.querySelector("[data-duration]");
      if (duration) duration.value = String(Math.round(performance.now() - shownAt));
    });
  }
  const say = root.querySelector("form [data-say]");
  // Speaking by itself waits for the learner's first interaction with the page (browsers are removing
  // speechSynthesis.speak() without user activation); a recording may try, the speaker button plays it if not.
  const activated = !navigator.userActivation || navigator.userActivation.hasBeenActive;
  if (say && form && !form.querySelector("[disabled]") && (activated || say.dataset.audio)) {
    speak(say, { fromTap: false });
  }
  // A listening step with no recording on a device with no voice for the language: the text at once.
  const listen = form && form.querySelector("[data-no-voice]") && form.querySelector("[data-say]:not(.teach-listen)");
  if (listen && !listen.dataset.audio) {
    voicesReady().then(() => { if (!voicesFor(listen.dataset.lang || "").length) showText(listen); });
  }
  setUpSpeechRecognition(root);
  setUpTeach(root, form);
  setUpMatch(root);
  if (form && !form.hasAttribute("data-locked")) setUpTiles(root);
  if (form) {
    form.addEventListener("input", () => updateCheck(root));
    form.addEventListener("change", () => updateCheck(root));
    updateCheck(root);
  }
  showHearts(root);
  tickCountdowns();
  if (root.dataset.verdict) feedbackCue(root.dataset.verdict);
  else if (root.querySelector(".lesson-complete")) feedbackCue("complete");
  focusExercise(root);
}

// After each swap, focus goes to what comes next: the Continue button under the feedback, or the new
// exercise's first control. (Run after htmx settles, which otherwise restores focus to the old element.)
function focusExercise(root) {
  const target = root.querySelector("[data-continue]")
    || (root.classList.contains("lesson--teaching") && root.querySelector("[data-got-it]"))
    || root.querySelector("form [autofocus]:not([disabled]), [data-out-of-hearts] [autofocus], .lesson-complete [autofocus]");
  if (target) target.focus();
}

// Opening a hint (a word's meaning in the prompt, the text of a listening step) is sent with the answer as
// hinted=1: the scheduler rates a hinted answer lower (puchi/learning/scheduler.py). Works offline too.
function markHinted(event) {
  const opened = event.target instanceof Element && event.target.closest(".word-hint, [data-listen-fallback]");
  if (!opened) return;
  if (opened.matches("[data-listen-fallback]") && !opened.open) return;
  const field = opened.closest("form[data-exercise]")?.querySelector("[data-hinted]");
  if (field) field.value = "1";
}
document.addEventListener("focusin", markHinted);
document.addEventListener("mouseover", markHinted);
document.addEventListener("toggle", markHinted, true);  // toggle does not bubble: listen while capturing

document.addEventListener("click", (event) => {
  const root = lessonRoot();
  if (!root) return;
  const dialog = root.querySelector("[data-quit-dialog]");
  if (event.target.closest("[data-keep]") && dialog) {
    dialog.close();
    return;
  }
  const tile = event.target.closest("[data-tile]");
  if (tile) addTile(root, tile);
  if (event.target.closest("[data-got-it]")) gotIt(root);
  const placed = event.target.closest("[data-placed]");
  if (placed) takeBack(root, placed);
  const chip = event.target.closest("[data-match]");
  if (chip) pickMatch(root, chip);
  if (event.target.closest("[data-undo]")) undoTile(root);
  const say = event.target.closest("[data-say]");
  if (say) speak(say);
  const char = event.target.closest("[data-insert]");
  if (char) {
    const input = answerInput(root);
    if (input) {
      const at = input.selectionStart ?? input.value.length;
      input.value = input.value.slice(0, at) + char.dataset.insert + input.value.slice(input.selectionEnd ?? at);
      input.focus();
      input.setSelectionRange(at + char.dataset.insert.length, at + char.dataset.insert.length);
      updateCheck(root);
    }
  }
});

// ✕ asks before quitting (caught before htmx's boosted link sees the click; without JS it just leaves).
document.addEventListener("click", (event) => {
  const root = lessonRoot();
  const dialog = root && root.querySelector("[data-quit-dialog]");
  if (!dialog || !dialog.showModal || !event.target.closest("[data-quit]")) return;
  event.preventDefault();
  event.stopPropagation();
  dialog.showModal();
}, true);

// The special characters are one stop for Tab; the arrow keys move between them (in the page's direction).
document.addEventListener("keydown", (event) => {
  const current = event.target instanceof Element && event.target.closest(".char-button");
  if (!current || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
  const buttons = [...current.parentElement.querySelectorAll(".char-button")];
  const forward = (event.key === "ArrowRight") !== (getComputedStyle(current).direction === "rtl");
  const index = buttons.indexOf(current);
  const next = event.key === "Home" ? buttons[0] : event.key === "End" ? buttons[buttons.length - 1]
    : buttons[(index + (forward ? 1 : -1) + buttons.length) % buttons.length];
  event.preventDefault();
  for (const button of buttons) button.tabIndex = button === next ? 0 : -1;
  next.focus();
});

document.addEventListener("keydown", (event) => {
  const root = lessonRoot();
  if (!root || event.altKey || event.ctrlKey || event.metaKey) return;
  const active = document.activeElement;
  const continueLink = root.querySelector("[data-continue]");
  if (active && active.closest("dialog")) return;
  if (root.classList.contains("lesson--teaching")) {
    if (event.key === "Enter" && !(active && active.matches("button:not([data-got-it]), a"))) {
      event.preventDefault();
      gotIt(root);
    }
    return;
  }
  if (event.key === "Enter") {
    if (continueLink) {
      event.preventDefault();
      continueLink.click();
    } else if (!(active && active.matches("button:not([disabled]), a, summary"))) {
      // A choice, a text field, a select or the page itself: Enter checks, once there is an answer.
      const check = root.querySelector("[data-check]");
      if (check) {
        event.preventDefault();
        if (!check.disabled) check.click();
      }
    }
    return;
  }
  const tiles = root.querySelector("[data-tile]");
  if (active && active.tagName === "SELECT") return;
  if (isTyping(active) && !tiles) return;
  if (/^[1-9]$/.test(event.key)) {
    const target = root.querySelector(`[data-key="${event.key}"]:not([disabled])`);
    if (!target) return;
    event.preventDefault();
    if (target.matches("[data-tile]")) {
      addTile(root, target);
      const check = root.querySelector("[data-check]");
      if (check && !check.disabled) check.focus();  // so Enter checks, as after picking a choice
    } else if (target.matches("[data-match]")) {
      target.focus();
      pickMatch(root, target);
    } else {
      target.checked = true;
      target.focus();
      updateCheck(root);
    }
  } else if (event.key === "Backspace" && tiles && !isTyping(active)) {
    event.preventDefault();
    undoTile(root);
  }
});

// The celebration: XP counts up and the goal ring fills when the reward arrives (not with reduced motion).
function celebrate(reward) {
  if (!reward || reward.dataset.celebrated || !reward.closest("[data-lesson]")) return;
  reward.dataset.celebrated = "1";
  if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  const xp = reward.querySelector("[data-count-up]");
  if (xp) {
    const total = Number(xp.dataset.countUp);
    const text = xp.textContent;
    const began = performance.now();
    const step = (at) => {
      const shown = Math.round(total * Math.min(1, (at - began) / 800));
      xp.textContent = text.replace(String(total), String(shown));
      if (shown < total) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }
  const ring = reward.querySelector(".goal-ring-fill");
  if (ring) {
    const full = ring.getAttribute("stroke-dasharray");
    ring.setAttribute("stroke-dasharray", `0 ${full.split(" ")[1]}`);
    requestAnimationFrame(() => requestAnimationFrame(() => ring.setAttribute("stroke-dasharray", full)));
  }
}

document.addEventListener("htmx:load", (event) => {
  start(lessonRoot());
  const target = event.detail && event.detail.elt;
  if (target && target.querySelector) celebrate(target.matches(".lesson-reward") ? target : target.querySelector(".lesson-reward"));
});
document.addEventListener("htmx:afterSettle", () => {
  const root = lessonRoot();
  if (root) focusExercise(root);
});
start(lessonRoot());
