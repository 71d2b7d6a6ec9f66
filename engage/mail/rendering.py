"""Rendering mail: subject, text and HTML from templates/emails/<template>_*, plus the footer.

Two ways to the same words:
- rendered here: the template is rendered once per recipient with that recipient's values;
- rendered by the ESP (batches): the template is rendered once per batch with `{{name}}`
  placeholders for the per-recipient values, and each recipient's values travel as merge data.
  Per-recipient values live under the `recipient` key of the context, so a template writes
  `{{ recipient.first_name }}` and renders either way. HTML placeholders carry an `_html` suffix
  and get HTML-escaped values, because SES's simple substitution inserts values as they are.
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template import Context, TemplateDoesNotExist, engines
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import escape, urlize

from engage.links import PREFERENCES, UNSUBSCRIBE, link_token

_FOOTER_DIR = Path(__file__).parent / "footer"
# Values every recipient of engagement mail gets beside their own merge data (footer links).
LINK_FIELDS = ("unsubscribe_url", "preferences_url")


@lru_cache(maxsize=2)
def _footer_template(kind: str):
    return engines["django"].from_string((_FOOTER_DIR / f"footer.{kind}").read_text())


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


_SEGMENT_MARKER = "engage-link-segment"
_link_parts: dict[tuple, tuple[str, str]] = {}


def _token_url(name: str, token: str) -> str:
    """reverse(name, token=token), resolved once per URLconf: a bulk send builds two links for
    every recipient. Tokens are URL-safe (base64url and colons), so reverse would not quote them."""
    key = (name, get_script_prefix(), get_urlconf())
    parts = _link_parts.get(key)
    if parts is None:
        before, _, after = reverse(name, kwargs={"token": _SEGMENT_MARKER}).partition(
            _SEGMENT_MARKER
        )
        parts = _link_parts[key] = (before, after)
    return parts[0] + token + parts[1]


def stakeholder_links(*, stakeholder, purpose_slug: str = "", sent_to: str = "") -> dict[str, str]:
    """Preferences link (always) and one-click unsubscribe link (mail with a purpose), each
    signed for its own purpose and for the address the mail goes to (`sent_to`, default the
    address on file), so neither survives a change of address (see engage.links)."""
    links = {
        "preferences_url": absolute_url(
            _token_url(
                "engage:preferences",
                link_token(stakeholder=stakeholder, purpose=PREFERENCES, sent_to=sent_to),
            )
        ),
        "unsubscribe_url": "",
    }
    if purpose_slug:
        token = link_token(
            stakeholder=stakeholder,
            purpose=UNSUBSCRIBE,
            sent_to=sent_to,
            consent_slug=purpose_slug,
        )
        links["unsubscribe_url"] = absolute_url(_token_url("engage:unsubscribe", token))
    return links


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers (Gmail and Yahoo require them for bulk senders)."""
    if not unsubscribe_url:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _render_text(name: str, context: dict) -> str:
    # Plain text is not HTML: "Ama & Kofi" must not arrive as "Ama &amp; Kofi".
    return get_template(name).template.render(Context(context, autoescape=False))


def _with_footer(text: str, html: str, footer_context: dict | None) -> tuple[str, str]:
    if footer_context is None:
        return text, html
    footer_text = _footer_template("txt").template.render(Context(footer_context, autoescape=False))
    text = text.rstrip("\n") + "\n\n" + footer_text.strip() + "\n"
    if html:
        footer = _footer_template("html").render(footer_context)
        at = html.lower().rfind("</body>")
        html = html[:at] + footer + html[at:] if at >= 0 else html + footer
    return text, html


def email_render(
    *, template: str, context: dict, footer: dict | None = None
) -> tuple[str, str, str]:
    """Subject, text and HTML bodies from templates/emails/<template>_{subject.txt,message.txt,
    message.html}; the HTML part is optional. `footer` (links and purpose name) adds the footer."""
    subject = " ".join(_render_text(f"emails/{template}_subject.txt", context).split())
    text = _render_text(f"emails/{template}_message.txt", context)
    try:
        html = render_to_string(f"emails/{template}_message.html", context)
    except TemplateDoesNotExist:
        # Every email has an HTML part: mail apps on phones show a bare text part in a small
        # fixed font, with links that are not always tappable.
        html = _html_from_text(text)
    text, html = _with_footer(text, _document(html, subject=subject), footer)
    return subject, text, html


def _html_from_text(text: str) -> str:
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    return "\n".join(
        "<p>" + urlize(escape(p), nofollow=False, autoescape=False).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
    )


def _document(html: str, *, subject: str) -> str:
    """The HTML part as a whole document: its language, and a viewport so phones do not shrink
    it to a desktop width."""
    if html.lstrip()[:9].lower() in ("<!doctype", "<html lan", "<html>"):
        return html
    lang = translation.get_language() or settings.LANGUAGE_CODE
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(subject)}</title>\n</head>\n<body>\n{html}\n</body>\n</html>\n"
    )


def footer_context(*, purpose_name: str, links: dict[str, str]) -> dict:
    return {"purpose_name": purpose_name, **links}


def _placeholder(name: str) -> str:
    return "{{" + name + "}}"


def email_render_skeleton(
    *, template: str, context: dict, merge_fields: list[str], purpose_name: str
) -> tuple[str, str, str]:
    """The template rendered once for a whole batch, with `{{field}}` placeholders where each
    recipient's values go (`{{field_html}}` in the HTML part)."""
    fields = [*merge_fields, *LINK_FIELDS]
    text_ctx = {**context, "recipient": {f: _placeholder(f) for f in fields}}
    html_ctx = {**context, "recipient": {f: _placeholder(f"{f}_html") for f in fields}}
    subject, text, _ = email_render(
        template=template,
        context=text_ctx,
        footer=footer_context(
            purpose_name=purpose_name,
            links={f: _placeholder(f) for f in LINK_FIELDS},
        ),
    )
    _, _, html = email_render(
        template=template,
        context=html_ctx,
        footer=footer_context(
            purpose_name=purpose_name,
            links={f: _placeholder(f"{f}_html") for f in LINK_FIELDS},
        ),
    )
    return subject, text, html


def merge_values(values: dict) -> dict[str, str]:
    """One recipient's merge data for a skeleton: each value as text, and HTML-escaped."""
    data = {}
    for key, value in values.items():
        text = "" if value is None else str(value)
        data[key] = text
        data[f"{key}_html"] = str(escape(text))
    return data
