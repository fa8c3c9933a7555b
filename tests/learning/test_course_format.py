"""Courses as files: LibreLingo folders import as they are, re-import changes nothing, export round-trips."""

import shutil

import pytest
from sqlalchemy import func, select

from puchi.core.db import db
from puchi.learning.course_format import CourseFormatError, read_course
from puchi.learning.course_import import course_data, import_course, import_course_folder
from puchi.learning.models import Card, Course, DictionaryEntry, Item, Skill, Unit
from tests.learning.conftest import BUNDLED, JAPANESE, LIBRELINGO, SPANISH


def _content(slug):
    """Everything a course consists of, as comparable plain data."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    units = [(u.slug, u.title, u.position) for u in db.session.scalars(
        select(Unit).where(Unit.course_id == course.id).order_by(Unit.position))]
    skills = [(s.slug, s.title, s.path_position, s.tips_markdown, s.item_count) for s in db.session.scalars(
        select(Skill).where(Skill.course_id == course.id).order_by(Skill.path_position))]
    items = sorted((i.kind, i.text, i.translation, tuple(i.alternatives), tuple(i.alternative_translations),
                    i.romanisation, i.position) for i in db.session.scalars(
        select(Item).where(Item.course_id == course.id)))
    entries = sorted((e.language, e.word, tuple(e.meanings)) for e in db.session.scalars(
        select(DictionaryEntry).where(DictionaryEntry.course_id == course.id)))
    return (course.title, course.target_language, tuple(course.special_characters), units, skills, items, entries)


@pytest.mark.parametrize("folder", [LIBRELINGO, BUNDLED / SPANISH, BUNDLED / JAPANESE], ids=lambda p: p.name)
def test_a_course_imports_and_importing_it_again_changes_nothing(app, folder):
    with app.app_context():
        first = import_course_folder(folder)
        assert first.created
        before = _content(first.course_slug)
        again = import_course_folder(folder)
        assert not again.changed, again.changes
        assert _content(first.course_slug) == before


@pytest.mark.parametrize("folder", [LIBRELINGO, BUNDLED / SPANISH, BUNDLED / JAPANESE], ids=lambda p: p.name)
def test_an_exported_course_imports_back_to_the_same_content(app, folder, tmp_path):
    with app.app_context():
        slug = import_course_folder(folder).course_slug
        before = _content(slug)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["puchi", "export-course", slug, str(tmp_path / "export")])
        assert result.exit_code == 0, result.output
        db.session.execute(Course.__table__.delete())
        db.session.commit()
        assert import_course_folder(tmp_path / "export").created
        assert _content(slug) == before


def test_the_librelingo_course_reads_as_it_is(app):
    data = read_course(LIBRELINGO)
    assert (data.target_language, data.source_language) == ("es", "en")
    assert [u.slug for u in data.units] == ["basics", "introduction", "activities"]
    animals = data.units[0].skills[0]
    perro = next(i for i in animals.items if i.text == "perro")
    assert perro.alternatives == ["can"] and perro.alternative_translations == ["hound"]
    assert "Welcome to LibreLingo" in animals.tips_markdown
    assert animals.dictionary["source"]["the"] == ["la", "el"]


def test_the_bundled_courses_are_worth_using(app):
    spanish, japanese = read_course(BUNDLED / SPANISH), read_course(BUNDLED / JAPANESE)
    assert len(spanish.units) >= 3
    assert sum(len(u.skills) for u in spanish.units) >= 10
    assert spanish.item_count() >= 150
    items = [i for u in japanese.units for s in u.skills for i in s.items]
    assert japanese.target_language == "ja" and len(items) >= 80
    assert all(i.romanisation for i in items)


def test_re_import_updates_content_and_keeps_learners_progress(app, tmp_path, make_user):
    learner = make_user()
    with app.app_context():
        from puchi.core.db import now
        from puchi.learning import scheduler

        import_course(read_course(BUNDLED / SPANISH))
        hola = db.session.scalar(select(Item).where(Item.text == "hola"))
        db.session.add(scheduler.new_card(learner.id, hola, now()))
        db.session.commit()
        edited = tmp_path / "course"
        shutil.copytree(BUNDLED / SPANISH, edited)
        _replace(edited / "basics/skills/greetings.yaml", 'Translation: "hello"', 'Translation: "hello there"')

        report = import_course_folder(edited)
        assert not report.created and report.changes == ["word 'hola': translation changed"]
        assert db.session.scalar(select(Item.translation).where(Item.text == "hola")) == "hello there"
        assert db.session.scalar(select(func.count(Card.id)).where(Card.item_id == hola.id)) == 1


@pytest.mark.parametrize(
    ("break_it", "file", "line", "message"),
    [
        (lambda root: (root / "basics/skills/greetings.yaml").write_text("Skill:\n  Name: Greetings\n\tId: broken\n"),
         "basics/skills/greetings.yaml", 3, "not valid YAML"),
        (lambda root: _replace(root / "course.yaml", "  - basics/", "  - nowhere/"),
         "course.yaml", None, "unknown module 'nowhere/'"),
        (lambda root: _drop_first_translation(root / "basics/skills/greetings.yaml"),
         "basics/skills/greetings.yaml", None, "has no Translation:"),
    ],
    ids=["bad-yaml", "unknown-module", "missing-translation"],
)
def test_a_broken_course_is_refused_with_the_file_and_line_and_nothing_is_imported(
        app, tmp_path, break_it, file, line, message):
    root = tmp_path / "course"
    shutil.copytree(BUNDLED / SPANISH, root)
    break_it(root)
    with pytest.raises(CourseFormatError) as raised:
        read_course(root)
    problem = next(p for p in raised.value.problems if message in p.message)
    assert problem.file == file
    assert problem.line is not None and (line is None or problem.line == line)

    result = app.test_cli_runner().invoke(args=["puchi", "import-course", str(root)])
    assert result.exit_code != 0
    assert f"{file}:{problem.line}: " in result.output and "nothing was imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Course.id))) == 0


def _replace(path, old, new):
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def _drop_first_translation(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("Translation:"))
    del lines[index]
    path.write_text("".join(lines), encoding="utf-8")


def test_keys_are_read_liberally(tmp_path):
    root = tmp_path / "c"
    (root / "m" / "skills").mkdir(parents=True)
    (root / "course.yaml").write_text(
        "course:\n  language: {name: Spanish, ietf bcp 47: es}\n  for_speakers_of: {NAME: English, code: en}\n"
        "modules: [m]\n", encoding="utf-8")
    (root / "m" / "module.yaml").write_text("module: {name: M}\nskills: [s.yaml]\n", encoding="utf-8")
    (root / "m" / "skills" / "s.yaml").write_text(
        "skill: {name: S}\nnew_words:\n  - word: sol\n    translation: sun\n    pronunciation: sol\n"
        "    colour: yellow\n", encoding="utf-8")
    data = read_course(root)
    item = data.units[0].skills[0].items[0]
    assert (item.text, item.translation, item.pronunciation) == ("sol", "sun", "sol")
    assert item.extra == {"colour": "yellow"}  # unknown fields are kept, and written back on export
    assert data.slug == "es-from-en"


def test_course_data_of_an_imported_course_matches_its_files(app):
    with app.app_context():
        import_course(read_course(BUNDLED / JAPANESE))
        course = db.session.scalar(select(Course))
        exported = course_data(course)
    original = read_course(BUNDLED / JAPANESE)
    assert [(u.slug, [s.slug for s in u.skills]) for u in exported.units] == \
        [(u.slug, [s.slug for s in u.skills]) for u in original.units]
    assert exported.item_count() == original.item_count()


# --- Liberties of hand-written LibreLingo files: imported as LibreLingo's loader reads them, each one reported ----

def _course_with_skill(tmp_path, skill_yaml: str, *, bom: bool = False):
    root = tmp_path / "liberal"
    (root / "m" / "skills").mkdir(parents=True)
    (root / "course.yaml").write_text(
        "Course:\n  Language: {Name: Spanish, IETF BCP 47: es}\n  For speakers of: {Name: English, IETF BCP 47: en}\n"
        "Modules: [m/]\n", encoding="utf-8")
    (root / "m" / "module.yaml").write_text("Module: {Name: M}\nSkills: [s.yaml]\n", encoding="utf-8")
    (root / "m" / "skills" / "s.yaml").write_text(("\ufeff" if bom else "") + skill_yaml, encoding="utf-8")
    return root


def test_a_key_given_twice_keeps_the_later_value_with_a_warning_on_its_line(app, tmp_path):
    root = _course_with_skill(tmp_path, (
        "Skill: {Name: S, Id: s}\n"
        "New words:\n"
        "  - Word: el sol\n"
        "    Translation: the son\n"
        "    Translation: the sun\n"
        "Skill: {Name: Sky, Id: sky}\n"))
    data = read_course(root)
    skill = data.units[0].skills[0]
    assert (skill.title, skill.slug) == ("Sky", "sky")
    assert [(i.text, i.translation) for i in skill.items] == [("el sol", "the sun")]
    assert [str(w) for w in data.warnings] == [
        "m/skills/s.yaml:1: 'Skill' is given again on line 6: the later one is kept",
        "m/skills/s.yaml:4: 'Translation' is given again on line 5: the later one is kept",
    ]
    with app.app_context():
        report = import_course(data)
        assert report.created and len(report.warnings) == 2
        assert db.session.scalar(select(Item.translation).where(Item.text == "el sol")) == "the sun"


def test_words_yaml_reads_as_booleans_or_numbers_stay_the_text_written(app, tmp_path):
    root = _course_with_skill(tmp_path, (
        "Skill: {Name: S}\n"
        "New words:\n"
        "  - Word: no\n"
        "    Translation: no\n"
        "  - Word: sí\n"
        "    Translation: yes\n"
        "  - Word: encendido\n"
        "    Translation: on\n"
        "    Also accepted: [True, 'off']\n"
        "  - Word: '010'\n"
        "    Translation: 010\n"
        "  - Word: y\n"
        "    Translation: and\n"
        "Mini-dictionary:\n"
        "  Spanish:\n"
        "    - no: [no, not]\n"
        "  English:\n"
        "    - yes: sí\n"), bom=True)
    data = read_course(root)
    skill = data.units[0].skills[0]
    assert [(i.text, i.translation) for i in skill.items] == [
        ("no", "no"), ("sí", "yes"), ("encendido", "on"), ("010", "010"), ("y", "and")]
    assert skill.items[2].alternative_translations == ["True", "off"]
    assert skill.dictionary == {"target": {"no": ["no", "not"]}, "source": {"yes": ["sí"]}}
    lines = sorted({w.line for w in data.warnings})
    assert lines == [3, 4, 6, 8, 9, 16, 18]  # every yes/no word, where it is (not 'off' quoted, not Spanish y)
    assert all(w.file == "m/skills/s.yaml" for w in data.warnings)
    with app.app_context():
        assert import_course(data).created
        assert db.session.scalar(select(func.count()).select_from(Item).where(Item.text == "no")) == 1


def test_the_course_file_keeps_its_numbers_and_yes_no_settings(tmp_path):
    root = _course_with_skill(tmp_path, "Skill: {Name: S}\nNew words:\n  - Word: sol\n    Translation: sun\n")
    (root / "course.yaml").write_text(
        "Course:\n  Language: {Name: Spanish, IETF BCP 47: es}\n  For speakers of: {Name: English, IETF BCP 47: en}\n"
        "  Version: 3\nModules: [m/]\nSettings: {Audio: {Enabled: true}}\n", encoding="utf-8")
    data = read_course(root)
    assert data.version == 3 and data.settings["settings"] == {"Audio": {"Enabled": True}}
    assert data.warnings == []
