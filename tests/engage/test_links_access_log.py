"""The gunicorn access log writes link paths without their tokens."""

import datetime as dt
import json
import logging
import uuid

from django.urls import reverse
from gunicorn.config import Config

from config.access_log import TOKEN, AccessLogger, scrub_path, scrub_query
from engage import links
from tests.factories import StakeholderFactory


class _Response:
    status = "200 OK"
    sent = 512
    headers = ()


def _log_line(path: str, query: str = "") -> dict:
    import importlib

    settings = importlib.import_module("config.gunicorn")
    cfg = Config()
    cfg.set("access_log_format", settings.access_log_format)
    cfg.set("accesslog", "-")
    logger = AccessLogger(cfg)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.access_log.handlers = [handler]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + ("?" + query if query else ""),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_REFERER": "https://engage.example/preferences/abc:def:ghi/",
    }
    logger.access(_Response(), [], environ, dt.timedelta(milliseconds=12))
    return json.loads(records[0].getMessage())


def test_gunicorn_uses_the_scrubbing_logger():
    import importlib

    assert importlib.import_module("config.gunicorn").logger_class == (
        "config.access_log.AccessLogger"
    )


def test_a_signed_link_path_is_logged_without_its_token(db):
    token = links.link_token(stakeholder=StakeholderFactory(), purpose=links.PREFERENCES)
    path = reverse("engage:preferences", kwargs={"token": token})

    line = _log_line(path)

    assert token not in json.dumps(line)
    assert line["path"] == f"/preferences/{TOKEN}/"
    assert (line["method"], line["status"]) == ("GET", 200)


def test_registration_and_account_key_paths_lose_their_tokens():
    registration = str(uuid.uuid4())

    assert scrub_path(f"/registrations/{registration}/cancel/") == (
        f"/registrations/{TOKEN}/cancel/"
    )
    assert scrub_path("/accounts/password/reset/key/3-abc123-def456/") == (
        f"/accounts/password/reset/key/{TOKEN}/"
    )
    assert scrub_path("/join/confirm/eyJ0:1vQ:abc/") == f"/join/confirm/{TOKEN}/"
    assert scrub_path("/unsubscribe/short/") == f"/unsubscribe/{TOKEN}/"


def test_ordinary_paths_are_logged_as_they_are():
    assert scrub_path("/meetings/town-hall/register/") == "/meetings/town-hall/register/"
    assert scrub_path("/staff/meetings/12/report/") == "/staff/meetings/12/report/"


def test_query_values_are_dropped_but_names_kept():
    assert scrub_query("t=eyJrIjoi:abc&invitation=1234") == f"t={TOKEN}&invitation={TOKEN}"


def test_a_quote_in_a_path_keeps_the_line_json():
    line = _log_line('/meetings/a"b/')

    assert line["path"] == '/meetings/a"b/'
