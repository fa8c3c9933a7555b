// Grading a typed answer the way a teacher would, in the browser: the twin of puchi/learning/grading.py.
// Forgive form (Unicode form, width, case, punctuation, spacing); an answer that differs from an accepted one only
// by accents, or by one typo in a word of five letters or more, is "almost"; anything else is "wrong". Scripts
// written without spaces are compared character by character with no typo tolerance. Both sides are pinned by
// tests/learning/grading_vectors.json (tests/learning/test_grading_js.py runs this file under Node): change
// them together. Lengths and positions are in code points ([...text]), as in Python, never UTF-16 units.

// Primary language subtags of scripts written without spaces between words.
const UNSPACED = new Set(["ja", "zh", "yue", "th", "lo", "km", "my"]);

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

/**
 * The comparison form: NFKC, casefolded, punctuation and extra whitespace gone, in-word apostrophes kept.
 * Punctuation becomes a space rather than vanishing, so "well-known" equals "well known". `language` is accepted
 * for symmetry with grade(); the form itself is the same in every language.
 */
export function normalize(text, language) {
  const chars = [...fold(text)];
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

// An answer prepared for comparison: key (normalized; without spaces for unspaced scripts), bare (key without
// accents) and words (bare split into words; none for unspaced scripts, which get no typo tolerance).
function prepare(text, spaced) {
  let key = normalize(text, "");
  if (!spaced) key = key.replaceAll(" ", "");
  const bare = stripAccents(key);
  return { key, bare, words: spaced ? splitSpaces(bare) : [] };
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

// Only accents differ, or (with spaces) one typo in one long word while every other word is right.
function isSlip(answer, target) {
  if (answer.bare === target.bare) return true;
  if (!target.words.length || answer.words.length !== target.words.length) return false;
  const differing = target.words
    .map((wanted, index) => [answer.words[index], wanted])
    .filter(([given, wanted]) => given !== wanted);
  if (differing.length !== 1) return false;
  const [given, wanted] = differing[0];
  return letters(wanted) >= MIN_TYPO_LETTERS && osa(given, wanted) <= 1;
}

/**
 * Grade `answer` against every accepted alternative. Returns {result: "correct"|"almost"|"wrong", expected,
 * segments}: `expected` is the alternative nearest to the answer, as authored; `segments` split it into runs
 * [{text, differs}], marking the letters the learner got wrong or left out ("almost" only).
 */
export function grade(answer, accepted, language) {
  if (!accepted.length) throw new Error("an exercise needs at least one accepted answer");
  const spaced = usesSpaces(language);
  const given = prepare(answer, spaced);
  if (!given.key) return plain("wrong", accepted[0]);
  let best = null; // [0 almost / 1 wrong, edit distance]: smallest wins, the earliest alternative on ties
  let expected = accepted[0];
  for (const alternative of accepted) {
    const target = prepare(alternative, spaced);
    if (given.key === target.key) return plain("correct", alternative);
    const rank = [isSlip(given, target) ? 0 : 1, osa(given.key, target.key)];
    if (!best || rank[0] < best[0] || (rank[0] === best[0] && rank[1] < best[1])) {
      [best, expected] = [rank, alternative];
    }
  }
  if (best[0] === 1) return plain("wrong", expected);
  return { result: "almost", expected, segments: markDifferences(answer, expected) };
}

function plain(result, expected) {
  return { result, expected, segments: [{ text: expected, differs: false }] };
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

// Split `expected` (as authored) into runs, marking the letters the learner got wrong or left out.
function markDifferences(answer, expected) {
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
  const segments = [];
  parts.forEach((cluster, index) => {
    const previous = segments[segments.length - 1];
    if (previous && previous.differs === marked[index]) previous.text += cluster;
    else segments.push({ text: cluster, differs: marked[index] });
  });
  return segments;
}
