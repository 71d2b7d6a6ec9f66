"""Every raw SQL statement of events, in one place, each with why it is not the ORM.

Only table and column names (from the models' meta, so a rename follows) are put into the text;
every value is a named parameter. Two statements:

- `places_rows`: what registration counts under the meeting lock, on every database;
- `campaign_chunk`: one campaign chunk's invitations and emails, PostgreSQL only (SQLite takes
  the row-by-row path in events.services.campaigns, see ARCHITECTURE.md).
"""

import functools
import time
from collections.abc import Sequence

import psycopg
from django.db import connection

from engage.models import Membership, Organisation, OutboundEmail, Stakeholder
from events.enums import RegistrationStatus, SessionKind
from events.models import AreaReservation, Invitation, Registration, Session


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


@functools.cache
def _places_sql(holding_count: int) -> str:
    """Rows of kind "a", per area: places held (walk-ins hold none); one row "w": whether anyone waits, the last
    waiting-list position given, whether the stakeholder is registered; kind "r": a reservation
    still held, with its places; kind "b": a breakout, with its confirmed registrations, its order
    and its capacity.

    Each part reads an index rather than every registration of the meeting: held places through
    (meeting, status), the last position through the unique (meeting, position) index, the
    person through (meeting, stakeholder). Counting every row cost as much as the rest of the
    registration by the time two thousand people had registered, all of it under the lock."""
    area, status = _column(Registration, "area"), _column(Registration, "status")
    meeting = _column(Registration, "meeting")
    registrations, sessions = _table(Registration), _table(Session)
    session_id = f"{sessions}.{_column(Session, 'id')}"
    holding = ", ".join(f"%(holding_{index})s" for index in range(holding_count))
    return (
        f"SELECT 'a', {area}, COUNT(*), 0, NULL, 0, 0 FROM {registrations}"  # noqa: S608
        f" WHERE {meeting} = %(meeting)s AND {status} IN ({holding})"
        f" AND {_column(Registration, 'walk_in')} = %(not_walk_in)s GROUP BY {area}"
        " UNION ALL SELECT 'w', NULL, 0,"
        f" CASE WHEN EXISTS (SELECT 1 FROM {registrations}"
        f" WHERE {meeting} = %(meeting)s AND {status} = %(waitlisted)s) THEN 1 ELSE 0 END,"
        f" (SELECT MAX({_column(Registration, 'waitlist_position')}) FROM {registrations}"
        f" WHERE {meeting} = %(meeting)s),"
        f" CASE WHEN EXISTS (SELECT 1 FROM {registrations}"
        f" WHERE {meeting} = %(meeting)s AND {_column(Registration, 'stakeholder')} ="
        " %(stakeholder)s) THEN 1 ELSE 0 END, 0"
        f" UNION ALL SELECT 'r', {_column(AreaReservation, 'area')}, 0, 0, NULL, 0,"
        f" {_column(AreaReservation, 'places')}"
        f" FROM {_table(AreaReservation)}"
        f" WHERE {_column(AreaReservation, 'meeting')} = %(meeting)s"
        f" AND {_column(AreaReservation, 'release_at')} > %(now)s"
        f" UNION ALL SELECT 'b', {session_id},"
        f" (SELECT COUNT(*) FROM {registrations} WHERE {_column(Registration, 'breakout')} ="
        f" {session_id} AND {status} = %(confirmed)s),"
        f" 0, {sessions}.{_column(Session, 'order')}, 0,"
        f" {sessions}.{_column(Session, 'capacity')}"
        f" FROM {sessions} WHERE {sessions}.{_column(Session, 'kind')} = %(breakout)s"
        f" AND {sessions}.{_column(Session, 'meeting')} = %(meeting)s"
    )


def places_rows(
    *, meeting_id: int, stakeholder_id: int | None, now, holding: Sequence[str]
) -> list[tuple]:
    """Everything registration counts under the meeting lock, in one statement (kind, key,
    taken, waiting, last position, registered, places; see `_places_sql`). `holding` are the
    statuses that hold a place.

    Plain SQL because each statement under the lock is a round trip every other registration for
    the meeting waits behind, and the ORM's compilation of these filtered aggregates cost ten times
    the query. On PostgreSQL a prepared statement, planned once per connection: planning its
    subqueries cost more than running them."""
    sql = _places_sql(len(holding))
    params = {
        "meeting": meeting_id,
        "stakeholder": stakeholder_id,
        "now": connection.ops.adapt_datetimefield_value(now),
        "waitlisted": RegistrationStatus.WAITLISTED.value,
        "confirmed": RegistrationStatus.CONFIRMED.value,
        "not_walk_in": False,
        "breakout": SessionKind.BREAKOUT.value,
        **{f"holding_{index}": str(value) for index, value in enumerate(holding)},
    }
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with connection.cursor() as wrapper:  # Django's connection, transaction and query log
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            started = time.monotonic()
            cursor.execute(sql, params, prepare=True)
            rows = cursor.fetchall()
        if wrapper.db.queries_logged:
            wrapper.db.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return rows


# One statement per chunk on PostgreSQL: for each person of the chunk without an invitation
# email, an email (its recipient values worked out here from the chunk's InvitationWording, the
# same rules events.services.campaigns applies in Python) and beside it the invitation holding
# that email's id. The unique dedupe key decides who writes a person's rows when two runs meet:
# the second waits for the first to commit and inserts no email, so no invitation. An invitation
# whose email was deleted keeps its token and gets the new email (or the one already made for its
# key). Each invitation's token is a keyed hash of the person's id under a secret drawn for the
# chunk and never stored: the email's link and the invitation row, written by different parts of
# the statement, agree on it without a join, whose plan would rest on row estimates PostgreSQL
# does not have for WITH queries (a nested loop there cost 150 ms a chunk).
_KEYED_UUID_SQL = (
    # 128 bits of the hash, with the version and variant digits of a random (version 4) UUID.
    "CAST(overlay(overlay(substr(encode(sha256("
    "decode(%(uuid_key)s, 'hex') || convert_to({}::text, 'UTF8')"
    "), 'hex'), 1, 32) PLACING '4' FROM 13) PLACING '8' FROM 17) AS uuid)"
)
_CAMPAIGN_CHUNK_SQL = """
WITH chunk AS MATERIALIZED (
    SELECT s.id, s.email, s.first_name, s.last_name,
        i.id AS invitation_id, i.token, i.email_id
    FROM {stakeholder} s
    -- LIMIT keeps this a lookup by (campaign, stakeholder) per person: joined freely, the
    -- planner may read all the campaign's invitations for every chunk.
    LEFT JOIN LATERAL (
        SELECT id, token, email_id FROM {invitation}
        WHERE campaign_id = %(campaign)s AND stakeholder_id = s.id LIMIT 1
    ) i ON true
    WHERE s.id = ANY(CAST(%(people)s AS bigint[]))
),
recipients AS (
    SELECT c.id AS stakeholder_id, c.email AS to_email,
        %(key_prefix)s || c.id::text AS dedupe_key,
        jsonb_build_object(
            'first_name', COALESCE(
                NULLIF(c.first_name, ''), NULLIF(c.last_name, ''), %(colleague)s
            ),
            'organisation', COALESCE(org.name, ''),
            'organisation_line', CASE WHEN COALESCE(org.name, '') = '' THEN ''
                ELSE array_to_string(CAST(%(organisation_line)s AS text[]), org.name) END,
            'invitation_url', %(link)s || COALESCE(c.token, {token_of_person})::text
        ) AS recipient
    FROM chunk c
    -- The first organisation by name, as `campaign_recipient_values` takes it.
    LEFT JOIN LATERAL (
        SELECT o.name FROM {membership} m JOIN {organisation} o ON o.id = m.organisation_id
        WHERE m.stakeholder_id = c.id ORDER BY o.name LIMIT 1
    ) org ON true
    WHERE c.email_id IS NULL
    ORDER BY c.id
),
emails AS ({insert_emails}),
invited AS (
    INSERT INTO {invitation} (campaign_id, stakeholder_id, token, created_at, email_id)
    SELECT %(campaign)s, stakeholder_id, {token_of_email}, %(now)s, id FROM emails
    WHERE NOT stakeholder_id = ANY(ARRAY(
        SELECT id FROM chunk WHERE invitation_id IS NOT NULL
    ))
    ORDER BY stakeholder_id
    ON CONFLICT DO NOTHING
    RETURNING email_id
),
linked AS (
    UPDATE {invitation} i SET email_id = COALESCE(
        (SELECT e.id FROM emails e WHERE e.stakeholder_id = i.stakeholder_id),
        (SELECT o.id FROM {email} o WHERE o.dedupe_key = %(key_prefix)s || i.stakeholder_id::text)
    )
    WHERE i.id = ANY(ARRAY(
        SELECT invitation_id FROM chunk WHERE invitation_id IS NOT NULL AND email_id IS NULL
    ))
    RETURNING i.email_id
)
SELECT
    -- The chunk's emails waiting to be sent: new ones (not yet visible to the lookups here)
    -- and queued ones from earlier runs.
    ARRAY(
        SELECT id FROM emails
        UNION
        SELECT w.email_id FROM (
            SELECT email_id FROM chunk UNION ALL SELECT email_id FROM linked
        ) w
        WHERE (SELECT o.status FROM {email} o WHERE o.id = w.email_id) = %(queued)s
        ORDER BY 1
    ),
    (SELECT count(*) FROM invited),
    (SELECT count(*) FROM chunk WHERE invitation_id IS NOT NULL) + (SELECT count(*) FROM invited)
"""


def campaign_chunk(
    *, insert_emails: str, params: dict, colleague: str, organisation_line: Sequence[str]
) -> tuple[list[int], int, int]:
    """Run one campaign chunk's statement (PostgreSQL): (email ids waiting to be sent, invitations
    created, the chunk's people holding one afterwards).

    `insert_emails` and the named `params` come from engage.sql.emails_insert_sql with
    the chunk's own values added (campaign, people, key_prefix, link, uuid_key, now, queued);
    `colleague` and `organisation_line` are the chunk's InvitationWording. One statement because
    building and binding a Python object per person, invitation and email was most of a chunk's
    time."""
    sql = _CAMPAIGN_CHUNK_SQL.format(
        stakeholder=_table(Stakeholder),
        invitation=_table(Invitation),
        membership=_table(Membership),
        organisation=_table(Organisation),
        email=_table(OutboundEmail),
        insert_emails=insert_emails,
        token_of_person=_KEYED_UUID_SQL.format("c.id"),
        token_of_email=_KEYED_UUID_SQL.format("stakeholder_id"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {**params, "colleague": colleague, "organisation_line": list(organisation_line)}
        )
        waiting, created, invited = cursor.fetchone()
    return waiting, created, invited
