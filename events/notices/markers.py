"""Scheduled sends: lock the row, check the marker, set it, queue, in one transaction.

A reminder, a survey email or an announcement is owed once per business row. The marker (a
nullable timestamp on that row) is read and written under select_for_update in the transaction
that queues the email, so a beat job that runs twice, or two that overlap, send once; the email's
dedupe key is a second guard. A new scheduled send is a marker field, a template and a call:

    marker_send(
        rows=Registration.objects.filter(pk=registration_id),
        marker="survey_sent_at",
        now=now,
        due=lambda registration: registration.meeting.end + DELAY <= now,
        send=lambda registrations: ...queue one email per row...,
    )
"""

import datetime as dt
from collections.abc import Callable, Sequence

from django.db import models, transaction


def marker_send[Row: models.Model](
    *,
    rows: models.QuerySet,
    marker: str,
    now: dt.datetime,
    send: Callable[[list[Row]], int | bool | None],
    due: Callable[[Row], bool] | None = None,
    related: Sequence[str] = (),
) -> int | bool | None:
    """Lock the rows of `rows` whose `marker` is still empty, keep those `due` says are due, set
    their marker to `now` and call `send` with them, all in one transaction.

    Rows locked by their own table only (`related` are loaded, not locked). A row that is not due
    keeps its empty marker, so a later run can send it. Returns what `send` returns, or 0 when
    nothing was due (without calling it).
    """
    with transaction.atomic():
        locked = rows.select_for_update(of=("self",)).filter(**{f"{marker}__isnull": True})
        if related:
            locked = locked.select_related(*related)
        locked = list(locked.order_by("pk"))
        chosen = [row for row in locked if due is None or due(row)]
        if not chosen:
            return 0
        rows.model.objects.filter(pk__in=[row.pk for row in chosen]).update(**{marker: now})
        for row in chosen:
            setattr(row, marker, now)
        return send(chosen)
