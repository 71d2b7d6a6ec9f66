"""The site's stylesheet inlined into each page. On a slow phone connection (2 s round trips) a
separate stylesheet costs a second round trip before anything paints; the whole file is small
(~12 KB, ~3 KB compressed), so it travels inside the HTML. See bench/first_paint.py."""

import functools

from django import template
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils.safestring import mark_safe

register = template.Library()


@functools.cache
def _stylesheet(path: str) -> str:
    found = finders.find(path)
    if not found:
        found = staticfiles_storage.path(path)
    with open(found, encoding="utf-8") as handle:
        # "</" cannot occur in CSS we write, but a stray one would end the <style> element.
        return handle.read().replace("</", "<\\/")


@register.simple_tag
def inline_stylesheet(path: str) -> str:
    return mark_safe(_stylesheet(path))  # noqa: S308 (our own static file, escaped above)
