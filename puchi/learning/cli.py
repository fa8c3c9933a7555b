"""``flask puchi import-course`` / ``export-course`` / ``load-courses``: courses as files."""

from __future__ import annotations

from pathlib import Path

import click

from puchi.learning.course_format import CourseFormatError
from puchi.learning.course_import import export_course, import_course_folder

BUNDLED_COURSES = Path(__file__).resolve().parent / "courses"


@click.command("import-course")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_course_command(path: Path) -> None:
    """Import (or update) the course in the folder PATH. Learners' progress is kept."""
    try:
        report = import_course_folder(path)
    except CourseFormatError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(f"nothing was imported: {len(error.problems)} problem(s)") from error
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.created:
        click.echo(f"created course {report.course_slug}")
    elif report.changes:
        click.echo(f"updated course {report.course_slug}: {len(report.changes)} change(s)")
        for change in report.changes[:50]:
            click.echo(f"  {change}")
    else:
        click.echo(f"course {report.course_slug} is up to date")


@click.command("export-course")
@click.argument("slug")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def export_course_command(slug: str, path: Path) -> None:
    """Write the course SLUG as a course folder at PATH."""
    try:
        folder = export_course(slug, path)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"exported {slug} to {folder}")


@click.command("backfill-ratings")
@click.option("--batch", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="(learner, item) pairs per transaction")
def backfill_ratings_command(batch: int) -> None:
    """Derive the review kind and FSRS rating of answers stored before they were kept (also done in the
    background, a batch a minute). Safe to run again: it only does what is left."""
    from puchi.learning import backfill

    click.echo(f"backfilled the answers of {backfill.backfill_all(batch)} (learner, item) pair(s)")


@click.command("load-courses")
def load_courses_command() -> None:
    """Import (or update) every course bundled with Puchi."""
    load_bundled_courses()


def load_bundled_courses() -> None:
    """The bundled courses (also what ``flask puchi demo-data`` loads)."""
    for folder in sorted(p for p in BUNDLED_COURSES.iterdir() if (p / "course.yaml").is_file()):
        report = import_course_folder(folder)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        state = "created" if report.created else "updated" if report.changes else "up to date"
        click.echo(f"{report.course_slug}: {state}")


COMMANDS = (import_course_command, export_course_command, load_courses_command, backfill_ratings_command)
