"""Helpers for reading pages in tests."""

import re

_NONCE = re.compile(rb'nonce="[^"]*"')


def page_bytes(response) -> bytes:
    """The page as sent, with the per-response CSP nonce blanked: two answers that must not tell
    two cases apart are compared on everything else, byte for byte."""
    return _NONCE.sub(b'nonce=""', response.content)


def main_text(response) -> str:
    """The page's <main> only: the inlined stylesheet and the layout's navigation left out."""
    html = response.content.decode()
    start = html.find("<main")
    end = html.find("</main>", start)
    return html[start:end] if start != -1 and end != -1 else html
