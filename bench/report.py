"""The summary report of a meeting with 5,000 points in 12 breakouts, on PostgreSQL.

    .venv/bin/python bench/report.py [--quick] [--points N] [--repeat N]

Seeds one past meeting: 12 breakouts asked the same 6 questions, 5,000 points spread over them
(seven in ten tagged with one of 15 themes, weights 1–3, one in ten verbatim), 300 people checked
in from London's areas. Writes the draft from the points, publishes it, then times (medians of
--repeat runs, in this process through Django's test client on production settings):
  draft        writing the draft from the points (selector and outline)
  page         GET the public record page
  pdf          building the tagged PDF of the published version (uncached)
  docx         building the DOCX of the published version
  pdf download, docx download   GET the files as the public does: built by the task queued at
               publishing (in this process: no broker, so tasks run at once) and served as stored
  csv          GET the points download (all rows)
with the CPU time of each beside the wall clock (on a shared machine the wall clock carries
other people's load), and the peak memory of each (tracemalloc, in a separate run so it does not slow the timings),
with the process's peak resident size at the end.
Targets (issue #11): page at most 1 s, PDF at most 5 s, DOCX at most 2 s.
"""

import datetime as dt
import io
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import pikepdf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import arg_parser, bench_database, print_table, setup_django, write_results  # noqa: E402

QUESTIONS = [
    "Positive activity initiatives are aimed at improving trust and confidence, what more could "
    "be done and how could you support?",
    "How could communities help support the Met's Use of Force work?",
    "If the Met were to stop doing something in your local area what should it be?",
    "If the Met were to start doing something in your local area what should it be?",
    "If the Met were to continue doing one thing in your local area, what would it be?",
    "If you could have changed one thing about this session, what would it be?",
]
THEMES = [
    "racism",
    "trust",
    "young people",
    "stop and search",
    "use of force",
    "body-worn video",
    "schools",
    "community groups",
    "complaints",
    "visibility",
    "recruitment",
    "data",
    "timing of meetings",
    "pre-reading",
    "social media",
]
WORDS = [
    "engage",
    "listen",
    "young",
    "people",
    "community",
    "police",
    "trust",
    "explain",
    "share",
    "information",
    "local",
    "ward",
    "panel",
    "schools",
    "rights",
    "youth",
    "organisations",
    "honest",
    "acknowledge",
    "racism",
    "progress",
    "evidence",
]
TARGETS_MS = {"page": 1000, "pdf": 5000, "docx": 2000}


def seed(points: int) -> dict:
    from django.utils import timezone

    from engage.models import Area, Stakeholder
    from engage.services import areas_load
    from events.enums import MeetingStatus, SessionKind
    from events.models import DiscussionQuestion, Meeting, Registration, Session
    from feedback.enums import ModerationState
    from feedback.models import Point
    from feedback.services import theme_for_meeting

    rng = random.Random(11)
    areas_load()
    area_ids = list(Area.objects.values_list("pk", flat=True))
    start = (timezone.now() - dt.timedelta(days=7)).replace(microsecond=0)
    meeting = Meeting.objects.create(
        title="Public review meeting: bench",
        slug="bench-report",
        summary="Bench meeting.",
        start=start,
        end=start + dt.timedelta(hours=3),
        venue="City Hall",
        capacity=400,
        status=MeetingStatus.COMPLETED,
    )
    themes = [theme_for_meeting(meeting=meeting, name=name) for name in THEMES]
    questions = []
    for b in range(12):
        session = Session.objects.create(
            meeting=meeting,
            kind=SessionKind.BREAKOUT,
            title=f"Breakout {b + 1}",
            start=start + dt.timedelta(hours=1),
            end=start + dt.timedelta(hours=2),
            order=b,
        )
        for order, text in enumerate(QUESTIONS):
            questions.append(
                DiscussionQuestion.objects.create(session=session, text=text, order=order)
            )
    rows = []
    for n in range(points):
        question = questions[n % len(questions)]
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."
        rows.append(
            Point(
                key=uuid.uuid4(),
                question=question,
                session_id=question.session_id,
                text=text,
                weight=rng.choice((1, 1, 1, 2, 3)),
                verbatim=rng.random() < 0.1,
                theme=rng.choice(themes) if rng.random() < 0.7 else None,
                # The report shows approved points only: as after the team's moderation.
                moderation=ModerationState.APPROVED,
                created_at=start + dt.timedelta(hours=1, seconds=n),
            )
        )
    Point.objects.bulk_create(rows, batch_size=1000)
    people = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                first_name="Bench",
                email=f"bench{i}@example.org",
                email_normalised=f"bench{i}@example.org",
                area_id=rng.choice(area_ids),
            )
            for i in range(300)
        ]
    )
    Registration.objects.bulk_create(
        [
            Registration(meeting=meeting, stakeholder=person, status="confirmed", attended_at=start)
            for person in people
        ]
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"meeting_id": meeting.pk, "slug": meeting.slug}


def _timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run. The CPU time is this process's own work,
    which a machine shared with other jobs does not inflate the way it does the wall clock."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def _peak_kib(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] // 1024
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = arg_parser("Summary report of a meeting with 5,000 points in 12 breakouts")
    parser.add_argument("--points", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args()
    points = args.points or (500 if args.quick else 5_000)
    repeat = args.repeat or (3 if args.quick else 7)
    with bench_database("engage_bench_report") as url:
        setup_django(url)
        from django.test import Client
        from django.urls import reverse

        from feedback import selectors, services
        from feedback.documents import document_docx, document_from_data, document_pdf

        target = seed(points)
        meeting_id, slug = target["meeting_id"], target["slug"]
        report = services.meeting_report_draft_generate(meeting_id=meeting_id, actor=None)
        services.meeting_report_update(
            report_id=report.pk,
            title="What we heard",
            body="More than 300 people joined the meeting.",
            draft=report.draft,
            actor=None,
        )
        services.meeting_report_publish(report_id=report.pk, actor=None)
        version = selectors.meeting_report_version_published(meeting_id=meeting_id)
        document = document_from_data(version.document)
        client = Client(HTTP_HOST="127.0.0.1")
        page_url = reverse("feedback:meeting_record", kwargs={"slug": slug})
        csv_url = reverse("feedback:meeting_report_points", kwargs={"slug": slug})

        def page():
            response = client.get(page_url)
            assert response.status_code == 200, response.status_code

        def file_download(kind):
            url = reverse("feedback:meeting_report_file", kwargs={"slug": slug, "kind": kind})

            def get():
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            return get

        def csv_download():
            response = client.get(csv_url)
            assert sum(len(chunk) for chunk in response.streaming_content) > 0

        def draft():
            services.meeting_report_draft_generate(meeting_id=meeting_id, actor=None)

        scenarios = {
            "draft": draft,
            "page": page,
            "pdf": lambda: document_pdf(document),
            "docx": lambda: document_docx(document),
            "pdf download": file_download("pdf"),
            "docx download": file_download("docx"),
            "csv": csv_download,
        }
        for fn in scenarios.values():  # warm templates, fonts, the ORM
            fn()
        pdf_bytes = document_pdf(document)
        pdf_pages = len(pikepdf.open(io.BytesIO(pdf_bytes)).pages)
        rows, results = [], {}
        for name, fn in scenarios.items():
            times, cpu = _timed(fn, repeat)
            median_ms = round(statistics.median(times), 1)
            target_ms = TARGETS_MS.get(name)
            ok = target_ms is None or median_ms <= target_ms
            results[name] = {
                "median_ms": median_ms,
                "min_ms": round(min(times), 1),
                "max_ms": round(max(times), 1),
                "cpu_median_ms": round(statistics.median(cpu), 1),
                "target_ms": target_ms,
                "pass": ok,
            }
        for name, fn in scenarios.items():
            results[name]["peak_traced_kib"] = _peak_kib(fn)
            rows.append(
                {
                    "scenario": name,
                    "median_ms": results[name]["median_ms"],
                    "max_ms": results[name]["max_ms"],
                    "cpu_median_ms": results[name]["cpu_median_ms"],
                    "target_ms": results[name]["target_ms"] or "",
                    "peak_kib": results[name]["peak_traced_kib"],
                    "ok": results[name]["pass"],
                }
            )
        sizes = {
            "points": points,
            "breakouts": 12,
            "questions": len(QUESTIONS),
            "pdf_bytes": len(pdf_bytes),
            "pdf_pages": pdf_pages,
            "docx_bytes": len(document_docx(document)),
            "draft_chars": len(report.draft),
        }
        load_average = os.getloadavg()
        max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        from django.db import connections

        connections.close_all()
    print_table(rows)
    print(f"sizes: {sizes}; process peak RSS {max_rss_kib // 1024} MiB; load {load_average}")
    path = write_results(
        "report",
        {
            "quick": args.quick,
            "repeat": repeat,
            **sizes,
            "process_max_rss_kib": max_rss_kib,
            "load_average": load_average,
            "scenarios": results,
        },
    )
    print(f"results: {path}")
    return 0 if args.quick or all(r["pass"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
