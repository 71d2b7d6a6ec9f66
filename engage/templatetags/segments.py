from django import template

from engage.filter_words import filters_in_words as _filters_in_words

register = template.Library()


@register.filter
def filters_in_words(filters) -> list[tuple[str, str]]:
    return _filters_in_words(filters)
