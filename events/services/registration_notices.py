"""The wake key of the registration notice sender: how a registration write gets its email going.

A registration owed an email says so in its own row (Registration.notice_pending, written in
the same transaction as the change), so a notice survives a broker that is down at commit: the
beat's sweep sends it. After commit the sender is woken at most once per NOTICES_WAKE_SECONDS
rather than once per registration: in a rush, queueing a Celery message for every registrant
cost more than the rest of the registration's Python. The sender clears the key and looks
again before it stops (events.notifications.registration_notices_send), so nothing committed
while it ran waits for the sweep.
"""

from django.core.cache import cache
from django.db import transaction

from events.tasks import registration_notices_send_task

NOTICES_WAKE_KEY = "events:registration-notices-wake"
NOTICES_WAKE_SECONDS = 30


def registration_notices_wake() -> None:
    """Queue the registration notice sender, unless it was woken in the last NOTICES_WAKE_SECONDS."""
    if cache.add(NOTICES_WAKE_KEY, 1, timeout=NOTICES_WAKE_SECONDS):
        try:
            registration_notices_send_task.delay()
        except Exception:
            cache.delete(NOTICES_WAKE_KEY)  # the next registration tries again
            raise


def registration_notices_wake_on_commit() -> None:
    """Wake the sender after the current transaction commits."""
    # robust: a broker that is down must not turn a committed registration into an error page;
    # the notice waits in its row for the sweep.
    transaction.on_commit(registration_notices_wake, robust=True)
