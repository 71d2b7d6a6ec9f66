"""The production WSGI app with the meeting row lock taken out: registration_rush's unlocked run only.

The bench serves this instead of config.wsgi to show that its checks catch an oversell. The
change is made here, in the bench's own server process, so no switch for it exists in the app:
`meeting_places.meeting_locked` reads the meeting without a lock, and every count of places
(`meeting_places.Places`) holds the gap between counting and inserting open 20 ms, so the race the
lock prevents shows in every run, not by chance.
"""

import time

from config.wsgi import application
from events.models import Meeting
from events.services import meeting_places

RACE_WINDOW_SECONDS = 0.02


def _meeting_unlocked(meeting_id: int) -> Meeting:
    return Meeting.objects.get(pk=meeting_id)


class _PlacesWithRaceWindow(meeting_places.Places):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)


meeting_places.meeting_locked = _meeting_unlocked
meeting_places.Places = _PlacesWithRaceWindow

__all__ = ["application"]
