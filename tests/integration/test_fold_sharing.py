"""Past one process: a person folded into a model by one web process is read by another through Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import redis

from movierec.lib.net import tcp_reachable
from recommender.algorithms import algorithm_class
from recommender.algorithms.folding import fold_store, name_folds
from recommender.algorithms.ncf import NCF
from recommender.foldins import CacheFoldStore
from tests.unit.recommender.margins import fast, holdout_history
from tests.unit.recommender.planted import planted

from .conftest import ROOT, redis_url

pytestmark = pytest.mark.integration

#: A web process with production settings: load the artifact, name it, score one person through the fold store.
OTHER_PROCESS = """
import json, sys
import django
django.setup()
import numpy as np
from recommender.algorithms import algorithm_class
from recommender.algorithms.folding import fold_store, name_folds
from recommender.algorithms.interactions import History
from recommender.foldins import serving_fold_store
directory, key, person, out = sys.argv[1:5]
person = json.loads(person)
model = algorithm_class("ncf_implicit").load(directory)
name_folds(model, key)
with fold_store(serving_fold_store()):
    np.save(out, model.score(History.from_arrays(person["items"], person["ratings"], person["times"])))
"""


@pytest.fixture
def folds_redis(settings):
    if not tcp_reachable(redis_url()):
        pytest.skip(f"needs Redis at {redis_url()}: set REDIS_URL (CI does)")
    client = redis.Redis.from_url(redis_url())
    client.flushdb()
    settings.CACHES = {
        **settings.CACHES,
        "folds": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url(), "KEY_PREFIX": "movierec"},
    }
    yield client
    client.flushdb()
    client.close()


def test_a_second_process_scores_a_person_from_the_fold_the_first_kept_in_redis(folds_redis, tmp_path, monkeypatch):
    # given a neural model's artifact (the costliest fold: gradient steps on the person's embedding)
    data, _, _ = planted(seed=0)
    fast("ncf_implicit", 0).fit(data).save(tmp_path / "model")
    history = holdout_history(data, 3)
    person = {"items": history.item_ids.tolist(), "ratings": history.ratings.tolist(),
              "times": history.timestamps.tolist()}  # fmt: skip

    # when another web process, on production settings and the same Redis, serves the person
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "movierec.settings", "DEBUG": "false",
                   "SECRET_KEY": "integration-test", "REDIS_URL": redis_url(), "MODEL_DIR": str(tmp_path / "var"),
                   "VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    out = tmp_path / "theirs.npy"
    command = [sys.executable, "-c", OTHER_PROCESS, str(tmp_path / "model"), "v1/ncf_implicit", json.dumps(person),
               str(out)]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=environment, check=True, timeout=120)

    # then the fold is in Redis
    assert len(folds_redis.keys("*fold*:v1/ncf_implicit:*")) == 1

    # and this process, which cannot fold, scores the person exactly as that one did, from the kept fold
    def cannot_fold(self, history):
        raise AssertionError("this process folded the person again")

    monkeypatch.setattr(NCF, "_fold", cannot_fold)
    model = algorithm_class("ncf_implicit").load(tmp_path / "model")
    name_folds(model, "v1/ncf_implicit")
    with fold_store(CacheFoldStore()):
        np.testing.assert_array_equal(model.score(history), np.load(out))
