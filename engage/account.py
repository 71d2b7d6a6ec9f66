"""Sections other apps add to the signed-in person's account page, so engage never imports them.

An app registers, in its AppConfig.ready, a callable `provider(request=..., stakeholder=...)`
returning an AccountSection (a template and its context) or None; the account page renders each
in order. `stakeholder` is the person's entry on the list, or None when they have none.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccountSection:
    template: str
    context: dict


AccountSectionProvider = Callable[..., AccountSection | None]

_REGISTRY: list[tuple[int, str, AccountSectionProvider]] = []


def register_account_section(
    *, name: str, provider: AccountSectionProvider, order: int = 100
) -> None:
    """Add a section to the account page; the same name again replaces it (ready() may run twice
    in tests)."""
    entries = [entry for entry in _REGISTRY if entry[1] != name]
    entries.append((order, name, provider))
    _REGISTRY[:] = sorted(entries, key=lambda entry: (entry[0], entry[1]))


def account_sections(*, request, stakeholder) -> list[AccountSection]:
    """The sections registered for the account page, for this person, in their order."""
    sections = []
    for _order, _name, provider in _REGISTRY:
        section = provider(request=request, stakeholder=stakeholder)
        if section is not None:
            sections.append(section)
    return sections
