"""Sections other apps add to the meeting pages, so events' templates never name their URLs.

An app registers, in its AppConfig.ready, a callable for a page ("public" or "staff"); the
`{% meeting_sections meeting "public" %}` tag (events.templatetags.meeting_sections) calls each in
order and renders the template it names with the context it returns. A callable returns None to
add nothing for that meeting. Events imports no app that registers here (feedback -> events only).
"""

from collections.abc import Callable
from dataclasses import dataclass

PAGES = ("public", "staff")


@dataclass(frozen=True)
class Section:
    template: str
    context: dict


SectionProvider = Callable[..., Section | None]

_REGISTRY: dict[str, list[tuple[int, str, SectionProvider]]] = {page: [] for page in PAGES}


def register_meeting_section(
    *, page: str, name: str, provider: SectionProvider, order: int = 100
) -> None:
    """Add `provider(meeting=..., request=...)` to a meeting page. Registering the same name for
    the same page again replaces it (ready() may run twice in tests)."""
    if page not in PAGES:
        raise ValueError(f"unknown meeting page {page!r}")
    entries = [entry for entry in _REGISTRY[page] if entry[1] != name]
    entries.append((order, name, provider))
    _REGISTRY[page] = sorted(entries, key=lambda entry: (entry[0], entry[1]))


def meeting_sections(*, page: str, meeting, request=None) -> list[Section]:
    """The sections registered for `page`, for this meeting, in their order."""
    sections = []
    for _order, _name, provider in _REGISTRY[page]:
        section = provider(meeting=meeting, request=request)
        if section is not None:
            sections.append(section)
    return sections
