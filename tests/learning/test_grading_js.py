"""The browser grader (static/js/grading.js, for offline lessons) gives exactly the server's verdicts.

Node runs the ES module once over every case (the shared vectors, variants of their accepted answers and a few
case-folding traps), each with the answer key the server makes for it (:func:`puchi.learning.grading.answer_key`,
what the offline bundle ships), and each test compares its share with :func:`puchi.learning.grading.grade`.
"""

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from puchi.learning.grading import answer_key, grade, normalize, uses_spaces

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "static" / "js" / "grading.js"
VECTORS = json.loads((Path(__file__).parent / "grading_vectors.json").read_text(encoding="utf-8"))

NODE_SCRIPT = """\
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, casesPath] = process.argv.slice(2);
const { grade, normalize, usesSpaces } = await import(pathToFileURL(modulePath).href);
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const verdicts = cases.map(({ answer, accepted, language, key }) => ({
  ...grade(answer, accepted, language, key),
  normalized: normalize(answer, language),
  spaced: usesSpaces(language),
}));
process.stdout.write(JSON.stringify(verdicts));
"""


def case(answer: str, accepted: list[str], language: str, known: list[str] | None = None,
         spellings: list[list[str]] | None = None) -> dict:
    """One answer to grade, with what the course knows of its language (known words, kanji → kana spellings)."""
    graded = {"answer": answer, "accepted": accepted, "language": language}
    if known:
        graded["known"] = known
    if spellings:
        graded["spellings"] = spellings
    return graded


def key_for(graded: dict) -> dict:
    return answer_key(graded["accepted"], graded["language"], known_words=graded.get("known", ()),
                      spellings=[tuple(pair) for pair in graded.get("spellings", ())]).as_json()


def of_vector(vector: dict, answer: str | None = None) -> dict:
    return case(vector["answer"] if answer is None else answer, vector["accepted"], vector["language"],
                vector.get("known"), vector.get("spellings"))


def strip_marks(text: str) -> str:
    """Every nonspacing mark dropped: more than the grader calls accents (kana voicing, Thai vowels...)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def double_a_letter(text: str) -> str:
    """The middle letter of the longest word typed twice."""
    longest = max(re.finditer(r"\w+", text), key=lambda word: len(word[0]), default=None)
    if longest is None:
        return text + text[-1:]
    middle = (longest.start() + longest.end()) // 2
    return text[: middle + 1] + text[middle:]


def variants(accepted: str) -> list[str]:
    spread = accepted.replace(" ", " \t  ")
    return [accepted.upper(), f"  {spread}  ", f"¡¿«{accepted}»?!…", strip_marks(accepted), double_a_letter(accepted)]


VECTOR_CASES = [of_vector(v) for v in VECTORS]
VARIANT_CASES = list(
    {
        json.dumps(variant_case, ensure_ascii=False): variant_case
        for vector in VECTORS
        for alternative in vector["accepted"]
        for answer in variants(alternative)
        if (variant_case := of_vector(vector, answer)) not in VECTOR_CASES
    }.values()
)
# Where JS toLowerCase() and Python casefold() part ways: ß, ẞ and final σ fold; Turkish dotless ı stays itself.
FOLDING_CASES = [
    case("STRASSE", ["Straße"], "de"),
    case("strasse", ["STRAẞE"], "de"),
    case("ΚΑΛΗΜΕΡΑΣ", ["Καλημέρας"], "el"),
    case("καλημερας", ["ΚΑΛΗΜΕΡΑΣ!"], "el"),
    case("islak", ["ıslak"], "tr"),
    case("ıslak", ["Islak"], "tr"),
    case("İstanbul", ["istanbul"], "tr"),
    case("ᾠδὴ", ["ὨΙΔῌ"], "grc"),
]
CASES = VECTOR_CASES + VARIANT_CASES + FOLDING_CASES


def key(graded: dict) -> str:
    return json.dumps(graded, ensure_ascii=False, sort_keys=True)


def run_in_node(directory: Path) -> dict[str, dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "Node.js is not installed ('node' is not on PATH), so the browser grader static/js/grading.js cannot be "
            "checked against the server's: install Node.js 18 or later (CI does)."
        )
    script = directory / "grade.mjs"
    script.write_text(NODE_SCRIPT, encoding="utf-8")
    cases_path = directory / "cases.json"
    cases_path.write_text(json.dumps([{**graded, "key": key_for(graded)} for graded in CASES], ensure_ascii=False),
                          encoding="utf-8")
    try:
        completed = subprocess.run(
            [node, str(script), str(MODULE), str(cases_path)], check=True, capture_output=True, timeout=60
        )
    except subprocess.CalledProcessError as error:
        pytest.fail(f"Node could not run {MODULE.name}:\n{error.stderr.decode(errors='replace')}")
    verdicts = json.loads(completed.stdout)
    assert len(verdicts) == len(CASES)
    return {key(graded): verdict for graded, verdict in zip(CASES, verdicts, strict=True)}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """The browser's verdict on a case. Node runs once, inside the first test, so a missing Node fails tests."""
    verdicts: dict[str, dict] = {}

    def verdict(graded: dict) -> dict:
        if not verdicts:
            verdicts.update(run_in_node(tmp_path_factory.mktemp("grading_js")))
        return verdicts[key(graded)]

    return verdict


def server(graded: dict) -> dict:
    verdict = grade(graded["answer"], graded["accepted"], graded["language"], known_words=graded.get("known", ()),
                    spellings=[tuple(pair) for pair in graded.get("spellings", ())])
    return {
        "result": verdict.result,
        "expected": verdict.expected,
        "mistake": verdict.mistake,
        "focus": verdict.focus,
        "segments": [{"text": segment.text, "differs": segment.differs} for segment in verdict.segments],
        "normalized": normalize(graded["answer"], graded["language"]),
        "spaced": uses_spaces(graded["language"]),
    }


def disagreements(browser, cases: list[dict], fields: tuple[str, ...]) -> list[str]:
    found = []
    for graded in cases:
        js, py = browser(graded), server(graded)
        if any(js[field] != py[field] for field in fields):
            found.append(f"{graded}: browser {[js[f] for f in fields]} != server {[py[f] for f in fields]}")
    return found


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['language']}:{v['answer']!r}" for v in VECTORS])
def test_the_browser_grader_agrees_with_the_server_on_every_shared_vector(browser, vector):
    graded = of_vector(vector)
    js, py = browser(graded), server(graded)
    assert (js["result"], js["expected"], js["mistake"]) == (vector["result"], vector["expected"],
                                                              vector.get("mistake", ""))
    assert (js["result"], js["expected"], js["mistake"], js["focus"]) == (py["result"], py["expected"],
                                                                          py["mistake"], py["focus"])
    assert "".join(segment["text"] for segment in js["segments"]) == js["expected"]


def test_the_browser_grader_gives_the_server_verdict_on_variants_of_every_accepted_answer(browser):
    assert len(VARIANT_CASES) >= 300
    assert {server(graded)["result"] for graded in VARIANT_CASES} == {"correct", "almost", "wrong"}
    assert disagreements(browser, VARIANT_CASES, ("result", "expected", "mistake", "focus")) == []


def test_the_browser_grader_marks_the_same_letters_as_the_server(browser):
    # Among equally short alignments the browser picks rapidfuzz's, so a correction looks the same offline.
    assert disagreements(browser, CASES, ("segments",)) == []


def test_the_browser_normalizes_and_tells_unspaced_scripts_like_the_server(browser):
    assert disagreements(browser, CASES, ("normalized", "spaced")) == []


def test_the_browser_folds_case_like_python_casefold_where_lowercasing_would_not(browser):
    assert disagreements(browser, FOLDING_CASES, ("result", "expected", "normalized")) == []
    assert browser(FOLDING_CASES[0])["result"] == "correct"  # STRASSE is Straße


def test_the_browser_grader_is_a_self_contained_module_a_strict_csp_allows():
    source = MODULE.read_text(encoding="utf-8")
    assert not re.search(r"^\s*import\b|\bimport\(|\brequire\(", source, re.MULTILINE), "no dependencies"
    assert not re.search(r"\beval\b|\bFunction\(|\bsetTimeout\(\s*['\"`]", source), "no code from strings"
    assert not re.search(r"\b(window|document|globalThis)\b", source), "importable outside a page"
