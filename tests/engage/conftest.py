"""Fixtures of the mail tests: the stand-in SES at the network edge."""

import pytest

from tests.standin_ses import StandInSES


@pytest.fixture
def ses(settings):
    """The mailer is anymail's Amazon SES backend, pointed at a stand-in SES on 127.0.0.1."""
    with StandInSES() as esp:
        settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.AmazonSESBackend"}}
        settings.ENGAGE_MAIL_ESP_ENDPOINT_URL = esp.url
        settings.ANYMAIL = {
            "AMAZON_SES_CLIENT_PARAMS": {
                "aws_access_key_id": "stand-in",
                "aws_secret_access_key": "stand-in",
                "region_name": "eu-west-2",
            }
        }
        settings.ENGAGE_MAIL_RATE_PER_SECOND = 0
        yield esp
