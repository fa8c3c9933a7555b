"""Dictionary search: the words and phrases of my courses, found with or without accents."""

from tests.conftest import post_form


def _results(client, query):
    return client.get("/dictionary", query_string={"q": query}, headers={"HX-Request": "true"}).text


def test_search_finds_words_without_their_accents(learner):
    client, _ = learner
    assert "adiós" in _results(client, "adios")
    assert "adiós" in _results(client, "ADIÓS")


def test_search_matches_translations_and_word_prefixes(learner):
    client, _ = learner
    page = _results(client, "goodb")
    assert "adiós" in page and "goodbye" in page


def test_search_covers_only_the_learners_courses(learner, japanese):
    client, _ = learner
    assert "Nothing found" in _results(client, "sakana")
    post_form(client, "/courses", {}, action=f"/courses/{japanese}/enroll")
    assert "さかな" in _results(client, "sakana")


def test_search_finds_japanese_inside_a_sentence(learner, japanese):
    client, _ = learner
    post_form(client, "/courses", {}, action=f"/courses/{japanese}/enroll")
    assert "さかな" in _results(client, "さかな")


def test_search_shrugs_off_odd_queries(learner):
    client, _ = learner
    for query in ['"', "*", "a OR b", "' OR 1=1 --", "NEAR(", "%", "_", "x" * 500, "   "]:
        response = client.get("/dictionary", query_string={"q": query})
        assert response.status_code == 200
