"""Every user-facing string in templates/ is marked for translation (en-GB first)."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Blocks whose content is not shown as text, or is already inside a translation tag.
_BLOCKS = re.compile(
    r"{%\s*(blocktranslate|blocktrans|comment)\b.*?{%\s*end\1\s*%}"
    r"|<(script|style)\b.*?</\2>"
    r"|<!--.*?-->|{#.*?#}",
    re.DOTALL,
)
_TAGS = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
# Attributes a person reads or hears.
_ATTRS = re.compile(r'\b(?:alt|title|placeholder|aria-label|aria-description)="([^"]*)"')
_HTML = re.compile(r"<[^>]*>", re.DOTALL)
# Text that is not language: punctuation, numbers, entities, symbols.
_NOT_WORDS = re.compile(r"&[a-z]+;|&#\d+;|[^A-Za-z]")


def _untranslated(source: str) -> list[str]:
    source = _BLOCKS.sub(" ", source)
    found = [
        value for value in _ATTRS.findall(source) if re.search("[A-Za-z]", _TAGS.sub("", value))
    ]
    text = _HTML.sub("\n", _TAGS.sub("\n", source))
    found += [line.strip() for line in text.splitlines() if _NOT_WORDS.sub("", line)]
    return found


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_text_is_marked_for_translation(path):
    assert _untranslated(path.read_text()) == []


def test_the_checker_finds_unmarked_text():
    source = (
        '{% load i18n %}<h1>{% translate "Meetings" %}</h1><p>Book a place</p>'
        '<img alt="A map" src="x.png"><a aria-label="{% translate \'Next\' %}">&rarr; 2</a>'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}"
    )

    assert _untranslated(source) == ["A map", "Book a place"]
