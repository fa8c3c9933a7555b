// Grading a typed answer the way a teacher would, in the browser: the twin of puchi/learning/grading.py.
// Forgive form (Unicode form, width, case, punctuation, spacing); an answer that differs from a right one only by
// accents, by a missing apostrophe, space or hyphen, or by one typo in a word of five letters or more, is "almost";
// a slip that lands on a known word or swaps an inflection ending is "wrong" with what to check; anything else is
// "wrong". Answers in scripts written without spaces are compared character by character with no typo tolerance.
// The right answers' variants, folds, known words and endings come from the server in an answer key
// (AnswerKey.as_json): this file knows no language. Both sides are pinned by tests/learning/grading_vectors.json
// (tests/learning/test_grading_js.py runs this file under Node): change them together. Lengths and positions are
// in code points ([...text]), as in Python, never UTF-16 units.

// Primary language subtags of scripts written without spaces between words.
const UNSPACED = new Set(["ja", "zh", "yue", "th", "lo", "km", "my"]);

// Letters of scripts written without spaces: Thai, Lao, Myanmar, Khmer, kana, Bopomofo, CJK ideographs.
const UNSPACED_LETTER = /[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}]/u;

// Ligatures NFKC keeps but nobody types: "coeur" is "cœur".
const LIGATURES = /[œæ]/gu;
const LIGATURE_LETTERS = { "œ": "oe", "æ": "ae" };

// Python's str.isspace() characters. JS \s differs: it lacks U+001C–U+001F and U+0085 and adds U+FEFF.
const SPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const SPACES = new RegExp(`${SPACE.source}+`, "u");
const OUTER_SPACES = new RegExp(`^${SPACE.source}+|${SPACE.source}+$`, "gu");

// Apostrophe look-alikes learners' keyboards produce; mapped before NFKC because NFKC turns ´ into space + accent.
const APOSTROPHES = /[\u2019\u02bc`\u00b4]/gu;

// Python's unicodedata categories: P* punctuation, M* marks, L/N/M word characters.
const PUNCTUATION = /\p{P}/u;
const MARK = /\p{M}/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

// What counts as an accent: the generic combining diacritics (Latin, Greek, Cyrillic, pinyin tones...) and the
// optional vowel points of Hebrew and Arabic. Not every nonspacing mark: kana voicing marks (か/が) and Thai or
// Devanagari vowel and tone signs are letters of their script, and changing them makes another word.
const ACCENTS = new RegExp(
  "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f" // generic combining diacritics
  + "\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670]", // Hebrew and Arabic points
  "gu",
);

// A typo is forgiven only in words this long: in shorter words one letter usually makes another word (el/la).
const MIN_TYPO_LETTERS = 5;

/** False for languages whose script puts no spaces between words (ja, zh, zh-Hant, th, lo, km, my). */
export function usesSpaces(language) {
  const primary = language.replace(OUTER_SPACES, "").toLowerCase().replaceAll("_", "-").split("-")[0];
  return !UNSPACED.has(primary);
}

/** False when `text` has a letter of a script written without spaces (kana, hanzi, Thai...). */
export function writtenWithSpaces(text) {
  return !UNSPACED_LETTER.test(text);
}

// Words of `text` split on whitespace runs, without empty ones (Python's str.split()).
function splitSpaces(text) {
  return text.split(SPACES).filter(Boolean);
}

// Python's str.casefold(). toLowerCase() alone keeps ß and ᾳ and, at the end of a word, ς; upper- then lower-casing
// each code point folds those (ß → ss, ᾳ → αι, ς → σ) and matches casefold() everywhere but Cherokee, the dotless
// ı (Turkish, kept as is) and ẞ (→ ß, folded on to ss after).
function casefold(text) {
  const folded = [...text].map((char) => (char === "ı" ? char : char.toUpperCase().toLowerCase()));
  return folded.join("").replaceAll("ß", "ss");
}

// NFKC, casefolded, apostrophe look-alikes straightened. Casefolding can yield non-NFKC text (and NFKC can yield
// ʼ from ŉ), so both are settled again after it.
function fold(text) {
  return casefold(text.replace(APOSTROPHES, "'").normalize("NFKC")).normalize("NFKC").replace(APOSTROPHES, "'");
}

function foldLigatures(text) {
  return text.replace(LIGATURES, (char) => LIGATURE_LETTERS[char]);
}

/**
 * The comparison form: NFKC, casefolded, punctuation and extra whitespace gone, in-word apostrophes kept.
 * Punctuation becomes a space rather than vanishing, so "well-known" equals "well known". `language` is accepted
 * for symmetry with grade(); the form itself is the same in every language.
 */
export function normalize(text, language) {
  const chars = [...foldLigatures(fold(text))];
  const last = chars.length - 1;
  const kept = chars.map((char, index) => {
    if (char === "'") {
      const inside = index > 0 && index < last && WORD_CHAR.test(chars[index - 1]) && WORD_CHAR.test(chars[index + 1]);
      return inside ? char : " ";
    }
    return PUNCTUATION.test(char) ? " " : char;
  });
  return splitSpaces(kept.join("")).join(" ");
}

function stripAccents(text) {
  return text.normalize("NFD").replace(ACCENTS, "").normalize("NFC");
}

// An answer prepared for comparison: key (normalized and folded; without spaces for unspaced scripts), bare (key
// without accents), words (bare split into words; none for unspaced scripts, which get no typo tolerance), keyWords
// (key split into words) and squashed (bare without spaces and apostrophes).
function prepare(text, spaced, folds) {
  let key = normalize(text, "");
  if (!spaced) key = key.replaceAll(" ", "");
  for (const [source, target] of folds) key = key.replaceAll(source, target);
  const bare = stripAccents(key);
  return {
    key,
    bare,
    words: spaced ? splitSpaces(bare) : [],
    keyWords: spaced ? splitSpaces(key) : [],
    squashed: bare.replaceAll(" ", "").replaceAll("'", ""),
  };
}

function letters(word) {
  return [...word].filter((char) => char !== "'").length;
}

// Edit-distance table between code point arrays a and b: d[i][j] is the distance between a[:i] and b[:j].
// With `transpositions`, swapping two adjacent letters is one edit (optimal string alignment, as rapidfuzz's OSA).
function distances(a, b, transpositions) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i || j));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (transpositions && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d;
}

function osa(a, b) {
  const [x, y] = [[...a], [...b]];
  return distances(x, y, true)[x.length][y.length];
}

// The answer with a letter doubled makes `shorter` (a typing slip, never an ending).
function doublesALetter(longer, shorter) {
  const chars = [...longer];
  if (chars.length !== [...shorter].length + 1) return false;
  for (let index = 1; index < chars.length; index++) {
    if (chars[index] === chars[index - 1]
      && [...chars.slice(0, index), ...chars.slice(index + 1)].join("") === shorter) return true;
  }
  return false;
}

// The two words share a stem and end in two different inflection endings.
function swapsEnding(word, wanted, endings) {
  if (!endings.size || doublesALetter(word, wanted) || doublesALetter(wanted, word)) return false;
  const [a, b] = [[...word], [...wanted]];
  let stem = 0;
  while (stem < Math.min(a.length, b.length) && a[stem] === b[stem]) stem++;
  for (let cut = 2; cut <= stem; cut++) {
    if (endings.has(a.slice(cut).join("")) && endings.has(b.slice(cut).join(""))) return true;
  }
  return false;
}

function nearest(word, candidates) {
  let best = candidates[0];
  for (const candidate of candidates) if (osa(word, candidate) < osa(word, best)) best = candidate;
  return best;
}

// How near `given` is to one right answer it does not equal: [verdict, mistake, focus].
function compare(given, target, known, endings) {
  const spaced = target.words.length > 0;
  if (given.bare === target.bare) { // only accents differ
    for (let index = 0; index < given.keyWords.length; index++) {
      const [word, wanted] = [given.keyWords[index], target.keyWords[index]];
      if (word !== wanted && known.has(word)) return ["wrong", "accent", wanted];
    }
    return ["almost", "", ""];
  }
  if (spaced && given.squashed === target.squashed) { // only apostrophes, spaces or hyphens (and accents) differ
    for (const word of given.keyWords) {
      if (!target.keyWords.includes(word) && known.has(word)) return ["wrong", "other_word", nearest(word, target.keyWords)];
    }
    return ["almost", "", ""];
  }
  if (!spaced || given.words.length !== target.words.length) return ["wrong", "", ""];
  const differing = target.words.map((_, index) => index).filter((index) => given.words[index] !== target.words[index]);
  if (differing.length !== 1) return ["wrong", "", ""];
  const index = differing[0];
  const [word, wanted] = [given.words[index], target.words[index]];
  if (swapsEnding(word, wanted, endings)) return ["wrong", "ending", target.keyWords[index]];
  if (osa(word, wanted) > 1) return ["wrong", "", ""];
  if (known.has(given.keyWords[index])) return ["wrong", "other_word", target.keyWords[index]];
  if (letters(wanted) >= MIN_TYPO_LETTERS) return ["almost", "", ""];
  return ["wrong", "", ""];
}

/**
 * Grade `answer` against every right answer of `key` (AnswerKey.as_json() from the server: {forms: [[text,
 * accepted index]], folds, known, endings}; without one, the accepted answers as they are). Returns {result:
 * "correct"|"almost"|"wrong", expected, segments, mistake, focus}: `expected` is the right answer nearest to the
 * answer; `segments` split it into runs [{text, differs}], marking what the learner got wrong; for a wrong answer
 * one slip from right, `mistake` ("ending", "accent", "other_word") says what to check and `focus` the word.
 */
export function grade(answer, accepted, language, key) {
  if (!accepted.length) throw new Error("an exercise needs at least one accepted answer");
  const forms = key ? key.forms : accepted.map((text, index) => [text, index]);
  const folds = key ? key.folds : [];
  const known = new Set(key ? key.known : []);
  const endings = new Set(key ? key.endings : []);
  const spaced = writtenWithSpaces(normalize(answer, language));
  const given = prepare(answer, spaced, folds);
  if (!given.key) return plain("wrong", accepted[0]);
  let best = null; // [almost 0 / wrong with advice 1 / wrong 2, edit distance]: smallest wins, earliest on ties
  let [judged, nearestForm, expected] = [null, null, forms[0][0]];
  for (const [text, origin] of forms) {
    const target = prepare(text, spaced, folds);
    if (given.key === target.key) return plain("correct", accepted[origin]);
    const verdict = compare(given, target, known, endings);
    const rank = [verdict[0] === "almost" ? 0 : verdict[1] ? 1 : 2, osa(given.key, target.key)];
    if (!best || rank[0] < best[0] || (rank[0] === best[0] && rank[1] < best[1])) {
      [best, judged, nearestForm, expected] = [rank, verdict, target, text];
    }
  }
  const [result, mistake, focus] = judged;
  if (result === "almost") return { ...plain("almost", expected), segments: markLetters(answer, expected) };
  const segments = spaced ? markWords(answer, expected) : markLetters(answer, expected);
  return { result: "wrong", expected, segments, mistake, focus: asWritten(focus, nearestForm, expected) };
}

// The word to check as the right answer writes it ("Hund", "obāsan"), not as compared ("hund", "obaasan").
function asWritten(focus, target, expected) {
  if (!focus) return "";
  const parts = clusters(expected);
  const written = wordsOf(parts).map(([, spans]) => spans.map((index) => parts[index]).join(""));
  return written.length === target.keyWords.length ? written[target.keyWords.indexOf(focus)] : focus;
}

function plain(result, expected) {
  return { result, expected, segments: [{ text: expected, differs: false }], mistake: "", focus: "" };
}

// Split into base characters with their combining marks, so an accented letter is marked whole.
function clusters(text) {
  const found = [];
  for (const char of text) {
    if (found.length && MARK.test(char)) found[found.length - 1] += char;
    else found.push(char);
  }
  return found;
}

// The cluster as compared (folded, accents kept so they can be marked), punctuation and spaces dropped.
function lettersOf(cluster) {
  const folded = casefold(cluster.replace(APOSTROPHES, "'").normalize("NFKC")).normalize("NFKC");
  return [...folded].filter((char) => char === "'" || !(SPACE.test(char) || PUNCTUATION.test(char)));
}

// The Levenshtein edits turning `source` into `target` (code point arrays), as [tag, source position]. Among the
// equally short alignments this picks the one rapidfuzz's Levenshtein.editops picks, so both sides mark the same
// letters: common prefix and suffix kept, then, walking back from the end, a deletion where one is optimal, else
// an insertion where the diagonal step above it costs more, else a match or replacement.
function editops(source, target) {
  let prefix = 0;
  while (prefix < source.length && prefix < target.length && source[prefix] === target[prefix]) prefix++;
  let suffix = 0;
  while (suffix < source.length - prefix && suffix < target.length - prefix
    && source[source.length - 1 - suffix] === target[target.length - 1 - suffix]) suffix++;
  const a = source.slice(prefix, source.length - suffix);
  const b = target.slice(prefix, target.length - suffix);
  const d = distances(a, b, false);
  const ops = [];
  let [i, j] = [a.length, b.length];
  while (i && j) {
    if (d[i][j] === d[i - 1][j] + 1) {
      i--;
      ops.push(["delete", prefix + i]);
    } else if (j > 1 && d[i - 1][j - 1] === d[i][j - 1] + 1) {
      j--;
      ops.push(["insert", prefix + i]);
    } else {
      i--;
      j--;
      if (a[i] !== b[j]) ops.push(["replace", prefix + i]);
    }
  }
  for (; i; i--) ops.push(["delete", prefix + i - 1]);
  for (; j; j--) ops.push(["insert", prefix]);
  return ops;
}

function toSegments(parts, marked) {
  const segments = [];
  parts.forEach((cluster, index) => {
    const previous = segments[segments.length - 1];
    if (previous && previous.differs === marked[index]) previous.text += cluster;
    else segments.push({ text: cluster, differs: marked[index] });
  });
  return segments;
}

// Split `expected` (as authored) into runs, marking the letters the learner got wrong or left out.
function markLetters(answer, expected) {
  const parts = clusters(expected);
  const wanted = [];
  const owner = []; // for each compared character of `expected`, the cluster it came from
  parts.forEach((cluster, index) => {
    for (const char of lettersOf(cluster)) {
      wanted.push(char);
      owner.push(index);
    }
  });
  const given = clusters(answer).flatMap(lettersOf);
  const marked = parts.map(() => false);
  for (const [tag, position] of editops(wanted, given)) {
    if (tag !== "insert") marked[owner[position]] = true;
    // Extra letters in the answer: mark the expected letter where they were put (so a swap of two letters marks
    // both), or the last letter when they trail.
    else if (owner.length) marked[owner[Math.min(position, owner.length - 1)]] = true;
  }
  return toSegments(parts, marked);
}

// The words of a text split into clusters: [word as compared, the clusters it spans].
function wordsOf(parts) {
  const words = [];
  let [current, spans] = ["", []];
  const close = () => {
    if (current) words.push([current.replace(/^'+|'+$/gu, ""), spans]);
    [current, spans] = ["", []];
  };
  parts.forEach((cluster, index) => {
    const found = lettersOf(cluster).join("");
    if (found) {
      current += found;
      spans.push(index);
    } else close();
  });
  close();
  return words;
}

// Split `expected` into runs, marking the whole words the learner got wrong, left out or added beside.
function markWords(answer, expected) {
  const parts = clusters(expected);
  const wanted = wordsOf(parts);
  const given = wordsOf(clusters(answer)).map(([word]) => word);
  const marked = parts.map(() => false);
  for (const [tag, position] of editops(wanted.map(([word]) => word), given)) {
    if (!wanted.length) break;
    const spot = tag === "insert" ? Math.min(position, wanted.length - 1) : position;
    for (const cluster of wanted[spot][1]) marked[cluster] = true;
  }
  return toSegments(parts, marked);
}
