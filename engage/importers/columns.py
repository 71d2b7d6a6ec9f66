"""Which column holds what: the fields, the header spellings recognised, consent columns, mapping."""

import re
import unicodedata

from django.utils.translation import gettext as _

from engage.importers.reading import ImportFileError
from engage.models import ConsentPurpose

# The fields a column can map to. `name` is one column holding "first last".
FIELDS = (
    "email",
    "first_name",
    "last_name",
    "name",
    "organisation",
    "role",
    "area",
    "phone",
    "tags",
)
# Header spellings recognised without a mapping (after lower-casing and turning spaces and
# hyphens into underscores).
HEADER_ALIASES = {
    "email": "email",
    "email_address": "email",
    "e_mail": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "forename": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "name": "name",
    "full_name": "name",
    "organisation": "organisation",
    "organization": "organisation",
    "role": "role",
    "area": "area",
    "borough": "area",
    "phone": "phone",
    "telephone": "phone",
    "tags": "tags",
}
CONSENT_PREFIX = "consent_"


def header_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", header).strip().lower())


def default_mapping(headers: list[str]) -> dict[str, str]:
    """The field each recognised header maps to, as {field: header}; first header wins."""
    mapping: dict[str, str] = {}
    for header in headers:
        name = HEADER_ALIASES.get(header_key(header))
        if name and name not in mapping:
            mapping[name] = header
    return mapping


def consent_columns(headers: list[str]) -> dict[str, str]:
    """{header: purpose slug} for every `consent_<purpose-slug>` column; raises for an unknown one."""
    slugs = {
        slug.replace("-", "_"): slug
        for slug in ConsentPurpose.objects.values_list("slug", flat=True)
    }
    found: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        if not key.startswith(CONSENT_PREFIX):
            continue
        wanted = key[len(CONSENT_PREFIX) :]
        if wanted not in slugs:
            raise ImportFileError(
                _("Column “%(header)s” names no consent purpose. Known purposes: %(known)s.")
                % {"header": header, "known": ", ".join(sorted(slugs.values()))}
            )
        found[header] = slugs[wanted]
    return found


def column_indexes(headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """{field: column index} for a {field: header} mapping; raises without an email column."""
    positions = {header: i for i, header in reversed(list(enumerate(headers)))}
    indexes = {}
    for name, header in mapping.items():
        if not header:
            continue
        if name not in FIELDS:
            raise ImportFileError(_("Unknown field %(field)s in the mapping.") % {"field": name})
        if header not in positions:
            raise ImportFileError(
                _("The mapping names a column “%(header)s” the file does not have.")
                % {"header": header}
            )
        indexes[name] = positions[header]
    if "email" not in indexes:
        raise ImportFileError(
            _("The file needs an email column (a header named “email”, or map one).")
        )
    return indexes
