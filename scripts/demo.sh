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
echo "Starting the site on http://127.0.0.1:8000 (Ctrl-C stops it)"
exec $PY manage.py runserver 127.0.0.1:8000
