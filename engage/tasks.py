"""Celery entry points of the engage app (autodiscovered)."""

from engage.mail.tasks import email_send_task

__all__ = ["email_send_task"]
