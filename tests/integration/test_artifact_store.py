"""Past one machine: a worker and a web process with separate artifact caches, sharing only the store."""

from __future__ import annotations

import numpy as np
import pytest

from recommender import artifacts, training
from recommender.algorithms import algorithm_class
from recommender.algorithms.interactions import History
from recommender.models import ModelVersion

from .support import active_version, seed, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TRAIN_TIMEOUT = 60


def test_a_worker_host_and_a_web_host_share_models_only_through_the_artifact_store(
    start_worker, fast_training, settings, tmp_path
):
    # given a store and two hosts' caches, and a worker that knows only its own cache and the store
    store, worker_cache, web_cache = tmp_path / "store", tmp_path / "worker-host", tmp_path / "web-host"
    backend = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(store)}}
    settings.STORAGES = {**settings.STORAGES, "artifacts": backend}
    settings.MODEL_DIR = web_cache
    artifacts.cache_clear()
    seed()
    worker = start_worker(MODEL_DIR=str(worker_cache), ARTIFACT_STORE=f"file://{store}")

    # when the worker trains the collaborative family
    training.training_request(family="collaborative")
    version: ModelVersion = wait_for(
        lambda: active_version("collaborative"), timeout=TRAIN_TIMEOUT, what="an active version", log=worker.output
    )

    # then the files went to the store and to the worker's cache, and nothing to the web host's yet
    assert (store / version.artifact_path).is_dir()
    assert artifacts.artifact_checksum(worker_cache / "cache" / version.checksum) == version.checksum
    assert not web_cache.exists() or not any(web_cache.rglob("*.npy"))

    # when this process, the web host, serves the family
    served = artifacts.active_models("collaborative")

    # then it fetched its own copy through the store, and each model scores exactly as the worker's copy does
    assert sorted(served) == sorted(version.algorithms)
    assert artifacts.artifact_checksum(web_cache / "cache" / version.checksum) == version.checksum
    someone = History.from_arrays(served["popularity"].item_ids[:3].tolist(), [5.0, 4.0, 1.0], [1.0, 2.0, 3.0])
    for name, model in served.items():
        theirs = algorithm_class(name).load(worker_cache / "cache" / version.checksum / name)
        np.testing.assert_array_equal(model.score(someone), theirs.score(someone))
