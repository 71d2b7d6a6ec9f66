"""Breakout capture in a real browser: offline queue in IndexedDB, reload while offline, sending
when the connection returns, retries after server faults; axe-core at 360 px on the new pages."""

import time

import pytest
from django.urls import reverse

from feedback.models import Point, PointRevision
from tests.browser.conftest import PHONE, check_page
from tests.factories import DiscussionQuestionFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, *, seconds: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)  # polling the database with a deadline, not a fixed wait
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def question(facilitator):
    q = DiscussionQuestionFactory(text="If the Met were to stop doing something, what?")
    q.session.facilitators.add(facilitator)
    return q


def _add_point(page, question, text):
    box = page.locator(f"#q{question.pk}-text")
    box.fill(text)
    box.press("Enter")


def _capture_url(live_server, question):
    return live_server.url + reverse("feedback:capture", args=[question.session_id])


def test_points_added_and_edited_offline_reach_the_server_once(
    live_server, browser, login, facilitator, question
):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    page = context.new_page()
    login(page, facilitator)
    page.goto(_capture_url(live_server, question))
    page.wait_for_selector("#capture[data-offline-ready='true']")
    check_page(page)

    context.set_offline(True)
    _add_point(page, question, "Stop and search without reason")
    _add_point(page, question, "Stop <b>ignoring</b> young people")
    _add_point(page, question, "Stop moving officers away")
    page.wait_for_selector("#capture[data-pending='3']")
    assert "not sent yet" in page.locator("#capture-status").inner_text()

    item = page.locator(".capture-point", has_text="moving officers")
    item.locator(".capture-edit").click()
    page.locator(f"#q{question.pk}-text").fill("Stop moving local officers away")
    page.locator(f"#q{question.pk}-weight").select_option("3")
    page.locator(f"#q{question.pk}-text").press("Enter")
    # The list is drawn again only once the edit is stored in the queue; reload after that.
    page.wait_for_selector(".capture-point:has-text('Stop moving local officers away')")

    page.reload()
    page.wait_for_selector("#capture[data-ready='true']")
    # Still queued after the reload, shown as not sent, HTML shown as text.
    assert page.locator(".capture-pending").count() == 3
    assert page.locator(".capture-point", has_text="Stop <b>ignoring</b> young people").count() == 1
    # Not asserted: that the server has no point yet. Chromium's offline emulation once let a
    # retry in flight across the reload through (seen in CI); the page never saw its answer, so
    # the point stayed queued, and the key made the resend below return it instead of a second.

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#capture[data-pending='0']", timeout=20000)
    assert "Every point has reached the server" in page.locator("#capture-status").inner_text()

    texts = sorted(Point.objects.values_list("text", "weight"))
    assert texts == [
        ("Stop <b>ignoring</b> young people", 1),
        ("Stop and search without reason", 1),
        ("Stop moving local officers away", 3),
    ]
    assert PointRevision.objects.filter(action="edited").count() == 1
    context.close()


def test_points_survive_server_faults_and_timeouts_and_are_saved_once(
    live_server, browser, login, facilitator, question
):
    # Service workers blocked so that page.route sees every request the page makes.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, locale="en-GB", service_workers="block"
    )
    page = context.new_page()
    login(page, facilitator)
    attempts = {"n": 0}

    def flaky(route):
        attempts["n"] += 1
        if attempts["n"] == 1:
            route.fulfill(status=500, body="boom")
        elif attempts["n"] == 2:
            # The server saves it but the answer never arrives: the browser must resend the key.
            response = route.fetch()
            assert response.status == 201
            route.abort("timedout")
        else:
            route.continue_()

    page.route("**/points/add/", flaky)
    page.goto(_capture_url(live_server, question))
    page.wait_for_selector("#capture[data-ready='true']")
    _add_point(page, question, "Continue the weapons sweeps")

    page.wait_for_selector("#capture[data-pending='0']", timeout=30000)
    assert attempts["n"] >= 3
    assert list(Point.objects.values_list("text", flat=True)) == ["Continue the weapons sweeps"]
    context.close()


def test_a_too_long_point_stays_in_the_queue_with_its_error(
    live_server, browser, login, facilitator, question
):
    context = browser.new_context(viewport=PHONE, locale="en-GB", service_workers="block")
    page = context.new_page()
    login(page, facilitator)
    page.goto(_capture_url(live_server, question))
    page.wait_for_selector("#capture[data-ready='true']")
    # An item already in the queue past the page's own check (say, queued by an older version
    # of the page): the server's refusal is shown beside it and the item is kept.
    page.evaluate(
        """([session, q]) => new Promise((resolve, reject) => {
            const req = indexedDB.open("engage-capture", 1);
            req.onsuccess = () => {
              const tx = req.result.transaction("ops", "readwrite");
              tx.objectStore("ops").put({session: String(session), kind: "add",
                key: crypto.randomUUID(), question: q, error: "", at: new Date().toISOString(),
                payload: {question: q, text: "x".repeat(2001), verbatim: false, weight: 1,
                          theme: "", created: new Date().toISOString()}});
              tx.oncomplete = () => resolve(true);
              tx.onerror = () => reject(tx.error);
            };
        })""",
        [question.session_id, question.pk],
    )
    page.reload()
    page.wait_for_selector("#capture[data-errors='1']")
    assert "at most 2000" in page.locator(".capture-point__error").inner_text()
    page.reload()
    page.wait_for_selector("#capture[data-errors='1']")
    assert not Point.objects.exists()
    context.close()


def test_report_back_refreshes_and_passes_axe_on_a_phone(
    live_server, phone, login, facilitator, question
):
    from feedback import services

    SessionFactory(meeting=question.session.meeting, title="Room B")
    login(phone, facilitator)
    phone.goto(
        live_server.url + reverse("feedback:report_back", args=[question.session.meeting_id])
    )
    check_page(phone)
    import uuid

    services.point_capture(
        key=uuid.uuid4(), question_id=question.pk, author=facilitator, text="Arrived later"
    )
    phone.wait_for_selector("text=Arrived later", timeout=15000)
    check_page(phone)


def test_staff_question_and_capture_pages_pass_axe_on_a_phone(
    live_server, phone, login, engagement_team, question
):
    login(phone, engagement_team)
    meeting_id = question.session.meeting_id
    for url in (
        reverse("feedback:staff_meeting_questions", args=[meeting_id]),
        reverse("feedback:staff_question_templates"),
        reverse("events:staff_meeting_detail", args=[meeting_id]),
        reverse("feedback:capture", args=[question.session_id]),
    ):
        phone.goto(live_server.url + url)
        check_page(phone)
    # Keyed in from a flip chart, on the capture page the last visit left open.
    phone.wait_for_selector("#capture[data-ready='true']")
    phone.locator(f"#q{question.pk}-source").select_option("flip_chart")
    phone.locator(f"#q{question.pk}-text").fill("Written on the flip chart")
    phone.locator(f"#q{question.pk}-text").press("Enter")
    phone.wait_for_selector(".capture-point >> text=From a flip chart")
    _wait_for(lambda: Point.objects.filter(source="flip_chart").exists(), what="the point")
