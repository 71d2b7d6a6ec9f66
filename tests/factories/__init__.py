"""Factories for tests and benchmarks. One module per app; import from here."""

from tests.factories.engage import *  # noqa: F403
from tests.factories.events import *  # noqa: F403
from tests.factories.feedback import *  # noqa: F403
