"""The registrations section of a person's account page (engage.account's registry)."""

from engage.account import AccountSection
from events import selectors
from events.services import registration_refusal


def registrations_section(*, request, stakeholder) -> AccountSection | None:
    """Upcoming and past registrations with their links, and the meetings the person may join
    again in one click. Nothing for someone not on the list."""
    if stakeholder is None:
        return None
    upcoming, past = selectors.registrations_of_stakeholder(stakeholder=stakeholder)
    registered = {r.meeting_id for r in upcoming} | {r.meeting_id for r in past}
    again = [
        meeting
        for meeting in selectors.meetings_to_register_again(
            stakeholder=stakeholder, registered_meeting_ids=registered
        )
        if registration_refusal(meeting=meeting) is None
    ]
    return AccountSection(
        template="events/account/_registrations.html",
        context={"upcoming": upcoming, "past": past, "again": again},
    )
