"""Campaign fan-out: events.services.campaign_fanout over N consented stakeholders (5% left out).

Measures the part the campaign owns: working out the audience, inserting one Invitation and one
OutboundEmail per eligible person chunk by chunk, and publishing the batch send tasks to Redis (no
worker consumes them here; bench/mail_fanout.py measures the sending). Then the same fan-out again,
as a redelivered task would run it: it must create nothing.

    .venv/bin/python bench/campaign_fanout.py            # 10,000 and 100,000
    .venv/bin/python bench/campaign_fanout.py --quick    # 1,000 (checks the bench works)

Target (2 cores): queueing 10,000 within 1 s (the issue's figure for the queueing step).
"""

import os
import resource
import time

from common import arg_parser, bench_database, print_table, setup_django, write_results
from mail_fanout import populate

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def run(size: int, everyone: set[str]) -> dict:
    """`everyone`: the eligible people of the sizes run so far in this database; the campaign's
    audience (everyone consented) takes in those of earlier sizes too."""
    from engage.models import OutboundEmail
    from events.enums import CampaignStatus
    from events.models import Campaign, Invitation
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
    campaign = CampaignFactory()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    start = time.perf_counter()
    created = campaign_fanout(campaign_id=campaign.pk)
    first = time.perf_counter() - start
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    start = time.perf_counter()
    again = campaign_fanout(campaign_id=campaign.pk)
    repeat = time.perf_counter() - start
    invited = set(
        Invitation.objects.filter(campaign=campaign).values_list("stakeholder__email", flat=True)
    )
    emails = OutboundEmail.objects.filter(invitation__campaign=campaign).count()
    ok = invited == eligible and created == len(eligible) and again == 0 and emails == created
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
