"""First paint of the meeting page and the registration form on a slow phone connection.

Chromium (Playwright, Debian's build) with DevTools network throttling of 2 s latency and
50 KB/s each way, a 360 px phone viewport and an empty cache, against gunicorn on production
settings. Reports `first-contentful-paint` from the Paint Timing API, median of a few loads.

    .venv/bin/python bench/first_paint.py [--quick] [--database engage_bench_first_paint]

The target (issue 14): at most 2.5 s for both pages.
"""

import datetime as dt
import os
import shutil
import statistics
import subprocess

from common import (
    BIN,
    ROOT,
    arg_parser,
    bench_database,
    bench_env,
    gunicorn,
    print_table,
    setup_django,
    write_results,
)

LATENCY_MS = 2000
BYTES_PER_SECOND = 50 * 1024
TARGET_MS = 2500


def _meeting_slug() -> str:
    from django.utils import timezone

    from events.enums import MeetingFormat, MeetingStatus
    from events.models import Meeting, Series

    series, _ = Series.objects.get_or_create(slug="public-review", defaults={"name": "Reviews"})
    start = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    meeting = Meeting.objects.create(
        series=series,
        title="Public review meeting",
        slug="bench-first-paint",
        summary="Updates on the action plan, then plenary and breakout discussion.",
        start=start,
        end=start + dt.timedelta(hours=2),
        format=MeetingFormat.HYBRID,
        venue="City Hall",
        capacity=100,
        status=MeetingStatus.PUBLISHED,
    )
    return meeting.slug


def _first_paint(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": LATENCY_MS,
            "downloadThroughput": BYTES_PER_SECOND,
            "uploadThroughput": BYTES_PER_SECOND,
        },
    )
    page.goto(url, wait_until="load", timeout=60_000)
    # The paint entry can be queued just after "load": wait for it rather than read too early.
    paint = page.evaluate(
        """() => new Promise(resolve => new PerformanceObserver(list => {
            const fcp = list.getEntriesByName('first-contentful-paint')[0];
            if (fcp) resolve(fcp.startTime);
        }).observe({type: 'paint', buffered: true}))"""
    )
    context.close()
    return float(paint)


def main() -> int:
    parser = arg_parser(__doc__)
    parser.add_argument("--database", default="engage_bench_first_paint")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    with bench_database(args.database) as url:
        setup_django(url)
        slug = _meeting_slug()
        subprocess.run(
            [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=bench_env(url),
            check=True,
        )
        from playwright.sync_api import sync_playwright

        chromium = os.environ.get("ENGAGE_CHROMIUM") or shutil.which("chromium")
        rows = []
        with gunicorn(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            # Unthrottled warm-up, so the figure is the network's, not a cold worker's.
            warm = browser.new_page()
            for path in (f"/meetings/{slug}/", f"/meetings/{slug}/register/email/"):
                warm.goto(server.url + path)
            warm.close()
            for name, path in (
                ("meeting page", f"/meetings/{slug}/"),
                ("registration form", f"/meetings/{slug}/register/email/"),
            ):
                paints = [_first_paint(browser, server.url + path) for _ in range(runs)]
                median = statistics.median(paints)
                rows.append(
                    {
                        "page": name,
                        "first_paint_ms": round(median),
                        "runs": runs,
                        "target_ms": TARGET_MS,
                        "ok": median <= TARGET_MS,
                    }
                )
            browser.close()
    print_table(rows)
    write_results(
        "first_paint", {"latency_ms": LATENCY_MS, "bytes_per_s": BYTES_PER_SECOND, "rows": rows}
    )
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
