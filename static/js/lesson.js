// The lesson player's keyboard play, tiles, special characters, speech; every exercise also works without it.
// Number keys pick a choice or a tile, Enter checks and continues, Backspace removes the last tile.

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

function addTile(root, tile) {
  const input = answerInput(root);
  if (!input || tile.disabled) return;
  const joiner = tile.closest("[data-joiner]").dataset.joiner;
  input.value = input.value ? input.value + joiner + tile.dataset.tile : tile.dataset.tile;
  tile.disabled = true;
  tile.dataset.used = String(Date.now());
}

function undoTile(root) {
  const used = [...root.querySelectorAll("[data-tile][data-used]")].sort((a, b) => b.dataset.used - a.dataset.used);
  const input = answerInput(root);
  if (!used.length || !input) return;
  const tile = used[0];
  const joiner = tile.closest("[data-joiner]").dataset.joiner;
  const suffix = (input.value.length > tile.dataset.tile.length ? joiner : "") + tile.dataset.tile;
  if (input.value.endsWith(suffix)) input.value = input.value.slice(0, -suffix.length);
  tile.disabled = false;
  delete tile.dataset.used;
}

function speak(button) {
  // An item's own recording plays first; speech synthesis speaks when there is none or it cannot play.
  if (button.dataset.audio) {
    const recording = new Audio(button.dataset.audio);
    recording.play().catch(() => speakWithVoice(button));
    return;
  }
  speakWithVoice(button);
}

function speakWithVoice(button) {
  const synth = window.speechSynthesis;
  const lang = button.dataset.lang;
  const voices = synth ? synth.getVoices().filter((v) => v.lang && v.lang.toLowerCase().startsWith(lang)) : [];
  const root = lessonRoot();
  if (!synth || (synth.getVoices().length && !voices.length)) {
    // No voice for this language: say so and show the text instead of failing silently.
    const note = root && root.querySelector("[data-no-voice]");
    if (note) note.hidden = false;
    const fallback = root && root.querySelector("[data-listen-fallback]");
    if (fallback) fallback.open = true;
    return;
  }
  const utterance = new SpeechSynthesisUtterance(button.dataset.say);
  utterance.lang = lang;
  if (voices.length) utterance.voice = voices[0];
  synth.cancel();
  synth.speak(utterance);
}

function setUpSpeechRecognition(root) {
  const button = root.querySelector("[data-listen-for-speech]");
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!button || !Recognition) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const recognition = new Recognition();
    recognition.lang = button.dataset.lang;
    recognition.onresult = (event) => {
      const input = answerInput(root);
      if (input) input.value = event.results[0][0].transcript;
    };
    recognition.start();
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
  const say = root.querySelector("[data-say]");
  if (say && form && !form.querySelector("[disabled]")) {
    if (window.speechSynthesis && !window.speechSynthesis.getVoices().length) {
      window.speechSynthesis.addEventListener("voiceschanged", () => speak(say), { once: true });
      setTimeout(() => { if (!window.speechSynthesis.getVoices().length) speak(say); }, 800);
    } else {
      speak(say);
    }
  }
  setUpSpeechRecognition(root);
  focusExercise(root);
}

// After each swap, focus goes to what comes next: the Continue button under the feedback, or the new
// exercise's first control. (Run after htmx settles, which otherwise restores focus to the old element.)
function focusExercise(root) {
  const target = root.querySelector("[data-continue]") || root.querySelector("[autofocus]:not([disabled])");
  if (target) target.focus();
}

document.addEventListener("click", (event) => {
  const root = lessonRoot();
  if (!root) return;
  const tile = event.target.closest("[data-tile]");
  if (tile) addTile(root, tile);
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
    }
  }
});

document.addEventListener("keydown", (event) => {
  const root = lessonRoot();
  if (!root || event.altKey || event.ctrlKey || event.metaKey) return;
  const active = document.activeElement;
  const continueLink = root.querySelector("[data-continue]");
  if (event.key === "Enter") {
    if (continueLink) {
      event.preventDefault();
      continueLink.click();
    } else if (!(active && active.matches("input.answer-input, button, a"))) {
      // A choice, a select or the page itself: Enter checks (a text field submits its form natively).
      const check = root.querySelector("[data-check]");
      if (check) {
        event.preventDefault();
        check.click();
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
    } else {
      target.checked = true;
      target.focus();
    }
  } else if (event.key === "Backspace" && tiles && !isTyping(active)) {
    event.preventDefault();
    undoTile(root);
  }
});

document.addEventListener("htmx:load", () => start(lessonRoot()));
document.addEventListener("htmx:afterSettle", () => {
  const root = lessonRoot();
  if (root) focusExercise(root);
});
start(lessonRoot());
