"""Celery tasks of the analytics: thin, each calls one service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def insights_drain() -> int:
    return services.insights_drain()


@shared_task(ignore_result=True)
def insights_rollup() -> int:
    return services.insights_rollup_recent()


@shared_task(ignore_result=True)
def insights_forget() -> int:
    return services.insights_forget()
