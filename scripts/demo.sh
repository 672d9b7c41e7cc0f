#!/usr/bin/env bash
# `make demo`: a working site on http://127.0.0.1:8000 with MovieLens 100k, from zero setup.
# Re-running is quick: migrations and the import are idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export DEBUG=${DEBUG:-true}
export DJANGO_SETTINGS_MODULE=movierec.settings
# A development .env, so the README's everyday commands work in any later shell too. An existing one is kept.
if [ ! -f .env ]; then
  printf '# Written by make demo for development: never use these values in production (see .env.example).\nDEBUG=true\nSECRET_KEY=%s\n' \
    "$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
  echo "Wrote a development .env (DEBUG on, a random SECRET_KEY)"
fi

$PY manage.py migrate --no-input -v0
$PY manage.py demo_setup
# The first start trains the quick families here (about half a minute on ml-100k) so the site opens with
# personal rows (Up next's transitions among them); the blend behind Top picks, the stars and Fans like you take
# minutes and are queued for the worker below (until the blend is active, Top picks are the popular movies).
# Later starts skip both.
$PY manage.py train --sync --missing --family collaborative --family content --family sequence

# A Celery worker with beat beside the web server retrains after new ratings. It uses Redis when REDIS_URL
# is set, else the embedded broker under var/broker. It is stopped when this script exits (Ctrl-C included).
LOG=${VAR_DIR:-var}/worker.log
mkdir -p "$(dirname "$LOG")"
$PY -m celery -A movierec worker -Q default,training --beat --concurrency 1 --loglevel INFO >"$LOG" 2>&1 &
WORKER_PID=$!
stop_worker() {
  kill -TERM "$WORKER_PID" 2>/dev/null || return 0
  # A warm shutdown waits for a running fit, which can take minutes: give it a few seconds, then stop it
  # cold. The interrupted run is retried by the sweep once its heartbeat is stale.
  for _ in $(seq 10); do kill -0 "$WORKER_PID" 2>/dev/null || return 0; sleep 1; done
  kill -QUIT "$WORKER_PID" 2>/dev/null || true
  for _ in $(seq 5); do kill -0 "$WORKER_PID" 2>/dev/null || return 0; sleep 1; done
  # Last resort: its pool children first (they would be orphans), then the worker itself.
  pkill -KILL -P "$WORKER_PID" 2>/dev/null || true
  kill -KILL "$WORKER_PID" 2>/dev/null || true
  wait "$WORKER_PID" 2>/dev/null || true
}
trap stop_worker EXIT
echo "Celery worker and beat started (pid $WORKER_PID, log in $LOG)"
$PY manage.py train --missing --family blend --family stars --family ncf \
  || echo "Top picks, the stars and NCF will train after the first ratings."

# "Ready" is said once the site answers, not when the server is merely started.
$PY manage.py runserver --noreload 127.0.0.1:8000 &
SERVER_PID=$!
trap 'kill -TERM "$SERVER_PID" 2>/dev/null || true; stop_worker' EXIT
# The server runs in the background (so "ready" can wait for it), where a script's jobs ignore Ctrl-C: the
# script itself takes the interrupt, and its EXIT trap stops the server and the worker.
trap 'exit 130' INT TERM
if $PY -m movierec.wait_for http://127.0.0.1:8000/healthz --timeout 120; then
  echo "Demo ready on http://127.0.0.1:8000: log in as demo / movierec-demo, or admin / movierec-admin. Ctrl-C stops it."
fi
wait "$SERVER_PID"
