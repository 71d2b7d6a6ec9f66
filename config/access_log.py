"""gunicorn's access log without the secrets that travel in link paths.

Mailed links carry their proof in the path (`/preferences/<token>/`, `/registrations/<uuid>/`,
allauth's `/accounts/password/reset/key/<key>/`) or in the query (`?t=…`, `?invitation=…`).
A log line with the whole path is a working link for whoever reads the logs, so each token-like
segment becomes TOKEN and every query value is dropped before gunicorn formats the line.
"""

import re
from urllib.parse import parse_qsl, quote

from gunicorn.glogging import Logger

TOKEN = ":token"  # noqa: S105 - the placeholder written instead of a token
# Segments that follow these are secrets, whatever they look like.
_SECRET_AFTER = frozenset({"preferences", "unsubscribe", "confirm", "key", "confirm-email"})
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
# Django signing tokens hold a colon; other random tokens are long runs without word breaks.
_TOKEN_LIKE = re.compile(r"[^/]*:[^/]*|[A-Za-z0-9_=.~-]{32,}")


def scrub_path(path: str | None) -> str:
    """`path` with every token-like segment replaced by TOKEN."""
    if not path:
        return path or ""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        after_secret_word = i > 0 and segments[i - 1] in _SECRET_AFTER
        if segment and (
            after_secret_word or _UUID.search(segment) or _TOKEN_LIKE.fullmatch(segment)
        ):
            segments[i] = TOKEN
    return "/".join(segments)


def scrub_query(query: str | None) -> str:
    """The query string's names, each value replaced by TOKEN (values can be tokens or addresses)."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(name, safe='')}={TOKEN}" for name, _value in pairs)


def scrub_url(url: str | None) -> str:
    """A path or URL with its query, scrubbed as above."""
    if not url or url == "-":
        return url or ""
    path, _, query = url.partition("?")
    scheme, sep, rest = path.partition("://")
    if sep:
        host, slash, tail = rest.partition("/")
        path = f"{scheme}://{host}" + scrub_path(slash + tail)
    else:
        path = scrub_path(path)
    return path + ("?" + scrub_query(query) if query else "")


class AccessLogger(Logger):
    """gunicorn's logger with token-free path, query, request line and referrer atoms."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # gunicorn escapes quotes in atoms itself, so the JSON line holds whatever the path is.
        atoms["U"] = scrub_path(atoms.get("U"))
        atoms["q"] = scrub_query(atoms.get("q"))
        method, _, rest = (atoms.get("r") or "").partition(" ")
        uri, _, protocol = rest.rpartition(" ")
        atoms["r"] = f"{method} {scrub_url(uri)} {protocol}"
        atoms["f"] = scrub_url(atoms.get("f"))
        for key in [k for k in atoms if k.startswith("{referer}") or k.startswith("{raw_uri}")]:
            atoms[key] = scrub_url(atoms[key])
        return atoms
