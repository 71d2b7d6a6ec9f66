"""Campaign fan-out: events.services.campaign_fanout over N consented stakeholders (5% left out).

Measures the part the campaign owns: working out the audience, inserting one Invitation and one
OutboundEmail per eligible person chunk by chunk, and publishing the batch send tasks to Redis (no
worker consumes them here; bench/mail_fanout.py measures the sending). Then the same fan-out again,
as a redelivered task would run it: it must create nothing.

Checked after each run (`exactly_once`): one invitation and one email per eligible person and none
for the 5% left out (no consent, or a suppressed address), each invitation holding its own
person's email; every email handed to the sender, none twice in a run (the repeat hands over again
what is still queued, since no worker sent it).

    .venv/bin/python bench/campaign_fanout.py            # 10,000 and 100,000
    .venv/bin/python bench/campaign_fanout.py --quick    # 1,000 (checks the bench works)

Target (2 cores): queueing 10,000 within 1 s (the issue's figure for the queueing step).
Measured: 1.39 s, then 1.02 s (invitations in one statement); 0.43 s (median of 5) with one
statement per chunk for invitations and emails on PostgreSQL.
"""

import base64
import collections
import json
import os
import resource
import time

from common import arg_parser, bench_database, print_table, setup_django, write_results
from mail_fanout import populate

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
MAIL_QUEUE = "mail"  # CELERY_TASK_ROUTES sends engage.mail.* there


def published_since(client, length: int) -> tuple[list[int], int]:
    """The email ids in the send tasks published to the mail queue since it had `length` messages
    (kombu pushes on the left), and its length now."""
    now = client.llen(MAIL_QUEUE)
    ids = []
    for raw in client.lrange(MAIL_QUEUE, 0, now - length - 1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids += args[0]
    return ids, now


def exactly_once(campaign, eligible: set[str], handed: list[int], *, queued_only: bool) -> bool:
    """One invitation with its own person's email for each of `eligible` and no one else, and each
    of those emails (still queued ones, with `queued_only`) handed over exactly once."""
    from engage.models import OutboundEmail
    from events.models import Invitation

    rows = list(
        Invitation.objects.filter(campaign=campaign).values_list(
            "stakeholder__email", "email__to_email", "email__stakeholder_id", "stakeholder_id"
        )
    )
    emails = OutboundEmail.objects.filter(dedupe_key__startswith=f"invite:{campaign.pk}:")
    per_address = collections.Counter(emails.values_list("to_email", flat=True))
    expected = emails.filter(status="queued") if queued_only else emails
    return (
        collections.Counter(person for person, *_ in rows) == collections.Counter(eligible)
        and all(to == person and owner == pk for person, to, owner, pk in rows)
        and per_address == collections.Counter(eligible)
        and sorted(handed) == sorted(expected.values_list("pk", flat=True))
    )


def run(size: int, everyone: set[str]) -> dict:
    """`everyone`: the eligible people of the sizes run so far in this database; the campaign's
    audience (everyone consented) takes in those of earlier sizes too."""
    import redis

    from events.enums import CampaignStatus
    from events.models import Campaign
    from events.services import campaign_fanout
    from tests.factories import CampaignFactory

    people, left_out, eligible = populate(size)
    everyone |= eligible
    eligible = set(everyone)
    # A worker process is warm: import and URL resolver set-up are not part of the figure.
    warm = CampaignFactory(filters={"q": "nobody-matches-this"})
    Campaign.objects.filter(pk=warm.pk).update(status=CampaignStatus.SENDING)
    campaign_fanout(campaign_id=warm.pk)
    # ... and so is its broker connection (the warm-up campaign above has nobody to queue for).
    from engage.mail.tasks import emails_send_batch_task

    emails_send_batch_task.delay([])
    client = redis.Redis.from_url(REDIS_URL)
    campaign = CampaignFactory()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    length = client.llen(MAIL_QUEUE)
    start = time.perf_counter()
    created = campaign_fanout(campaign_id=campaign.pk)
    first = time.perf_counter() - start
    handed, length = published_since(client, length)
    ok = created == len(eligible) and exactly_once(campaign, eligible, handed, queued_only=False)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    start = time.perf_counter()
    again = campaign_fanout(campaign_id=campaign.pk)
    repeat = time.perf_counter() - start
    handed, length = published_since(client, length)
    ok = ok and again == 0 and exactly_once(campaign, eligible, handed, queued_only=True)
    return {
        "size": size,
        "eligible": len(eligible),
        "left_out": len(left_out),
        "fanout_s": round(first, 2),
        "per_s": round(created / first),
        "repeat_s": round(repeat, 2),
        "repeat_created": again,
        "exactly_once": ok,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    args = arg_parser(__doc__.splitlines()[0]).parse_args()
    sizes = [1000] if args.quick else [10_000, 100_000]
    sizes = args.sizes or sizes
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
    rows = []
    try:
        with bench_database("engage_bench_campaign_fanout") as database_url:
            setup_django(database_url)
            eligible: set[str] = set()
            rows = [run(size, eligible) for size in sizes]
    finally:
        client.flushdb()  # the published send tasks; nobody will consume them
    print_table(rows)
    write_results("campaign_fanout", {"rows": rows, "quick": args.quick})
    return 0 if all(row["exactly_once"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
