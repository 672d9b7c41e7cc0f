#!/usr/bin/env bash
# Load test of GET /api/v1/me/recommendations/ under gunicorn (2 sync workers) with wrk.
#
#   scripts/bench/api.sh            set up a scratch database (once), then measure
#   SKIP_SETUP=1 scripts/bench/api.sh   measure only
#
# Setup: a scratch PostgreSQL database (DATABASE_URL), migrate, import MovieLens 100k, train every family.
# Runs of CONNECTIONS connections for DURATION each (RUNS picks some, by name):
#   me       GET /api/v1/me/: the API stack alone (token lookup, DRF, JSON);
#   one      recommendations for one person asking again and again (kept by each worker);
#   first    recommendations for PEOPLE different people in turn, their kept Top picks deleted from Redis first
#            (recommender.shared_picks): each person's first request after a change computes them;
#   again    the same people once more, each asked once first so that all are kept: their Top picks are read from
#            Redis or the worker's memory, as after the training worker's warm-up (manage.py warm_folds) or a visit
#            with nothing changed since.
# Whether their folds are kept (manage.py warm_folds) is up to the database's state: the script leaves them be.
# Prints wrk's summary plus p50/p95/p99 and the machine's load average before each run.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
export DEBUG=${DEBUG:-0}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/movierec_apibench}
export MODEL_DIR=${MODEL_DIR:-/tmp/movierec-apibench/models}
export MOVIELENS_DIR=${MOVIELENS_DIR:-$(pwd)/../shared/datasets}
# The load comes from a few tokens: a per-person throttle would be measured instead of the API.
export API_THROTTLE_USER=${API_THROTTLE_USER:-10000000/minute}
# Plain HTTP on localhost: production's redirect to HTTPS would answer every request with a 301.
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-false} SECURE_COOKIES=${SECURE_COOKIES:-false}
export LOG_LEVEL=${LOG_LEVEL:-WARNING}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
# Two sync workers on two cores: one math thread each, or torch and BLAS threads fight over the cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
PORT=${PORT:-8001}
CONNECTIONS=${CONNECTIONS:-20}
DURATION=${DURATION:-30s}
PEOPLE=${PEOPLE:-600}
RUNS=${RUNS:-me,one,first,again}
LIMIT=${LIMIT:-20}
WORK=$(dirname "$MODEL_DIR")
mkdir -p "$WORK" "$MODEL_DIR"

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  if [[ $DATABASE_URL == postgres* ]]; then
    name=${DATABASE_URL##*/}
    psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1 \
      || psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE $name"
  fi
  $PY manage.py migrate --verbosity 0
  $PY manage.py import_movielens ml-100k --path "$MOVIELENS_DIR/ml-100k"
  $PY manage.py train --sync --missing
fi

# One token per person, for the first PEOPLE imported MovieLens users (ml_1, ml_2, ...).
$PY manage.py shell --no-imports -c "
from django.contrib.auth import get_user_model
from movierec.accounts.services import token_issue
people = get_user_model().objects.filter(username__startswith='ml_').order_by('id')[:$PEOPLE]
print('\n'.join(token_issue(user=person)[1] for person in people))
" | grep -E '^[0-9a-f]{40,}$' > "$WORK/tokens.txt"

cat > "$WORK/report.lua" <<'LUA'
-- Each connection takes tokens from tokens.txt in turn (ONE_PERSON=1: always the first). wrk's threads each start
-- at their own share of the list, so two threads do not ask for the same people at the same moment.
local tokens, n = {}, 0
for line in io.lines(os.getenv("TOKENS")) do n = n + 1; tokens[n] = line end
local i = 0
local threads = 0
setup = function(thread)
  thread:set("share", threads)
  threads = threads + 1
end
init = function(args)
  i = (share or 0) * math.floor(n / 2)
end
request = function()
  if os.getenv("ONE_PERSON") ~= "1" then i = i % n + 1 else i = 1 end
  return wrk.format("GET", nil, { ["Authorization"] = "Token " .. tokens[i] })
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors(status) %d, rps %.1f\n", summary.requests, summary.errors.status,
    summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({ 50, 95, 99 }) do io.write(string.format("p%d %.1f ms\n", p, latency:percentile(p) / 1000)) end
end
LUA

.venv/bin/gunicorn movierec.wsgi -w 2 -b "127.0.0.1:$PORT" --log-level warning &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done

me="http://127.0.0.1:$PORT/api/v1/me/"
url="http://127.0.0.1:$PORT/api/v1/me/recommendations/?limit=$LIMIT"
first=$(head -1 "$WORK/tokens.txt")
curl -sf --max-time 120 -H "Authorization: Token $first" "$url" -o "$WORK/sample.json"
head -c 300 "$WORK/sample.json"; echo
# Warm up: both workers load the models and the catalog (seconds each) before the clock starts.
for _ in $(seq 12); do curl -sf -o /dev/null --max-time 120 -H "Authorization: Token $first" "$url"; done

run() {  # label, wrk options..., url
  local label=$1; shift
  echo "== $label, $CONNECTIONS connections, $DURATION (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  TOKENS="$WORK/tokens.txt" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/report.lua" "$@"
}
wants() { [[ ",$RUNS," == *",$1,"* ]]; }
if wants me; then ONE_PERSON=1 run "GET /api/v1/me/ (API stack alone)" "$me"; fi
if wants one; then ONE_PERSON=1 run "recommendations, one person" "$url"; fi
if wants first; then
  if [ -n "${REDIS_URL:-}" ]; then
    redis-cli -u "$REDIS_URL" --scan --pattern '*:picks[0-9]*:*' | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null
  fi
  ONE_PERSON=0 run "recommendations, $PEOPLE people in turn, first visits (Top picks computed)" "$url"
fi
if wants again; then
  # Everyone's Top picks kept first, as a visit (or the training worker's warm-up) leaves them: a first-visits run
  # that did not reach every person (at 25M it does not, in 15 s) would leave this run computing some.
  while read -r token; do
    curl -sf -o /dev/null --max-time 120 -H "Authorization: Token $token" "$url"
  done < "$WORK/tokens.txt"
  ONE_PERSON=0 run "recommendations, $PEOPLE people in turn, again (Top picks kept)" "$url"
fi
