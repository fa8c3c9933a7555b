"""The time-zone menu: the canonical zones of the IANA database (one or more per country, from ``zone.tab``),
grouped by region, each named by its city and country in the reader's language. Old aliases ("US/Eastern")
stay valid answers (:func:`puchi.accounts.validation.timezones`), they are only left out of the menu."""

from __future__ import annotations

from functools import cache
from importlib import resources
from zoneinfo import available_timezones

from babel import Locale
from babel.dates import get_timezone_location
from flask_babel import lazy_gettext as _l

REGIONS = {
    "Africa": _l("Africa"), "America": _l("Americas"), "Antarctica": _l("Antarctica"), "Arctic": _l("Arctic"),
    "Asia": _l("Asia"), "Atlantic": _l("Atlantic Ocean"), "Australia": _l("Australia"), "Europe": _l("Europe"),
    "Indian": _l("Indian Ocean"), "Pacific": _l("Pacific Ocean"),
}


@cache
def canonical_zones() -> tuple[tuple[str, str], ...]:
    """(zone, ISO country code) for each zone that ``zone.tab`` lists and this system knows."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    known = available_timezones()
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(sorted((row[2], row[0]) for row in rows if len(row) >= 3 and row[2] in known))


@cache
def _grouped(locale: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    territories = Locale.parse(locale).territories
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone, country in canonical_zones():
        region = zone.split("/", 1)[0]
        if region not in REGIONS:
            continue
        city = get_timezone_location(zone, locale=locale, return_city=True)
        groups.setdefault(region, []).append((zone, f"{city} ({territories.get(country, country)})"))
    return tuple((region, tuple(sorted(zones, key=lambda option: option[1].casefold())))
                 for region, zones in groups.items())


def menu(locale: str, current: str = "") -> tuple[list[tuple[str, str]], list[tuple[str, list[tuple[str, str]]]]]:
    """The time-zone menu as (options outside any group, [(region name, options)]): UTC first, and the
    learner's own zone when it is an alias the menu does not list, so the menu still shows it."""
    listed = {zone for zone, _country in canonical_zones()}
    loose = [("UTC", "UTC")]
    if current and current != "UTC" and current not in listed:
        loose.append((current, current.replace("_", " ")))
    groups = [(str(REGIONS[region]), list(options)) for region, options in _grouped(locale)]
    return loose, sorted(groups, key=lambda group: group[0].casefold())
