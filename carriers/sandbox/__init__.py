"""The carrier sandbox: a local HTTP server that speaks the five carriers' APIs.

Each carrier's routes live in ``carriers/sandbox/<slug>.py`` under the path prefix ``/<slug>``
(an agreement's base URL is ``http://host:port/<slug>``); ``server.py`` dispatches and injects
faults; ``/_sandbox/*`` is the control API (faults, booking counts, reset).
"""
