"""Read and write course folders in the LibreLingo layout, with Puchi's extensions (docs/course-format.md).

Reading is liberal (key spelling and case, missing optional sections, extra fields) and reports every real
problem with its file and line; writing produces the same layout, so an export reads back to the same course.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Languages written without spaces between words: compared by characters, tiles are characters.
NO_SPACE_LANGUAGES = ("ja", "zh", "th", "lo", "km", "my")

# Plain scalars YAML 1.1 (PyYAML, what LibreLingo's own loader uses) or 1.2 read as booleans. In a skill file they
# are words ("yes", "no", "on"...): kept as the text written, with a warning.
_BOOLEAN_WORDS = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE)$")
_STR_TAG = "tag:yaml.org,2002:str"
_TEXT_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


@dataclass
class Problem:
    file: str
    line: int | None
    message: str
    where: str = ""  # the field in the course model ("skill:greetings:item:3:translation"), for the studio

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class CourseFormatError(Exception):
    """The folder cannot be imported; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ItemData:
    kind: str  # "word" or "phrase"
    text: str
    translation: str
    alternatives: list[str] = field(default_factory=list)
    alternative_translations: list[str] = field(default_factory=list)
    romanisation: str | None = None
    pronunciation: str | None = None
    audio: str | None = None
    images: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    image_file: str | None = None  # an uploaded picture in the folder ("media/image-….png"), Puchi's extension
    audio_file: str | None = None  # an uploaded recording, likewise
    ref: int | None = None  # the item's row when the data came from the database (a draft): kept across a rename


@dataclass
class ExerciseData:
    kind: str  # "fill_blank"
    data: dict[str, Any]


@dataclass
class SkillData:
    slug: str
    title: str
    file_name: str
    items: list[ItemData] = field(default_factory=list)
    exercises: list[ExerciseData] = field(default_factory=list)
    tips_markdown: str = ""
    dictionary: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {"target": {}, "source": {}})
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class UnitData:
    slug: str
    title: str
    skills: list[SkillData] = field(default_factory=list)


@dataclass
class CourseData:
    slug: str
    title: str
    description: str
    target_language: str
    target_language_name: str
    source_language: str
    source_language_name: str
    licence_name: str = ""
    licence_short_name: str = ""
    licence_link: str = ""
    repository: str = ""
    special_characters: list[str] = field(default_factory=list)
    version: int = 1
    settings: dict[str, Any] = field(default_factory=dict)
    units: list[UnitData] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)  # the files items name (image_file, audio_file)
    warnings: list[Problem] = field(default_factory=list)  # liberties taken in the files, read the way LibreLingo does

    def item_count(self) -> int:
        return sum(len(skill.items) for unit in self.units for skill in unit.skills)


def key(name: object) -> str:
    """Keys match whatever their case and separators: "New words", "new_words" and "NEW-WORDS" are one."""
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


def _get(mapping: Any, *names: str, default: Any = None) -> Any:
    if not isinstance(mapping, dict):
        return default
    wanted = {key(n) for n in names}
    for k, value in mapping.items():
        if key(k) in wanted:
            return value
    return default


def _line(node: Any, name: str | int | None = None) -> int | None:
    """1-based line of a mapping key or list entry in a ruamel node, when known."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if name is None:
            return int(lc.line) + 1
        if isinstance(node, dict):
            for k in node:
                if k == name or key(k) == key(name):
                    return int(lc.key(k)[0]) + 1
            return int(lc.line) + 1
        return int(lc.item(name)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1 if hasattr(lc, "line") else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [text] if text else []


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.places: dict[int, tuple[Path, int | None]] = {}  # id() of what was read → its file and line
        self.yaml = YAML(typ="rt")

    def locate(self, thing: object) -> tuple[str, int | None] | None:
        place = self.places.get(id(thing))
        return (self.rel(place[0]), place[1]) if place else None

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def problem(self, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))

    def warn(self, path: Path, line: int | None, message: str) -> None:
        self.warnings.append(Problem(self.rel(path), line, message))

    def load(self, path: Path, reference: tuple[Path, int | None] | None = None, *, words: bool = False) -> Any:
        """The YAML document at ``path``, read as LibreLingo's loader reads it: a key given twice keeps its last
        value. With ``words`` (skill files), scalars YAML would read as booleans or numbers stay the text written."""
        if not path.is_file():
            where = reference or (path, None)
            self.problem(where[0], where[1], f"{self.rel(path)} does not exist")
            return None
        try:
            data = self._construct(path, path.read_text(encoding="utf-8-sig"), words)
        except MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else None
            self.problem(path, line, f"this is not valid YAML: {error.problem or error.context}")
            return None
        except UnicodeDecodeError:
            self.problem(path, None, "this file is not UTF-8 text")
            return None
        if not isinstance(data, dict):
            self.problem(path, 1, "expected a mapping of keys at the top of the file")
            return None
        return data

    def _construct(self, path: Path, text: str, words: bool) -> Any:
        constructor, parser = self.yaml.get_constructor_parser(text)
        try:
            node = constructor.composer.get_single_node()
            if node is None:
                return None
            self._read_liberally(path, node, words)
            return constructor.construct_document(node)
        finally:
            parser.dispose()
            self.yaml.reader.reset_reader()
            self.yaml.scanner.reset_scanner()

    def _read_liberally(self, path: Path, node: Node, words: bool) -> None:
        if isinstance(node, MappingNode):
            last = {k.value: i for i, (k, _) in enumerate(node.value) if isinstance(k, ScalarNode)}
            kept = []
            for index, (name, value) in enumerate(node.value):
                if isinstance(name, ScalarNode) and last[name.value] != index:
                    later = node.value[last[name.value]][0].start_mark.line + 1
                    self.warn(path, name.start_mark.line + 1,
                              f"{name.value!r} is given again on line {later}: the later one is kept")
                    continue
                kept.append((name, value))
            node.value = kept
            for name, value in kept:
                self._read_liberally(path, name, words)
                self._read_liberally(path, value, words)
        elif isinstance(node, SequenceNode):
            for value in node.value:
                self._read_liberally(path, value, words)
        elif words and isinstance(node, ScalarNode) and node.style is None and str(node.tag) in _TEXT_TAGS:
            if _BOOLEAN_WORDS.match(node.value):
                self.warn(path, node.start_mark.line + 1,
                          f"{node.value!r} is read as the word {node.value!r}, not as a yes/no value")
            node.tag = _STR_TAG  # the text as written: "010" stays "010", "on" stays "on"
        elif words and isinstance(node, ScalarNode) and node.style is None and _BOOLEAN_WORDS.match(node.value):
            self.warn(path, node.start_mark.line + 1,
                      f"{node.value!r} is read as the word {node.value!r} (YAML 1.1 tools read it as yes/no)")


def read_course(folder: str | Path) -> CourseData:
    """Read a course folder. :raises CourseFormatError: with every problem found, when any is fatal."""
    root = Path(folder)
    if (root / "course" / "course.yaml").is_file() and not (root / "course.yaml").is_file():
        root = root / "course"  # a course repository holds the course in course/
    reader = _Reader(root)
    course_path = root / "course.yaml"
    document = reader.load(course_path)
    if document is None:
        raise CourseFormatError(reader.problems)
    course_node = _get(document, "Course")
    if not isinstance(course_node, dict):
        reader.problem(course_path, _line(document), "the file needs a Course: section")
        raise CourseFormatError(reader.problems)

    language = _get(course_node, "Language") or {}
    source = _get(course_node, "For speakers of", "Source language") or {}
    target_code = _text(_get(language, "IETF BCP 47", "Code", "IETF"))
    target_name = _text(_get(language, "Name"))
    source_code = _text(_get(source, "IETF BCP 47", "Code", "IETF"))
    source_name = _text(_get(source, "Name"))
    licence = _get(course_node, "License", "Licence") or {}
    version_raw = _get(course_node, "Version", default=1)
    try:
        version = int(version_raw)
    except (TypeError, ValueError):
        reader.problem(course_path, _line(course_node, "Version"),
                       f"Version must be a whole number, not {version_raw!r}")
        version = 1
    known = {key(k) for k in ("Language", "For speakers of", "Source language", "License", "Licence", "Repository",
                              "Special characters", "Slug", "Title", "Description", "Version")}
    course = CourseData(
        slug=_slug(_text(_get(course_node, "Slug")) or f"{target_code}-from-{source_code}"),
        title=_text(_get(course_node, "Title")) or f"{target_name} for {source_name} speakers",
        description=_text(_get(course_node, "Description")),
        target_language=target_code,
        target_language_name=target_name,
        source_language=source_code,
        source_language_name=source_name,
        licence_name=_text(_get(licence, "Name")),
        licence_short_name=_text(_get(licence, "Short name")),
        licence_link=_text(_get(licence, "Link")),
        repository=_text(_get(course_node, "Repository")),
        special_characters=_strings(_get(course_node, "Special characters")),
        version=version,
        settings={
            "course": _plain({k: v for k, v in course_node.items() if key(k) not in known}),
            **({"settings": _plain(_get(document, "Settings"))} if _get(document, "Settings") is not None else {}),
        },
    )
    reader.places[id(course)] = (course_path, _line(language) or _line(course_node))

    modules = _get(document, "Modules")
    if not isinstance(modules, list) or not modules:
        reader.problem(course_path, _line(document, "Modules"), "Modules: must list at least one module folder")
        raise CourseFormatError(reader.problems)
    seen_skills: dict[str, str] = {}
    for index, module_name in enumerate(modules):
        module_dir = root / str(module_name).strip().strip("/")
        module_line = _line(modules, index)
        if not (module_dir / "module.yaml").is_file():
            reader.problem(course_path, module_line, f"unknown module {str(module_name)!r}: "
                           f"{reader.rel(module_dir / 'module.yaml')} does not exist")
            continue
        unit = _read_module(reader, module_dir, seen_skills, course)
        if unit is not None:
            course.units.append(unit)
    reader.problems.extend(validate(course, reader.locate))
    if reader.problems:
        raise CourseFormatError(reader.problems)
    course.warnings = reader.warnings
    return course


def _read_module(reader: _Reader, module_dir: Path, seen_skills: dict[str, str],
                 course: CourseData) -> UnitData | None:
    path = module_dir / "module.yaml"
    document = reader.load(path)
    if document is None:
        return None
    module_node = _get(document, "Module") or {}
    title = _text(_get(module_node, "Name", "Title")) or module_dir.name
    unit = UnitData(slug=module_dir.name, title=title)
    reader.places[id(unit)] = (path, _line(document, "Module") or 1)
    skills = _get(document, "Skills")
    if not isinstance(skills, list):
        reader.problem(path, _line(document), "Skills: must list the module's skill files")
        return None
    for index, skill_file in enumerate(skills):
        skill_path = module_dir / "skills" / str(skill_file).strip()
        line = _line(skills, index)
        if not skill_path.is_file():
            reader.problem(path, line, f"skill file {reader.rel(skill_path)} does not exist")
            continue
        skill = _read_skill(reader, skill_path, course)
        if skill is None:
            continue
        seen_skills.setdefault(skill.slug, reader.rel(skill_path))
        unit.skills.append(skill)
    return unit


def _read_skill(reader: _Reader, path: Path, course: CourseData) -> SkillData | None:
    document = reader.load(path, words=True)
    if document is None:
        return None
    skill_node = _get(document, "Skill") or {}
    title = _text(_get(skill_node, "Name", "Title"))
    slug = _slug(_text(_get(skill_node, "Id")) or path.stem)
    skill = SkillData(slug=slug, title=title, file_name=path.name,
                      settings=_plain({k: v for k, v in skill_node.items() if key(k) not in {"name", "title", "id"}}))
    reader.places[id(skill)] = (path, _line(document, "Skill") or 1)
    tips = path.with_suffix(".md")
    if tips.is_file():
        skill.tips_markdown = tips.read_text(encoding="utf-8").strip()

    seen: set[tuple[str, str]] = set()
    for section, kind, text_keys, alt_keys in (
        (_get(document, "New words", "Words"), "word", ("Word",), ("Synonyms", "Alternative versions")),
        (_get(document, "Phrases", "Sentences"), "phrase", ("Phrase", "Sentence"),
         ("Alternative versions", "Synonyms")),
    ):
        if section is None:
            continue
        if not isinstance(section, list):
            reader.problem(path, _line(document), f"the {kind}s section must be a list")
            continue
        for index, entry in enumerate(section):
            line = _line(section, index)
            if not isinstance(entry, dict):
                reader.problem(path, line, f"each {kind} must be a mapping with {text_keys[0]}: and Translation:")
                continue
            text = _text(_get(entry, *text_keys))
            translation = _text(_get(entry, "Translation"))
            if text and (kind, text) in seen:
                continue  # the same entry twice in one skill: keep the first
            seen.add((kind, text))
            used = {key(k) for k in (*text_keys, *alt_keys, "Translation", "Also accepted", "Alternative translations",
                                     "Romanisation", "Romanization", "Transliteration", "Pronunciation", "Audio",
                                     "Images", "Image", "Image file", "Audio file")}
            skill.items.append(ItemData(
                kind=kind,
                text=text,
                translation=translation,
                alternatives=_unique(v for k in alt_keys for v in _strings(_get(entry, k))),
                alternative_translations=_unique(
                    [*_strings(_get(entry, "Also accepted")), *_strings(_get(entry, "Alternative translations"))]),
                romanisation=_text(_get(entry, "Romanisation", "Romanization", "Transliteration")) or None,
                pronunciation=_text(_get(entry, "Pronunciation")) or None,
                audio=_text(_get(entry, "Audio")) or None,
                images=_strings(_get(entry, "Images", "Image")),
                extra=_plain({k: v for k, v in entry.items() if key(k) not in used}),
                image_file=_media_file(reader, path, line, _text(_get(entry, "Image file")), course),
                audio_file=_media_file(reader, path, line, _text(_get(entry, "Audio file")), course),
            ))
            reader.places[id(skill.items[-1])] = (path, line)

    dictionary = _get(document, "Mini-dictionary", "Mini dictionary", "Dictionary")
    if isinstance(dictionary, dict):
        sides = {key(course.target_language_name): "target", key(course.target_language): "target",
                 key(course.source_language_name): "source", key(course.source_language): "source"}
        for language, entries in dictionary.items():
            side = sides.get(key(language))
            if side is None:
                reader.problem(path, _line(dictionary, language),
                               f"mini-dictionary language {language!r} is neither {course.target_language_name} "
                               f"nor {course.source_language_name}")
                continue
            for entry in entries or []:
                if isinstance(entry, dict):
                    for word, meanings in entry.items():
                        word_key = _text(word).lower()
                        if word_key:
                            merged = skill.dictionary[side].setdefault(word_key, [])
                            merged.extend(m for m in _strings(meanings) if m not in merged)

    exercises = _get(document, "Exercises")
    if isinstance(exercises, list):
        for index, entry in enumerate(exercises):
            line = _line(exercises, index)
            blank = _get(entry, "Fill in the blank", "Fill the blank")
            if not isinstance(blank, dict):
                reader.problem(path, line, "unknown exercise: Puchi knows 'Fill in the blank'")
                continue
            sentence = _text(_get(blank, "Sentence"))
            answer = _text(_get(blank, "Answer"))
            skill.exercises.append(ExerciseData(kind="fill_blank", data={
                "sentence": sentence, "answer": answer, "distractors": _strings(_get(blank, "Distractors")),
                "translation": _text(_get(blank, "Translation")),
            }))
            reader.places[id(skill.exercises[-1])] = (path, line)
    return skill


MEDIA_FOLDER = "media"
MAX_MEDIA_BYTES = 2 * 1024 * 1024
_MEDIA_NAME = re.compile(r"^media/[a-z0-9][a-z0-9._-]*$")


def _media_file(reader: _Reader, path: Path, line: int | None, name: str, course: CourseData) -> str | None:
    """An item's media file, read into ``course.media``: a name in the course's media/ folder."""
    if not name:
        return None
    if not _MEDIA_NAME.match(name):
        reader.problem(path, line, f"{name!r} must be a file in {MEDIA_FOLDER}/ (lower-case letters, digits, . _ -)")
        return None
    if name not in course.media:
        file = reader.root / name
        if not file.is_file():
            reader.problem(path, line, f"{name} does not exist")
            return None
        if file.stat().st_size > MAX_MEDIA_BYTES:
            reader.problem(path, line, f"{name} is too large")
            return None
        course.media[name] = file.read_bytes()
    return name


# --- The rules a course keeps (one validator: the importer's reader and the content studio both call it) ----

Locate = Callable[[object], "tuple[str, int | None] | None"]
MAX_TEXT = 300  # items' text and translations (the database's column size)
MAX_TITLE = 120


def skill_file(unit: UnitData, skill: SkillData) -> str:
    return f"{unit.slug}/skills/{skill.file_name or skill.slug + '.yaml'}"


def validate(course: CourseData, locate: Locate | None = None) -> list[Problem]:
    """Every rule ``course`` breaks, each with where it is: a file and line when ``locate`` knows the part (the
    reader), and always the field in the model (``Problem.where``) for the studio to show it beside."""
    problems: list[Problem] = []

    def report(thing: object, file: str, where: str, message: str) -> None:
        place = locate(thing) if locate else None
        problems.append(Problem(place[0] if place else file, place[1] if place else None, message, where))

    for value, label, name in ((course.target_language, "Language: IETF BCP 47", "target_language"),
                               (course.target_language_name, "Language: Name", "target_language_name"),
                               (course.source_language, "For speakers of: IETF BCP 47", "source_language"),
                               (course.source_language_name, "For speakers of: Name", "source_language_name")):
        if not value.strip():
            report(course, "course.yaml", f"course:{name}", _("%(label)s is missing", label=label))
    if not course.title.strip():
        report(course, "course.yaml", "course:title", _("The course needs a title."))
    if not course.units:
        report(course, "course.yaml", "course:units", _("Modules: must list at least one module folder"))
    seen_units: set[str] = set()
    seen_skills: dict[str, str] = {}
    for unit_index, unit in enumerate(course.units):
        if not unit.title.strip() or len(unit.title) > MAX_TITLE:
            report(unit, f"{unit.slug}/module.yaml", f"unit:{unit_index}:title",
                   _("A unit needs a title of at most %(max)s characters.", max=MAX_TITLE))
        if not unit.slug or unit.slug in seen_units:
            report(unit, f"{unit.slug}/module.yaml", f"unit:{unit_index}:slug",
                   _("Each unit needs a folder name of its own."))
        seen_units.add(unit.slug)
        for skill in unit.skills:
            file = skill_file(unit, skill)
            at = f"skill:{skill.slug}"
            if not skill.title.strip() or len(skill.title) > MAX_TITLE:
                report(skill, file, f"{at}:title", _("Skill: Name is missing") if not skill.title.strip()
                       else _("A skill title can have at most %(max)s characters.", max=MAX_TITLE))
            if skill.slug in seen_skills:
                report(skill, file, f"{at}:slug", _("skill Id %(slug)s is already used by %(file)s",
                                                     slug=repr(skill.slug), file=seen_skills[skill.slug]))
            seen_skills.setdefault(skill.slug, file)
            seen_items: set[tuple[str, str]] = set()
            for index, item in enumerate(skill.items):
                where = f"{at}:item:{index}"
                if not item.text.strip():
                    report(item, file, f"{where}:text", _("this %(kind)s has no %(field)s:", kind=item.kind,
                                                          field="Word" if item.kind == "word" else "Phrase"))
                elif not item.translation.strip():
                    report(item, file, f"{where}:translation",
                           _("%(text)s has no Translation:", text=repr(item.text)))
                if len(item.text) > MAX_TEXT or len(item.translation) > MAX_TEXT:
                    report(item, file, f"{where}:text", _("Keep it to %(max)s characters or fewer.", max=MAX_TEXT))
                if item.text.strip() and (item.kind, item.text) in seen_items:
                    report(item, file, f"{where}:text", _("%(text)s is already in this skill.", text=repr(item.text)))
                seen_items.add((item.kind, item.text))
            for index, exercise in enumerate(skill.exercises):
                sentence = str(exercise.data.get("sentence", ""))
                if sentence.count("___") != 1 or not str(exercise.data.get("answer", "")).strip():
                    report(exercise, file, f"{at}:exercise:{index}",
                           _("a fill-in-the-blank needs a Sentence with exactly one ___ and an Answer"))
    return problems


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-")
    return slug[:80] or "skill"


def _unique(values: Any) -> list[str]:
    result: list[str] = []
    for value in values:
        if value and value not in result:
            result.append(value)
    return result


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (storable as JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


# --- Writing -------------------------------------------------------------------------------------------

def write_course(course: CourseData, folder: str | Path) -> Path:
    """Write ``course`` as a LibreLingo-layout folder that :func:`read_course` reads back to the same data."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.allow_unicode = True

    def dump(data: Any, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        yaml.dump(data, buffer)
        path.write_text(buffer.getvalue(), encoding="utf-8")

    course_node: dict[str, Any] = {
        "Language": {"Name": course.target_language_name, "IETF BCP 47": course.target_language},
        "For speakers of": {"Name": course.source_language_name, "IETF BCP 47": course.source_language},
        "License": {"Name": course.licence_name, "Short name": course.licence_short_name,
                    "Link": course.licence_link},
    }
    if course.repository:
        course_node["Repository"] = course.repository
    course_node["Special characters"] = list(course.special_characters)
    course_node.update({"Slug": course.slug, "Title": course.title, "Description": course.description,
                        "Version": course.version})
    course_node.update(course.settings.get("course", {}))
    document: dict[str, Any] = {"Course": course_node, "Modules": [f"{unit.slug}/" for unit in course.units]}
    if "settings" in course.settings:
        document["Settings"] = course.settings["settings"]
    dump(CommentedMap(document), root / "course.yaml")
    for name, content in course.media.items():
        if _MEDIA_NAME.match(name):
            (root / MEDIA_FOLDER).mkdir(exist_ok=True)
            (root / name).write_bytes(content)

    for unit in course.units:
        unit_dir = root / unit.slug
        dump({"Module": {"Name": unit.title}, "Skills": [skill.file_name or f"{skill.slug}.yaml"
                                                         for skill in unit.skills]}, unit_dir / "module.yaml")
        for skill in unit.skills:
            file_name = skill.file_name or f"{skill.slug}.yaml"
            dump(_skill_document(skill, course), unit_dir / "skills" / file_name)
            if skill.tips_markdown:
                (unit_dir / "skills" / file_name).with_suffix(".md").write_text(skill.tips_markdown + "\n",
                                                                                encoding="utf-8")
    return root


def _skill_document(skill: SkillData, course: CourseData) -> dict[str, Any]:
    document: dict[str, Any] = {"Skill": {"Name": skill.title, "Id": skill.slug, **skill.settings}}
    words: list[dict[str, Any]] = []
    phrases: list[dict[str, Any]] = []
    for item in skill.items:
        entry: dict[str, Any] = {("Word" if item.kind == "word" else "Phrase"): item.text,
                                 "Translation": item.translation}
        if item.alternatives:
            entry["Synonyms" if item.kind == "word" else "Alternative versions"] = CommentedSeq(item.alternatives)
        if item.alternative_translations:
            entry["Also accepted" if item.kind == "word" else "Alternative translations"] = CommentedSeq(
                item.alternative_translations)
        if item.romanisation:
            entry["Romanisation"] = item.romanisation
        if item.pronunciation:
            entry["Pronunciation"] = item.pronunciation
        if item.audio:
            entry["Audio"] = item.audio
        if item.images:
            entry["Images"] = CommentedSeq(item.images)
        if item.image_file:
            entry["Image file"] = item.image_file
        if item.audio_file:
            entry["Audio file"] = item.audio_file
        entry.update(item.extra)
        (words if item.kind == "word" else phrases).append(entry)
    if words:
        document["New words"] = words
    if phrases:
        document["Phrases"] = phrases
    dictionary: dict[str, Any] = {}
    for side, name in (("target", course.target_language_name), ("source", course.source_language_name)):
        entries = skill.dictionary.get(side) or {}
        if entries:
            dictionary[name] = [{word: meanings[0] if len(meanings) == 1 else list(meanings)}
                                for word, meanings in entries.items()]
    if dictionary:
        document["Mini-dictionary"] = dictionary
    if skill.exercises:
        document["Exercises"] = [
            {"Fill in the blank": {"Sentence": e.data["sentence"], "Answer": e.data["answer"],
                                   "Distractors": list(e.data.get("distractors", [])),
                                   "Translation": e.data.get("translation", "")}}
            for e in skill.exercises
        ]
    return document
