"""One row at a time: validation and normalisation into what will be stored, and the letters check.

`validate` turns a row's cells into a Row (the values exactly as they will be stored) or the reason
it is invalid. `unusual_letters` looks at the stored values of the whole file and points at letters
from a script the rest of the file does not use: the sign of a file read in the wrong encoding
("Renée" read as a Chinese encoding becomes "Ren閑").
"""

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from engage.importers.report import ImportReport, TextWarning
from engage.models import Area
from engage.normalise import normalise_email

YES = {"yes", "y", "true", "1", "x", "given"}
NO = {"no", "n", "false", "0", "withdrawn"}
MAX_LENGTHS = {"first_name": 150, "last_name": 150, "phone": 40, "organisation": 200, "role": 150}
# A script holding less than this share of a file's letters is foreign to it.
MINOR_SCRIPT_SHARE = 0.1
CHECKED_FIELDS = ("first_name", "last_name", "organisation", "role", "tags")

_email_validator = EmailValidator()
# Django's own rules, applied without its lazy regex proxies and with the domain check cached:
# at 100,000 rows the proxies alone cost seconds, and a file has few distinct domains.
_USER_RE = re.compile(EmailValidator.user_regex.pattern, re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    return domain in _email_validator.domain_allowlist or _email_validator.validate_domain_part(
        domain
    )


def email_is_valid(value: str) -> bool:
    """Exactly what django.core.validators.validate_email accepts, faster for many rows."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user, domain = value.rsplit("@", 1)
    return bool(_USER_RE.match(user)) and _domain_ok(domain)


@dataclass(slots=True)
class Row:
    line: int
    email: str
    email_normalised: str
    first_name: str
    last_name: str
    phone: str
    area_id: int | None
    organisation: str
    role: str
    tags: tuple[str, ...]
    consents: tuple[tuple[int, bool], ...]  # (purpose id, given?)


def area_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for pk, name, slug, code in Area.objects.values_list("pk", "name", "slug", "code"):
        for key in (name, slug, code):
            if key:
                lookup[key.strip().casefold()] = pk
    return lookup


def split_name(full: str) -> tuple[str, str]:
    full = " ".join(full.split())
    if " " not in full:
        return full, ""
    first, last = full.rsplit(" ", 1)
    return first, last


def validate(
    line: int,
    cells: list[str],
    *,
    columns: dict[str, int],
    consent_indexes: list[tuple[int, int, str]],
    areas: dict[str, int],
    report: ImportReport,
) -> Row | str:
    """A Row, or the reason the row is invalid."""

    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    email = cell("email")
    if not email:
        return _("No email address.")
    if not email_is_valid(email):
        return _("“%(email)s” is not a valid email address.") % {"email": email}
    if len(email) > 254:
        return _("The email address is longer than 254 characters.")
    first_name, last_name = cell("first_name"), cell("last_name")
    if not (first_name or last_name) and cell("name"):
        first_name, last_name = split_name(cell("name"))
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": cell("phone"),
        "organisation": cell("organisation"),
        "role": cell("role"),
    }
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            return _("The %(field)s is longer than %(limit)s characters.") % {
                "field": name.replace("_", " "),
                "limit": limit,
            }
    area_id = None
    if area_text := cell("area"):
        area_id = areas.get(area_text.casefold())
        if area_id is None:
            report.unknown_areas[area_text] = report.unknown_areas.get(area_text, 0) + 1
            return _("Unknown area “%(area)s”: use one of the 33 London areas as listed.") % {
                "area": area_text
            }
    tags: dict[str, str] = {}
    for tag in cell("tags").split(";"):
        tag = " ".join(tag.split())
        if len(tag) > 80:
            return _("A tag is longer than 80 characters.")
        if tag:
            tags.setdefault(tag.casefold(), tag)
    consents = []
    for index, purpose_id, header in consent_indexes:
        value = cells[index].strip().casefold() if index < len(cells) else ""
        if not value:
            continue
        if value in YES:
            consents.append((purpose_id, True))
        elif value in NO:
            consents.append((purpose_id, False))
        else:
            return _("“%(value)s” in %(column)s: write yes, no, or leave it empty.") % {
                "value": cells[index].strip(),
                "column": header,
            }
    return Row(
        line=line,
        email=email,
        email_normalised=normalise_email(email),
        first_name=first_name,
        last_name=last_name,
        phone=values["phone"],
        area_id=area_id,
        organisation=" ".join(values["organisation"].split()),
        role=values["role"],
        tags=tuple(tags.values()),
        consents=tuple(consents),
    )


@functools.lru_cache(maxsize=8192)
def _script(char: str) -> str:
    # Unicode names start with the script for letters ("LATIN SMALL LETTER E WITH ACUTE",
    # "CJK UNIFIED IDEOGRAPH-9591", "CYRILLIC CAPITAL LETTER A"): close enough to the Script
    # property, which the standard library does not expose. A file has few distinct letters.
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _scripts_by_word(text: str) -> list[tuple[str, Counter]]:
    return [
        (word, Counter(_script(c) for c in word if c.isalpha()))
        for word in text.split()
        if any(c.isalpha() for c in word)
    ]


def _stored_texts(row: "Row") -> Iterable[tuple[str, str]]:
    for name in CHECKED_FIELDS:
        value = getattr(row, name)
        if name == "tags":
            for tag in value:
                yield name, tag
        elif value:
            yield name, value


def unusual_letters(rows: list["Row"], *, limit: int) -> list[TextWarning]:
    """Stored values with letters from a script that is rare in the file, or mixed into a word.

    A script is the file's when it holds at least MINOR_SCRIPT_SHARE of the letters of the names,
    organisations, roles and tags. A word mixing two scripts ("Ren閑") is always pointed at; so is
    U+FFFD, the mark of bytes that could not be decoded. At most `limit` warnings are returned.
    """
    # ASCII values (nearly all, in most files) hold Latin letters only: they are counted by
    # length, never looked at letter by letter, which keeps 100,000 rows to a fraction of a second.
    census: Counter = Counter()
    others: list[tuple[int, str, str]] = []
    for row in rows:
        for name, value in _stored_texts(row):
            if value.isascii():
                census["LATIN"] += len(value)
            else:
                census.update(_script(c) for c in value if c.isalpha())
                others.append((row.line, name, value))
    total = sum(census.values())
    common = {s for s, n in census.items() if total and n / total >= MINOR_SCRIPT_SHARE}
    if "LATIN" not in common:  # then ASCII values are the odd ones: look at every value
        others = [(row.line, n, v) for row in rows for n, v in _stored_texts(row)]
    warnings: list[TextWarning] = []
    for line, name, value in others:
        odd = {c for c in value if c == "\ufffd"}
        for word, scripts in _scripts_by_word(value):
            mixed = len(scripts) > 1
            odd.update(
                c
                for c in word
                if c.isalpha()
                and (
                    _script(c) not in common
                    or (mixed and scripts[_script(c)] < max(scripts.values()))
                )
            )
        if odd:
            warnings.append(
                TextWarning(line=line, field=name, value=value, letters="".join(sorted(odd)))
            )
            if len(warnings) >= limit:
                break
    return warnings
