"""Arguments for every URL that needs them, for tests that visit every guarded page.

Add an entry when you add a page whose URL takes arguments; tests/test_access.py fails until you do.
Each builder receives nothing and creates what it needs with factories.
"""

from collections.abc import Callable

URL_KWARGS: dict[str, Callable[[], dict]] = {}


def url_kwargs_for(url_name: str) -> dict:
    from django.urls import NoReverseMatch, reverse

    builder = URL_KWARGS.get(url_name)
    if builder is not None:
        return builder()
    try:
        reverse(url_name)
    except NoReverseMatch:
        raise AssertionError(f"tests/url_args.py needs an entry for {url_name!r}") from None
    return {}
