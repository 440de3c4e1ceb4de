"""Celery task of remembered choices: thin, calls one service (safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="tms_gateway.shoppers.tasks.remembered_choices_forget_expired")
def remembered_choices_forget_expired() -> int:
    return services.remembered_choices_forget_expired()
