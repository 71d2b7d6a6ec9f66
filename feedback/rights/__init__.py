"""What feedback holds about people, for subject access, erasure and retention (engage.rights):
survey and session feedback responses a person chose to give with their name (survey), the
named contacts of owners of responses owed (owners), and a person's name in points (points)."""

from feedback.rights.owners import OWNERS_PROVIDER, owner_contacts_retention_run
from feedback.rights.points import POINTS_PROVIDER
from feedback.rights.survey import SURVEY_PROVIDER

PROVIDERS = (SURVEY_PROVIDER, OWNERS_PROVIDER, POINTS_PROVIDER)

__all__ = [
    "OWNERS_PROVIDER",
    "POINTS_PROVIDER",
    "PROVIDERS",
    "SURVEY_PROVIDER",
    "owner_contacts_retention_run",
]
