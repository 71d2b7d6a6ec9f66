"""What feedback holds about people, for subject access, erasure and retention (engage.rights):
survey and session feedback responses a person chose to give with their name (survey), and the
named contacts of owners of responses owed (owners)."""

from feedback.rights.owners import OWNERS_PROVIDER, owner_contacts_retention_run
from feedback.rights.survey import SURVEY_PROVIDER

PROVIDERS = (SURVEY_PROVIDER, OWNERS_PROVIDER)

__all__ = ["OWNERS_PROVIDER", "PROVIDERS", "SURVEY_PROVIDER", "owner_contacts_retention_run"]
