#!/usr/bin/env bash
# `make demo`: a working site on http://127.0.0.1:8000 with MovieLens 100k, from zero setup.
# Re-running is quick: migrations and the import are idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export DEBUG=${DEBUG:-true}
export DJANGO_SETTINGS_MODULE=movierec.settings

$PY manage.py migrate --no-input -v0
$PY manage.py demo_setup
# The first start trains every family here, so the site opens with personal rows; later runs skip this.
$PY manage.py train --sync --missing

# A Celery worker with beat beside the web server retrains after new ratings. It uses Redis when REDIS_URL
# answers, else the embedded broker under var/broker. It is stopped when this script exits (Ctrl-C included).
LOG=${VAR_DIR:-var}/worker.log
mkdir -p "$(dirname "$LOG")"
$PY -m celery -A movierec worker -Q default,training --beat --concurrency 1 --loglevel INFO >"$LOG" 2>&1 &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null || true' EXIT
echo "Celery worker and beat started (pid $WORKER_PID, log in $LOG)"

echo "Starting the site on http://127.0.0.1:8000 (Ctrl-C stops it)"
$PY manage.py runserver 127.0.0.1:8000
