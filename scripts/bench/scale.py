"""``make bench-scale SIZE=1m|10m|25m|ci``: the whole path at a real catalog size, on PostgreSQL.

    .venv/bin/python -m scripts.bench.scale --size 1m [--steps generate,import,export,train,warm,serve,admin]
        [--neural] [--workdir /tmp/movierec-scale] [--database-url postgres://postgres@127.0.0.1:5432/...]

1. ``generate``: a synthetic MovieLens shaped like the size (``manage.py generate_movielens``); the real
   25M archive cannot be fetched here, and a site with a network imports it with ``--download``.
2. ``import``: ``manage.py import_movielens ml-latest`` into a freshly created database.
3. ``export``: ``recommender.data.snapshot_from_db``, as a worker's first export: every rating read, and the
   snapshot saved that each retrain after it brings up to date with the ratings changed since.
4. ``train``: ``manage.py train --sync``, a retrain from that snapshot, for collaborative + content (the cheap
   families), then Up next's transitions, the blend and the star predictor, then with ``--neural`` (always
   at ``ci``) each neural family on its own.
5. ``warm``: ``manage.py warm_folds``, what the training worker does after an activation: the most
   recently active people folded into every active model and their Top picks computed, both kept in Redis.
6. ``serve``: a fresh process loads every active model, then times the API for the recent raters (a third
   folded in at request time, a third ranked afresh from their kept folds, a third read from their kept Top
   picks) and the home page with every row; its
   resident and proportional set sizes are read from ``/proc/self/smaps_rollup``.
7. ``admin``: the admin movie changelist and a title search, as staff, through Django's full request path.

Every step runs as its own process, so its wall time and peak resident memory
(``wait4``'s ``ru_maxrss``) are its own; PostgreSQL's server memory is not in them. ``ci`` is the ml-1m
shape at a reduced size with the fast hyper-parameters, so that CI walks every step on every change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from movierec.lib.net import tcp_reachable
from scripts.bench import ROOT

#: Generator arguments per size: a real release's shape, or (ci) the ml-1m shape at a fiftieth.
SIZES: dict[str, list[str]] = {
    "ci": ["--shape", "ml-1m", "--users", "400", "--movies", "600", "--ratings", "20000"],
    "1m": ["--shape", "ml-1m"],
    "10m": ["--shape", "ml-10m"],
    "25m": ["--shape", "ml-25m"],
}
#: The issue's targets per step: seconds, and peak memory in MB (None: no target for that figure).
TARGETS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "1m": {
        "import": (30, None),
        "export": (3, None),
        "train collaborative+content": (60, None),
        "train ncf": (180, None),
        "train sequence": (180, None),
    },
    "25m": {
        "import": (600, 3072),
        "export": (60, 2048),
        "train collaborative+content": (600, 12288),
        "train ncf": (1200, None),
        "train sequence": (1200, None),
        "serve": (None, 1536),
    },
}
#: A step whose own work starts after Django's start-up prints "RESULT " OWN_SECONDS "<seconds> s ...": its
#: target is judged on that figure (a running worker pays no start-up), and the wall time is printed beside it.
OWN_SECONDS = "in the step itself: "
STEPS = ("generate", "import", "export", "train", "warm", "serve", "admin")
NEURAL = ("ncf",)
CHEAP = ("collaborative", "content")
#: Trained on every run, each as a step of its own: Up next's item transitions take seconds.
QUICK = ("sequence",)
STACKED = ("blend", "stars")


@dataclass
class Figure:
    step: str
    seconds: float
    peak_mb: float
    detail: str = ""
    #: The step's own seconds, without the process's start-up, where it reports them (OWN_SECONDS).
    own_seconds: float | None = None

    def line(self, size: str) -> str:
        target_s, target_mb = TARGETS.get(size, {}).get(self.step, (None, None))
        verdict = []
        if target_s is not None:
            judged = self.seconds if self.own_seconds is None else self.own_seconds
            verdict.append(f"{'met' if judged <= target_s else 'MISSED'} ≤ {target_s:.0f} s")
        if target_mb is not None:
            verdict.append(f"{'met' if self.peak_mb <= target_mb else 'MISSED'} ≤ {target_mb:.0f} MB")
        note = f"  [{', '.join(verdict)}]" if verdict else ""
        detail = f"  {self.detail}" if self.detail else ""
        return f"{self.step:<24} {self.seconds:>9.1f} s {self.peak_mb:>9.0f} MB{note}{detail}"


def timed(step: str, command: list[str], *, env: dict[str, str]) -> Figure:
    """Run ``command`` as a child; its wall time and peak RSS. A failure stops the benchmark with its output."""
    print(f"$ {shlex.join(command)}", flush=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    output = []
    for line in child.stdout:
        output.append(line)
        if len(output) <= 3 or line.startswith(("RESULT", "Imported", "Folded", "Kept", "collaborative", "content")):
            print("  " + line.rstrip(), flush=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.stdout.write("".join(output[-40:]))
        raise SystemExit(f"{step} failed with exit status {child.returncode}")
    if any(line.startswith("Trained nothing") for line in output):  # e.g. a claim left by an interrupted run
        sys.stdout.write("".join(output[-10:]))
        raise SystemExit(f"{step} trained nothing: its figure would measure no work")
    # The steps' own figures, and warm_folds' summary lines.
    results = [
        line.removeprefix("RESULT ").strip() for line in output if line.startswith(("RESULT ", "Folded ", "Kept "))
    ]
    own = [float(line.removeprefix(OWN_SECONDS).split()[0]) for line in results if line.startswith(OWN_SECONDS)]
    return Figure(step, seconds, usage.ru_maxrss / 1024, "; ".join(results), own[0] if own else None)


def _database(url: str) -> None:
    """Drop and create the benchmark's database, so the import is a first import into empty tables."""
    base, name = url.rsplit("/", 1)
    admin = f"{base}/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True)


def main(argv: list[str] | None = None) -> int:
    """Run the steps asked for; the figures are printed and written to ``<workdir>/scale.json``."""
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="1m")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"Comma-separated, of {', '.join(STEPS)}.")
    parser.add_argument("--neural", action="store_true", help="Also train each neural family (CPU: long).")
    parser.add_argument(
        "--cheap-only", action="store_true", help="Train collaborative + content only, not the blend and the stars."
    )
    parser.add_argument("--workdir", type=Path, default=None, help="Default /tmp/movierec-scale-<size>.")
    parser.add_argument("--database-url", default=None, help="Default a movierec_scale_<size> database.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"--steps: unknown {', '.join(unknown)}")

    workdir = args.workdir or Path(f"/tmp/movierec-scale-{args.size}")
    data = workdir / "data"
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/movierec_scale_{args.size}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MODEL_DIR": str(workdir / "models"),
        "VAR_DIR": str(workdir / "var"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-scale"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # The in-process requests go to localhost over plain HTTP.
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "RECOMMENDER_FAST": "1" if args.size == "ci" else os.environ.get("RECOMMENDER_FAST", "0"),
    }
    env.pop("REDIS_URL", None)  # the training runs here, in the foreground; nothing is enqueued
    manage = [sys.executable, "manage.py"]
    figures: list[Figure] = []
    started = time.perf_counter()

    if "generate" in steps:
        figures.append(
            timed(
                "generate",
                [*manage, "generate_movielens", str(data), *SIZES[args.size], "--seed", str(args.seed)],
                env=env,
            )
        )
    if "import" in steps:
        _database(url)
        shutil.rmtree(workdir / "models", ignore_errors=True)  # a fresh database numbers versions from 1 again
        subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
        figures.append(
            timed("import", [*manage, "import_movielens", "ml-latest", "--path", str(data), "--quiet"], env=env)
        )
    if "export" in steps:
        figures.append(timed("export", [sys.executable, "-m", "scripts.bench.scale_steps", "export"], env=env))
    if "train" in steps:
        families = [arg for family in CHEAP for arg in ("--family", family)]
        figures.append(timed("train collaborative+content", [*manage, "train", "--sync", *families], env=env))
        # The blend and the star predictor stack the others' scores, so they train after them.
        rest = () if args.cheap_only else (*QUICK, *STACKED)
        for family in (*rest, *(NEURAL if args.neural or args.size == "ci" else ())):
            figures.append(timed(f"train {family}", [*manage, "train", "--sync", "--family", family], env=env))
    if {"serve", "admin"} & set(steps):  # production settings serve hashed static files: collect them once
        subprocess.run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    # Serving as in production: impressions and folds in Redis (a database of its own) when Redis is there.
    redis = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    serving = {**env, "REDIS_URL": redis.rsplit("/", 1)[0] + "/5"} if tcp_reachable(redis) else env
    if "warm" in steps:
        # What the training worker does after each activation: fold the recent raters into the new models.
        figures.append(timed("warm", [*manage, "warm_folds"], env=serving))
    if "serve" in steps:
        figures.append(timed("serve", [sys.executable, "-m", "scripts.bench.scale_steps", "serve"], env=serving))
    if "admin" in steps:
        figures.append(timed("admin", [sys.executable, "-m", "scripts.bench.scale_steps", "admin"], env=env))

    print(f"\nScale benchmark, size {args.size} ({' '.join(SIZES[args.size])}, seed {args.seed}), PostgreSQL")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}")
    budget = env.get("TRAINING_TIME_BUDGET_SECONDS", "the default")
    print(f"each neural fit's and Gibbs sampler's time budget: TRAINING_TIME_BUDGET_SECONDS={budget}")
    print("wall time and the step's own peak resident memory (its process; the database server not included)")
    for figure in figures:
        print(figure.line(args.size))
    print(f"whole run {time.perf_counter() - started:.0f} s")
    (workdir / "scale.json").write_text(json.dumps([figure.__dict__ for figure in figures], indent=1))
    return 0


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


if __name__ == "__main__":
    sys.exit(main())
