"""``manage.py runserver`` (``make run``) that does not turn away a burst of connections.

Django's development server listens with a backlog of 10: Klarna's calls for one session come
in parallel, and 40 at once had connections reset before the gateway saw them (a confirm lost
like that is never sent again). This is staticfiles' runserver with a listen backlog of
``RUNSERVER_LISTEN_BACKLOG``. The app must come before ``django.contrib.staticfiles`` in
INSTALLED_APPS, as the first app's command of a name wins.
"""

from __future__ import annotations

from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver
from django.core.servers.basehttp import WSGIServer

RUNSERVER_LISTEN_BACKLOG = 1024


class BurstWSGIServer(WSGIServer):
    request_queue_size = RUNSERVER_LISTEN_BACKLOG


class Command(StaticRunserver):
    server_cls = BurstWSGIServer
