"""Personal data in free text: what moderation flags before a point is published.

Pure functions, no database: the caller passes the text and the names the system knows
(registrants, staff, facilitators, people named on the agenda) and gets back what was found,
with its span, so a moderator can redact exactly that. A finding is a flag for a person to judge,
never a redaction applied on its own.

What is found:
- email addresses: a candidate pattern, each candidate confirmed by Django's own validator;
- phone numbers: the `phonenumbers` library's matcher with GB as the default region, so UK
  numbers written the national way ("020 7946 0018", "07700 900123") and international ones
  ("+44 20 7946 0018") are found, and only valid numbers count;
- known names, case-insensitively on word boundaries: a full name ("Sarah Jones"), a title with a
  known surname ("PC Jones", "Inspector Patel"), and near-spellings of a full name ("Sara Jones")
  by edit distance (rapidfuzz);
- any name after a title or rank, known or not ("Sergeant Dave Collins"), capitalised.

What is not found: other names the system does not know. No named-entity model can be loaded
here, so an unknown name in a point ("my neighbour Kwame") is left to the moderator's eye.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from rapidfuzz import fuzz, process

EMAIL = "email"
PHONE = "phone"
NAME = "name"

REPLACEMENTS = {
    EMAIL: "[email address removed]",
    PHONE: "[phone number removed]",
    NAME: "[name removed]",
}

# Forms of address and police and council ranks that come before a surname in what people say.
TITLES = (
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "pc",
    "wpc",
    "pcso",
    "dc",
    "ds",
    "di",
    "dci",
    "dsu",
    "sgt",
    "sergeant",
    "inspector",
    "superintendent",
    "supt",
    "commander",
    "commissioner",
    "constable",
    "detective",
    "officer",
    "chief",
    "cllr",
    "councillor",
    "mayor",
    "deputy",
    "assistant",
)
_TITLE_SET = frozenset(TITLES)

# A word: letters, with inner apostrophes or hyphens (O'Brien, Smith-Jones).
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_EMAIL_CANDIDATE = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}", re.UNICODE
)
_CAPITALISED = re.compile(r"[A-Z][^\W\d_]*(?:['\u2019\-][^\W\d_]+)*")

# Near-spellings: a score out of 100 from rapidfuzz's normalised edit distance; 88 lets "Sara
# Jones" or "Jon Smith" through but not "will grow" for "Will Brown".
FUZZY_CUTOFF = 88
# A window shorter than this is too short to call a near-spelling of anyone.
FUZZY_MIN_LENGTH = 7
_MIN_SINGLE_NAME = 3


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a text: `text[start:end] == matched_text`. `known` is the
    known name or the number in E.164 that it matched, for the moderator to see why."""

    kind: str
    start: int
    end: int
    matched_text: str
    known: str = ""

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "text": self.matched_text,
            "known": self.known,
        }


def _fold(value: str) -> str:
    return " ".join(value.replace("\u2019", "'").split()).casefold()


class KnownNames:
    """The names to look for, prepared once and reused for every text of a meeting."""

    def __init__(self, names: Iterable[str]):
        self.full: dict[tuple[str, ...], str] = {}
        self.surnames: dict[str, str] = {}
        for name in names:
            every = tuple(_fold(w) for w in _WORD.findall(name or ""))
            words = tuple(w for w in every if w not in _TITLE_SET)
            if not words:
                continue
            display = " ".join(name.split())
            if len(words) > 1 and len(words[-1]) >= 2:
                self.surnames.setdefault(words[-1], display)
            if len(words) == 1 and (len(every) > 1 or len(words[0]) < _MIN_SINGLE_NAME):
                # "Cllr Green" is found as "Cllr Green" or "Councillor Green", never as "green".
                self.surnames.setdefault(words[0], display)
                continue
            self.full.setdefault(words, display)
        self.lengths = sorted({len(words) for words in self.full}, reverse=True)
        self._by_length: dict[int, list[tuple[str, ...]]] = {}
        for words in self.full:
            self._by_length.setdefault(len(words), []).append(words)
        self._joined = {n: [" ".join(w) for w in ws] for n, ws in self._by_length.items()}

    def __bool__(self) -> bool:
        return bool(self.full)

    def near(self, window: str, length: int) -> str | None:
        choices = self._joined.get(length)
        if not choices or len(window) < FUZZY_MIN_LENGTH:
            return None
        best = process.extractOne(window, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is None:
            return None
        return self.full[self._by_length[length][best[2]]]


def find_emails(text: str) -> list[Finding]:
    found = []
    for match in _EMAIL_CANDIDATE.finditer(text):
        candidate = match.group(0).strip(".")
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        start = match.start() + match.group(0).index(candidate)
        found.append(Finding(EMAIL, start, start + len(candidate), candidate))
    return found


# No valid number has fewer digits; most points have none, and the matcher is the slow part.
_MIN_PHONE_DIGITS = 7


def find_phone_numbers(text: str, region: str = "GB") -> list[Finding]:
    if sum(c.isdigit() for c in text) < _MIN_PHONE_DIGITS:
        return []
    return [
        Finding(
            PHONE,
            match.start,
            match.end,
            match.raw_string,
            phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164),
        )
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        )
    ]


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(_fold(m.group(0)), m.start(), m.end()) for m in _WORD.finditer(text)]


def _adjacent(text: str, words: list[tuple[str, int, int]], first: int, last: int) -> bool:
    """Words in a window are a name only when nothing but spaces lies between them: the parts of
    "jane.doe@" or "Jane, Doe" are not "Jane Doe"."""
    return all(not text[words[i][2] : words[i + 1][1]].strip() for i in range(first, last))


def find_names(text: str, names: KnownNames) -> list[Finding]:
    if not names:
        return []
    words = _words(text)
    found: list[Finding] = []
    i = 0
    while i < len(words):
        hit = None
        for length in names.lengths:
            last = i + length - 1
            if last >= len(words) or not _adjacent(text, words, i, last):
                continue
            key = tuple(w for w, _, _ in words[i : last + 1])
            known = names.full.get(key)
            if known is None and length > 1:
                known = names.near(" ".join(key), length)
            if known is not None:
                hit = (last, known)
                break
        titled = i + 1 < len(words) and words[i][0] in _TITLE_SET
        if hit is None and titled and _adjacent(text, words, i, i + 1):
            known = names.surnames.get(words[i + 1][0])
            if known is not None:
                hit = (i + 1, known)
        if hit is None:
            i += 1
            continue
        last, known = hit
        start, end = words[i][1], words[last][2]
        found.append(Finding(NAME, start, end, text[start:end], known))
        i = last + 1
    return found


def find_personal_data(
    text: str, *, names: KnownNames | Iterable[str] = (), region: str = "GB"
) -> list[Finding]:
    """Every email address, valid phone number and known name in `text`, in order of position,
    without overlaps (an address or number wins over a name inside it)."""
    if not isinstance(names, KnownNames):
        names = KnownNames(names)
    strong = find_emails(text) + find_phone_numbers(text, region)
    strong.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for finding in strong:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    for finding in find_names(text, names) + find_titled_names(text):
        if not any(finding.start < k.end and k.start < finding.end for k in kept):
            kept.append(finding)
    kept.sort(key=lambda f: f.start)
    return kept


def redact(text: str, findings: Iterable[Finding]) -> str:
    """`text` with each finding's span replaced by what it was ("[name removed]")."""
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        text = text[: finding.start] + REPLACEMENTS[finding.kind] + text[finding.end :]
    return text


# The title in any case, the name capitalised: "inspector Patel" names someone, "Inspector said" not.
_TITLED_NAME = re.compile(
    r"\b((?i:" + "|".join(TITLES) + r")\.?(?:\s+(?i:" + "|".join(TITLES) + r")\.?)*)"
    r"\s+(" + _CAPITALISED.pattern + r"(?:\s+" + _CAPITALISED.pattern + r"){0,2})"
)


def find_titled_names(text: str) -> list[Finding]:
    """Anyone named with a title or rank ("Sergeant Dave Collins", "PC Okafor"), known or not:
    the one kind of unknown name a pattern can find without a language model."""
    return [Finding(NAME, m.start(), m.end(), m.group(0)) for m in _TITLED_NAME.finditer(text)]


def names_in_agenda(text: str) -> list[str]:
    """The people an agenda names by rank or title, title included ("Chief Superintendent Sarah
    Jones", "Cllr Patel"): up to three capitalised words after the titles. KnownNames drops the
    titles again, and keeps a lone surname for "title + surname" only."""
    return [" ".join(m.group(0).split()) for m in _TITLED_NAME.finditer(text or "")]
