"""Feedback models, one module per feature, all importable from `feedback.models`.

- record: the published meeting record (summary report, "you said, we did" responses).
"""

from feedback.models.record import MeetingReport, Publishable, Response, published_q

__all__ = ["MeetingReport", "Publishable", "Response", "published_q"]
