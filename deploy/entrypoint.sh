#!/bin/sh
# One image, several processes: docker run IMAGE web|worker|beat|migrate|manage ARGS...|healthcheck
#
#   web          gunicorn with deploy/gunicorn.conf.py (HOST, PORT, WEB_CONCURRENCY, GUNICORN_*)
#   worker       a Celery worker; CELERY_QUEUES (default "celery"), CELERY_CONCURRENCY (default 4)
#   beat         Celery beat, the schedule in CELERY_BEAT_SCHEDULE_FILE; run exactly ONE
#   migrate      manage.py migrate --noinput, then exits (a one-shot before web/worker/beat)
#   manage ...   any manage.py command, e.g. `manage createsuperuser`
#   healthcheck  GET /healthz on this container's web port (the image's HEALTHCHECK)
set -eu

cd /app

cmd="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$cmd" in
  web)
    exec gunicorn --config deploy/gunicorn.conf.py "$@" tms_gateway.wsgi
    ;;
  worker)
    exec celery --app tms_gateway worker \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --queues "${CELERY_QUEUES:-celery}" \
      --concurrency "${CELERY_CONCURRENCY:-4}" \
      --hostname "worker@%h" \
      --without-mingle \
      "$@"
    ;;
  beat)
    exec celery --app tms_gateway beat \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" \
      "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  healthcheck)
    # Host must be one of DJANGO_ALLOWED_HOSTS, or Django answers 400: take the first one.
    exec python - <<'PY'
import os
import sys
import urllib.request

first = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
host = "localhost" if first == "*" else ("healthcheck" + first if first.startswith(".") else first)
request = urllib.request.Request(
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # noqa: BLE001
    print(f"healthcheck failed: {exc}", file=sys.stderr)
    sys.exit(1)
PY
    ;;
  *)
    echo "usage: entrypoint.sh web|worker|beat|migrate|manage ARGS...|healthcheck" >&2
    exit 64
    ;;
esac
