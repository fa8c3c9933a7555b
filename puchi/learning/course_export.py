"""Courses as course folders in memory: the database's course as files (a dict of path → bytes, or a zip), and
an uploaded zip read back safely into :class:`CourseData` for the importer.

Exports are reproducible: the same course gives the same bytes (sorted names, fixed zip timestamps), so an
export can be diffed or checked into a course repository. Uploaded zips are untrusted: names that climb out of
the folder, links, too many files, too many bytes once inflated, and files a course folder never holds are
refused with a :class:`~puchi.learning.course_format.Problem` each, before anything is written to disk.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from puchi.core.db import db
from puchi.learning import course_format
from puchi.learning.course_format import CourseData, CourseFormatError, Problem
from puchi.learning.course_import import course_data
from puchi.learning.models import Course

# What a course folder holds: YAML files, tips in Markdown, and a few text files beside them.
ALLOWED_SUFFIXES = frozenset({".yaml", ".yml", ".md", ".txt"})
# ... and in media/, items' pictures and recordings (the importer checks each by its content).
MEDIA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp3", ".ogg", ".wav", ".m4a", ".webm"})
MAX_FILES = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
MAX_RATIO = 200  # inflated size over compressed size, per file: more is a zip bomb
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: exports carry no time, so bytes repeat


class UnsafeArchive(CourseFormatError):
    """The upload is not a zip Puchi will open; ``problems`` says why (file names, not lines)."""


def course_files(slug: str) -> dict[str, bytes]:
    """The course with this slug as a course folder: relative POSIX path → file bytes, sorted by path.

    :raises LookupError: no such course.
    """
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise LookupError(f"no course {slug!r}")
    return files_of(course_data(course))


def files_of(data: CourseData) -> dict[str, bytes]:
    """``data`` written as a course folder, read into memory."""
    with tempfile.TemporaryDirectory(prefix="puchi-export-") as folder:
        root = course_format.write_course(data, folder)
        files = {path.relative_to(root).as_posix(): path.read_bytes()
                 for path in root.rglob("*") if path.is_file()}
    return dict(sorted(files.items()))


def zip_files(files: dict[str, bytes], top: str) -> bytes:
    """The files in a zip under the folder ``top``, byte for byte the same for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def course_zip(slug: str) -> bytes:
    """The course with this slug as a zip of its course folder (under a folder named after the slug)."""
    return zip_files(course_files(slug), slug)


def read_zip(payload: bytes) -> CourseData:
    """Read a course folder from an uploaded zip. The folder may be at the top or inside one folder (or in
    ``course/`` of a course repository).

    :raises UnsafeArchive: not a zip, or one that is unsafe or holds what a course folder never does.
    :raises CourseFormatError: the files are not a course; every problem with its file and line.
    """
    files = _safe_members(payload)
    with tempfile.TemporaryDirectory(prefix="puchi-import-") as folder:
        root = Path(folder)
        for name, content in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return course_format.read_course(_course_root(root))


def _course_root(root: Path) -> Path:
    """The folder holding course.yaml: the top, or the only folder at the top (as GitHub's zips have it)."""
    if (root / "course.yaml").is_file() or (root / "course" / "course.yaml").is_file():
        return root
    entries = list(root.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root


def _safe_members(payload: bytes) -> dict[str, bytes]:
    """The regular files of the zip, by safe relative path. Checks sizes before inflating anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnsafeArchive([Problem("upload", None, "this is not a zip file")]) from None
    problems: list[Problem] = []
    members: list[zipfile.ZipInfo] = []
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_FILES:
            raise UnsafeArchive([Problem("upload", None, f"more than {MAX_FILES} files")])
        total = 0
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            path = PurePosixPath(name.replace("\\", "/"))
            mode = info.external_attr >> 16
            if not path.parts or path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
                problems.append(Problem(name, None, "a file name outside the course folder"))
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                problems.append(Problem(name, None, "not a regular file (a link or a device)"))
                continue
            if info.flag_bits & 0x1:
                problems.append(Problem(name, None, "an encrypted file"))
                continue
            if any(part.startswith(".") for part in path.parts) or path.parts[0] == "__MACOSX":
                continue  # .git/, .DS_Store, macOS resource forks: never part of a course
            is_media = len(path.parts) > 1 and path.parts[-2] == "media" and path.suffix.lower() in MEDIA_SUFFIXES
            if path.suffix.lower() not in ALLOWED_SUFFIXES and not is_media:
                problems.append(Problem(name, None, "a course folder holds only .yaml and .md files "
                                                    "(and pictures and recordings in media/)"))
                continue
            if info.file_size > MAX_FILE_BYTES:
                problems.append(Problem(name, None, "this file is too large"))
                continue
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                problems.append(Problem(name, None, "this file inflates too much (a zip bomb?)"))
                continue
            total += info.file_size
            members.append(info)
        if total > MAX_TOTAL_BYTES:
            problems.append(Problem("upload", None, "the files are too large together"))
        if problems:
            raise UnsafeArchive(problems)
        files: dict[str, bytes] = {}
        for info in members:
            try:
                with archive.open(info) as source:
                    content = source.read(MAX_FILE_BYTES + 1)  # never more than allowed, whatever the header says
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError):
                raise UnsafeArchive([Problem(info.filename, None, "this file cannot be read")]) from None
            if len(content) > MAX_FILE_BYTES:
                raise UnsafeArchive([Problem(info.filename, None, "this file is too large")])
            files[PurePosixPath(info.filename.replace("\\", "/")).as_posix()] = content
    if not files:
        raise UnsafeArchive([Problem("upload", None, "the zip holds no course files")])
    return files
