"""Where a ``next`` value may send the browser: only somewhere on this site, as the browser will read it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Browsers parse a Location header the WHATWG way, not as urlsplit does: tab, CR and LF vanish anywhere,
# C0 controls and spaces are trimmed from the ends, and "\" counts as "/". So "/\t/evil.example" and
# "/\evil.example" both mean "//evil.example", another site. Rather than rewrite such values, refuse them.
_BROWSER_REWRITES = re.compile(r"[\x00-\x1f\x7f\\]")


def is_local_path(target: str) -> bool:
    """True if a browser resolves ``target`` to a path on this origin (not another host or scheme)."""
    if not target.startswith("/") or target.startswith("//"):
        return False
    if _BROWSER_REWRITES.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``: a link can never send a learner away."""
    if target and is_local_path(target):
        return target
    return default
