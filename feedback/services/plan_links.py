"""Linking what people said to the action plan: a commitment's themes and responses, set by the
team, so that the commitment's public page shows what people said about it.

Only themes and responses of the plan's series can be linked (any, for a plan outside a
series), so a link can never point a commitment at another series' meetings. Actors appear in
logs by id only.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from feedback.models import Commitment
from feedback.selectors.plan_links import commitment_link_choices

logger = logging.getLogger(__name__)


def commitment_links_set(
    *, commitment_id: int, theme_ids: list[int], response_ids: list[int], actor
) -> Commitment:
    """Replace a commitment's linked themes and responses with these. Raises ValidationError
    (nothing changed) when an id is not one the plan's series offers."""
    with transaction.atomic():
        commitment = (
            Commitment.objects.select_for_update(of=("self",))
            .select_related("plan")
            .get(pk=commitment_id)
        )
        themes, responses = commitment_link_choices(plan=commitment.plan)
        allowed_themes = {theme.pk for theme in themes}
        allowed_responses = {response.pk for response in responses}
        errors = {}
        if set(theme_ids) - allowed_themes:
            errors["themes"] = _("Choose themes of this plan's meetings.")
        if set(response_ids) - allowed_responses:
            errors["responses"] = _("Choose responses to this plan's meetings.")
        if errors:
            raise ValidationError(errors)
        commitment.themes.set(sorted(set(theme_ids)))
        commitment.responses.set(sorted(set(response_ids)))
    logger.info(
        "commitment links set",
        extra={
            "commitment_id": commitment_id,
            "themes": len(set(theme_ids)),
            "responses": len(set(response_ids)),
            "actor_id": getattr(actor, "pk", None),
        },
    )
    return commitment
