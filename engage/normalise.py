import unicodedata


def normalise_email(value: str) -> str:
    """The identity of an address: trimmed, NFKC-normalised and lower-cased."""
    return unicodedata.normalize("NFKC", value).strip().lower()
