"""Grading forgives what a teacher would (case, punctuation, spacing, Unicode forms, accents, one typo, other right
spellings) and refuses what a teacher would (another word, a swapped ending), saying what to check."""

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from puchi.learning.grading import Mistake, Segment, Verdict, answer_key, grade, normalize, uses_spaces

VECTORS = json.loads((Path(__file__).parent / "grading_vectors.json").read_text(encoding="utf-8"))

SPANISH_LETTERS = "abcdefghijklmnopqrstuvwxyzáéíóúüñ"
PLAIN_LETTERS = "abcdefghijklmnopqrstuvwxyzáéíóúüñàèçöäßøœ"


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def words(alphabet: str, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=10)


def phrases(alphabet: str) -> st.SearchStrategy[str]:
    return st.lists(words(alphabet), min_size=1, max_size=5).map(" ".join)


# Text learners plausibly type: several scripts, digits, punctuation, apostrophes and odd whitespace.
typed_text = st.text(
    alphabet=PLAIN_LETTERS + PLAIN_LETTERS.upper() + "ñÑ0123456789 \t\n\u3000'’.,;:!?¡¿…\"«»“”()-–—。、！？・"
    "これはねこです你好吗ｈｏｌａｺｰﾋｰ\u0301\u0303",
    max_size=30,
)


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['language']}:{v['answer']!r}" for v in VECTORS])
def test_every_shared_vector_grades_as_recorded(vector):
    verdict = grade(vector["answer"], vector["accepted"], vector["language"], known_words=vector.get("known", ()),
                    spellings=[tuple(pair) for pair in vector.get("spellings", ())])
    assert (verdict.result, verdict.expected) == (vector["result"], vector["expected"])
    assert (verdict.mistake, verdict.focus) == (vector.get("mistake", ""), vector.get("focus", ""))
    assert "".join(segment.text for segment in verdict.segments) == verdict.expected


def test_the_shared_vectors_cover_every_language_result_and_mistake():
    languages = {vector["language"].split("-")[0] for vector in VECTORS}
    assert {"es", "fr", "de", "en", "ja", "zh"} <= languages  # the bundled courses teach es and ja from en
    assert {vector["result"] for vector in VECTORS} == {"correct", "almost", "wrong"}
    assert {vector.get("mistake", "") for vector in VECTORS} == {"", "ending", "accent", "other_word"}
    assert len(VECTORS) >= 200


# --- Properties --------------------------------------------------------------------------------------------------

@given(st.text(), st.sampled_from(["es", "ja", "de"]))
def test_normalizing_twice_changes_nothing(text, language):
    once = normalize(text, language)
    assert normalize(once, language) == once


@given(typed_text)
def test_normalize_ignores_case_surrounding_punctuation_and_whitespace_runs(text):
    plain = normalize(text, "es")
    assert normalize(text.upper(), "es") == normalize(text.lower(), "es")
    assert normalize(f" ¡¿«{text}»?!… ", "es") == plain
    assert normalize(text.replace(" ", " \t\n  "), "es") == plain


@given(st.text(min_size=1), st.sampled_from(["es", "fr", "ja", "zh"]))
def test_an_answer_identical_to_the_accepted_one_is_always_correct(text, language):
    assume(any(unicodedata.category(char).startswith("L") for char in text))
    assert grade(text, [text], language).result == "correct"


@given(st.lists(words(SPANISH_LETTERS), min_size=0, max_size=3), words(SPANISH_LETTERS, 6), st.data())
def test_one_letter_doubled_inside_a_word_of_six_letters_or_more_is_almost(others, long_word, data):
    position = data.draw(st.integers(0, len(long_word) - 1))
    slip = long_word[: position + 1] + long_word[position:]
    split = data.draw(st.integers(0, len(others)))
    accepted = " ".join([*others[:split], long_word, *others[split:]])
    answer = " ".join([*others[:split], slip, *others[split:]])
    verdict = grade(answer, [accepted], "es")
    assert verdict.result == "almost"
    assert any(segment.differs for segment in verdict.segments)


@given(phrases(SPANISH_LETTERS))
def test_a_spanish_phrase_without_its_accents_is_almost_or_correct_when_it_had_none(phrase):
    verdict = grade(strip_accents(phrase), [phrase], "es")
    assert verdict.result == ("correct" if strip_accents(phrase) == phrase else "almost")


@given(st.text())
def test_a_decomposed_answer_equals_its_composed_form(text):
    decomposed, composed = unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text)
    assert normalize(decomposed, "fr") == normalize(composed, "fr")
    if normalize(composed, "fr"):
        assert grade(decomposed, [composed], "fr").result == "correct"


# --- Examples ----------------------------------------------------------------------------------------------------

def test_missing_accents_are_almost_and_the_accented_letters_are_marked():
    verdict = grade("como estas", ["¿Cómo estás?"], "es")
    assert verdict.result == "almost"
    assert verdict.expected == "¿Cómo estás?"
    assert verdict.segments == (
        Segment("¿C", False), Segment("ó", True), Segment("mo est", False), Segment("á", True), Segment("s?", False),
    )


def test_a_marked_accent_stays_whole_when_the_accepted_answer_is_decomposed():
    verdict = grade("cafe", ["cafe\u0301"], "fr")
    assert verdict.segments == (Segment("caf", False), Segment("e\u0301", True))


def test_one_letter_missing_in_a_five_letter_word_is_almost_and_marked():
    verdict = grade("pero", ["perro"], "es")
    assert verdict.result == "almost"
    assert [segment.differs for segment in verdict.segments].count(True) == 1
    assert "".join(segment.text for segment in verdict.segments if segment.differs) == "r"


def test_a_letter_too_many_marks_where_it_was_put():
    assert grade("graciass", ["Gracias"], "es").segments == (Segment("Gracia", False), Segment("s", True))
    assert grade("grazcias", ["Gracias"], "es").segments == (Segment("Gra", False), Segment("c", True),
                                                              Segment("ias", False))


def test_two_swapped_letters_are_both_marked():
    verdict = grade("garcias", ["Gracias."], "es")
    assert verdict.segments == (Segment("G", False), Segment("ra", True), Segment("cias.", False))


def test_one_letter_changed_in_a_short_word_is_wrong_because_it_changes_the_meaning():
    assert grade("la gato", ["el gato"], "es").result == "wrong"
    assert grade("el sal", ["el sol"], "es").result == "wrong"


def test_a_missing_or_extra_word_is_wrong():
    assert grade("gato", ["el gato"], "es").result == "wrong"
    assert grade("el gato negro", ["el gato"], "es").result == "wrong"


def test_a_wrong_verdict_marks_the_words_that_differ():
    assert grade("el sal", ["el sol"], "es").segments == (Segment("el ", False), Segment("sol", True))
    assert grade("la gato negro", ["El gato blanco."], "es").segments == (
        Segment("El", True), Segment(" gato ", False), Segment("blanco", True), Segment(".", False))


def test_a_wrong_verdict_marks_a_left_out_word_and_the_word_beside_an_added_one():
    assert grade("el gato", ["El gato negro"], "es").segments == (Segment("El gato ", False), Segment("negro", True))
    assert grade("el gato negro", ["el gato"], "es").segments == (Segment("el ", False), Segment("gato", True))


def test_a_wrong_answer_in_a_script_without_spaces_marks_the_characters_that_differ():
    assert grade("これはいぬです", ["これはねこです。"], "ja").segments == (
        Segment("これは", False), Segment("ねこ", True), Segment("です。", False))


def test_a_correct_verdict_is_one_unmarked_segment():
    verdict = grade("cómo estás", ["¿Cómo estás?"], "es")
    assert verdict == grade("¿Cómo estás?", ["¿Cómo estás?"], "es")
    assert verdict.segments == (Segment("¿Cómo estás?", False),)


def test_japanese_ignores_spaces_and_sentence_punctuation():
    assert grade("これは ねこ です", ["これはねこです。"], "ja").result == "correct"


def test_japanese_with_one_wrong_kana_is_wrong():
    assert grade("これはねこてす", ["これはねこです。"], "ja").result == "wrong"
    assert grade("これはぬこです", ["これはねこです。"], "ja").result == "wrong"


def test_chinese_half_and_full_width_forms_compare_equal():
    assert grade("你好,我叫小明.", ["你好，我叫小明。"], "zh-Hans").result == "correct"


def test_every_accepted_alternative_counts():
    verdict = grade("I'm hungry", ["I am hungry", "I'm hungry"], "en")
    assert (verdict.result, verdict.expected) == ("correct", "I'm hungry")


def test_a_curly_apostrophe_counts_as_a_straight_one():
    verdict = grade("I’m hungry", ["I am hungry", "I'm hungry"], "en")
    assert (verdict.result, verdict.expected) == ("correct", "I'm hungry")


def test_the_expected_answer_is_the_alternative_closest_to_the_learners():
    assert grade("i am hungy", ["I'm hungry", "I am hungry"], "en").expected == "I am hungry"
    assert grade("im hungry", ["I am hungry", "I'm hungry"], "en").expected == "I'm hungry"
    assert grade("buenas tardez", ["Buenas noches", "Buenas tardes"], "es").expected == "Buenas tardes"


def test_an_empty_answer_is_wrong_and_shows_the_first_accepted_answer():
    for answer in ("", "   \t", "¿?"):
        verdict = grade(answer, ["Hola", "Buenas"], "es")
        assert (verdict.result, verdict.expected) == ("wrong", "Hola")


def test_an_exercise_without_accepted_answers_is_a_programming_error():
    with pytest.raises(ValueError):
        grade("hola", [], "es")


def test_apostrophes_inside_words_are_kept_and_hyphens_are_spaces():
    assert normalize("« L’eau, c'est ‘bon’ ! »", "fr") == "l'eau c'est bon"
    assert normalize("A well-known fact…", "en") == "a well known fact"


@pytest.mark.parametrize(
    ("language", "spaced"),
    [("es", True), ("en-GB", True), ("ja", False), ("zh", False), ("zh-Hant", False), ("zh_TW", False),
     ("th", False), ("lo", False), ("km", False), ("my", False), ("ko", True)],
)
def test_only_scripts_written_without_spaces_are_compared_by_characters(language, spaced):
    assert uses_spaces(language) is spaced


# --- Grammar and other words: wrong, saying what to check ---------------------------------------------------------

@pytest.mark.parametrize(("answer", "accepted", "language", "focus"), [
    ("la puerta abierto", "La puerta abierta.", "es", "abierta"),
    ("los coche", "los coches", "es", "coches"),
    ("yo vivimos aquí", "Yo vivo aquí.", "es", "vivo"),
    ("une grand maison", "une grande maison", "fr", "grande"),
    ("he run fast", "He runs fast.", "en", "runs"),
])
def test_a_swapped_inflection_ending_is_wrong_and_names_the_ending_to_check(answer, accepted, language, focus):
    verdict = grade(answer, [accepted], language)
    assert (verdict.result, verdict.mistake, verdict.focus) == (Verdict.WRONG, Mistake.ENDING, focus)
    assert any(segment.differs and focus in segment.text.casefold() for segment in verdict.segments)


def test_a_doubled_letter_at_the_end_is_a_typo_not_an_ending():
    assert grade("los coches", ["los cochess"], "es").result == "almost"
    assert grade("los cochess", ["los coches"], "es").result == "almost"


def test_one_letter_that_makes_another_word_of_the_course_is_wrong():
    course_words = ["pero", "perro", "gato", "cansado", "casado"]
    verdict = grade("estoy casado", ["Estoy cansado."], "es", known_words=course_words)
    assert (verdict.result, verdict.mistake, verdict.focus) == (Verdict.WRONG, Mistake.OTHER_WORD, "cansado")
    assert grade("estoy cansdo", ["Estoy cansado."], "es", known_words=course_words).result == "almost"


def test_an_accent_that_makes_another_known_word_is_wrong_but_a_mere_missing_accent_is_almost():
    verdict = grade("el bebe", ["El bebé"], "es", known_words=["bebe", "bebé"])
    assert (verdict.result, verdict.mistake, verdict.focus) == (Verdict.WRONG, Mistake.ACCENT, "bebé")
    assert grade("el bebe", ["El bebé"], "es", known_words=["leche"]).result == "almost"


def test_the_key_keeps_only_the_known_words_near_the_right_answers():
    key = answer_key(["El gato duerme."], "es", known_words=["gata", "perro", "duerme", "duermen", "casa"])
    assert key.known == {"gata", "duerme", "duermen"}
    assert key.as_json()["known"] == ["duerme", "duermen", "gata"]


# --- Other right spellings -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "accepted", "language"), [
    ("we are not ready", "We aren't ready.", "en"),
    ("they're here", "They are here.", "en"),
    ("he doesn't eat meat", "He does not eat meat.", "en"),
    ("what's your name", "What is your name?", "en"),
    ("ma sœur", "ma soeur", "fr"),
    ("ni3men hao3", "nǐmen hǎo", "zh"),
    ("nimen hao", "nǐmen hǎo", "zh"),
    ("學校", "学校", "zh"),
    ("tengo 4 hermanos", "Tengo cuatro hermanos.", "es"),
    ("benkyou shimasu", "benkyō shimasu", "ja"),
])
def test_other_right_spellings_are_correct(answer, accepted, language):
    verdict = grade(answer, [accepted], language)
    assert (verdict.result, verdict.expected) == ("correct", accepted)


def test_kanji_and_kana_are_the_same_answer_only_where_the_course_gives_both():
    spellings = [("水", "みず")]
    assert grade("水をください", ["みずをください。"], "ja", spellings=spellings).result == "correct"
    assert grade("みずをください", ["水をください。"], "ja", spellings=spellings).result == "correct"
    assert grade("水をください", ["みずをください。"], "ja").result == "wrong"


def test_a_missing_apostrophe_space_or_hyphen_is_almost():
    assert grade("cest bon", ["C'est bon."], "fr").result == "almost"
    assert grade("goodbye my friend", ["Good-bye, my friend!"], "en").result == "almost"
    assert grade("good bye my friend", ["Good-bye, my friend!"], "en").result == "correct"


def test_romaji_is_compared_by_words_even_in_a_japanese_course():
    verdict = grade("arigato gozaimasu", ["ありがとうございます", "arigatō gozaimasu"], "ja")
    assert (verdict.result, verdict.expected) == ("almost", "arigatō gozaimasu")
    assert any(segment.differs for segment in verdict.segments)
