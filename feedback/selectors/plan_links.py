"""What a commitment can be linked to: the themes and the responses of the plan's series (every
one, for a plan outside a series). Two queries."""

from feedback.models import ActionPlan, Response, Theme


def commitment_link_choices(*, plan: ActionPlan) -> tuple[list[Theme], list[Response]]:
    themes = Theme.objects.order_by("name", "pk")
    responses = Response.objects.select_related("meeting").order_by(
        "-meeting__start", "order", "pk"
    )
    if plan.series_id is not None:
        themes = themes.filter(series_id=plan.series_id)
        responses = responses.filter(meeting__series_id=plan.series_id)
    return list(themes), list(responses)
