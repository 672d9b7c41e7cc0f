"""recommender.artifacts: atomic artifacts with checksums, and the per-process cache of active models."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from django.db import IntegrityError, transaction

from recommender import artifacts
from recommender.algorithms import build
from recommender.algorithms.interactions import History, Interactions
from recommender.checks import model_dir_readable, model_dir_writable_problem
from recommender.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    settings.MODEL_DIR = tmp_path / "models"
    artifacts.cache_clear()
    yield settings.MODEL_DIR
    artifacts.cache_clear()


def fitted_popularity(favourite: int) -> dict:
    """A popularity model whose most rated item is ``favourite`` (items 1..5)."""
    items = [favourite] * 5 + [1, 2, 3, 4, 5]
    data = Interactions.from_ids(np.arange(len(items)), items, np.full(len(items), 4.0), catalog=np.arange(1, 6))
    return {"popularity": build("popularity").fit(data)}


def saved_version(favourite: int, *, status: str = ModelVersion.Status.READY) -> ModelVersion:
    version = ModelVersion.objects.create(family="collaborative", algorithms=["popularity"], status=status)
    artifacts.artifact_save(version=version, models=fitted_popularity(favourite))
    return version


def top_item(models: dict) -> int:
    return models["popularity"].recommend(History.empty(), n=1)[0][0]


def activate(version: ModelVersion) -> None:
    ModelVersion.objects.filter(family=version.family, status=ModelVersion.Status.ACTIVE).update(
        status=ModelVersion.Status.RETIRED
    )
    ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.ACTIVE)


def expire_cache(monkeypatch) -> None:
    monkeypatch.setattr(artifacts, "CHECK_INTERVAL_SECONDS", 0.0)


def test_save_then_load_round_trips_and_records_path_and_checksum(model_dir):
    version = saved_version(favourite=3)

    version.refresh_from_db()
    loaded = artifacts.artifact_load(version)

    assert (model_dir / version.artifact_path / "popularity").is_dir()
    assert len(version.checksum) == 64
    assert top_item(loaded) == 3


def test_save_leaves_no_temporary_folder_behind(model_dir):
    saved_version(favourite=2)

    assert [path.name for path in model_dir.iterdir()] == ["collaborative"]


def test_a_failed_save_leaves_nothing_under_the_final_name(model_dir):
    # given a model that breaks half-way through writing its files
    version = ModelVersion.objects.create(family="collaborative", algorithms=["popularity"])
    broken = fitted_popularity(1)["popularity"]

    def explode(directory):
        (directory / "partial.bin").write_bytes(b"half")
        raise OSError("disk full")

    broken.save_state = explode

    # when saving
    with pytest.raises(OSError, match="disk full"):
        artifacts.artifact_save(version=version, models={"popularity": broken})

    # then neither the final folder nor a temporary one exists, and the version records no artifact
    assert not any(model_dir.rglob("partial.bin"))
    assert not (model_dir / "collaborative" / f"v{version.number}").exists()
    version.refresh_from_db()
    assert version.artifact_path == "" and version.checksum == ""


def test_checksum_changes_when_any_byte_changes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"\x00\x01\x02")
    before = artifacts.artifact_checksum(tmp_path)

    (tmp_path / "a" / "x.bin").write_bytes(b"\x00\x01\x03")

    assert artifacts.artifact_checksum(tmp_path) != before


def test_corrupted_artifact_is_refused_with_a_clear_error(model_dir):
    version = saved_version(favourite=4)
    arrays = next((model_dir / version.artifact_path).rglob("*.npy"))
    arrays.write_bytes(arrays.read_bytes()[:-7] + b"garbage")

    with pytest.raises(artifacts.ArtifactError, match=rf"collaborative v{version.number}: checksum mismatch"):
        artifacts.artifact_load(version)


def test_active_models_is_empty_when_nothing_is_active():
    saved_version(favourite=1)  # ready, never activated

    assert artifacts.active_models("collaborative") == {}


def test_active_models_loads_once_then_serves_from_memory(django_assert_num_queries):
    activate(saved_version(favourite=2))

    first = artifacts.active_models("collaborative")
    with django_assert_num_queries(0):
        again = artifacts.active_models("collaborative")

    assert again is first and top_item(first) == 2


def test_active_models_notices_a_newly_activated_version(monkeypatch):
    activate(saved_version(favourite=2))
    assert top_item(artifacts.active_models("collaborative")) == 2

    expire_cache(monkeypatch)
    newer = saved_version(favourite=5)
    activate(newer)

    assert top_item(artifacts.active_models("collaborative")) == 5
    assert artifacts.active_version_id("collaborative") == newer.pk


def test_a_corrupted_new_version_is_logged_and_the_previous_one_keeps_serving(monkeypatch, model_dir, caplog):
    # given version A serving in this process
    previous = saved_version(favourite=2)
    activate(previous)
    artifacts.active_models("collaborative")

    # when B is activated but its files were damaged on disk
    expire_cache(monkeypatch)
    broken = saved_version(favourite=5)
    next((model_dir / broken.artifact_path).rglob("*.npy")).write_bytes(b"not numpy")
    activate(broken)
    with caplog.at_level(logging.ERROR, logger="recommender.artifacts"):
        served = artifacts.active_models("collaborative")

    # then A still serves and the error names B
    assert top_item(served) == 2
    assert artifacts.active_version_id("collaborative") == previous.pk
    assert f"collaborative v{broken.number}" in caplog.text


def test_a_process_with_nothing_loaded_serves_nothing_when_the_active_version_is_corrupted(model_dir, caplog):
    broken = saved_version(favourite=5)
    next((model_dir / broken.artifact_path).rglob("*.npy")).write_bytes(b"not numpy")
    activate(broken)

    with caplog.at_level(logging.ERROR, logger="recommender.artifacts"):
        assert artifacts.active_models("collaborative") == {}
    assert "checksum mismatch" in caplog.text


def test_versions_are_numbered_within_their_family_and_saved_under_that_number(model_dir):
    first, second = saved_version(favourite=1), saved_version(favourite=2)
    other = ModelVersion.objects.create(family="content", algorithms=["content"])

    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert str(second) == "collaborative v2 (ready)" and other.label == "content v1"
    assert second.artifact_path == "collaborative/v2"


def test_two_versions_of_one_family_cannot_share_a_number():
    saved_version(favourite=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(family="collaborative", number=1)


@pytest.fixture
def web_process(monkeypatch):
    """This process as a web process: active_models only reads, and a refresher thread loads."""
    monkeypatch.setattr(artifacts, "_refresher", threading.current_thread())


@pytest.mark.django_db(transaction=True)
def test_in_a_web_process_a_request_never_waits_for_a_load(web_process, monkeypatch, django_assert_num_queries):
    # Given a web process serving version A, and a load of the newly activated B that takes a while
    activate(saved_version(favourite=2))
    artifacts.refresh_all()
    newer = saved_version(favourite=5)
    activate(newer)
    loading, release = threading.Event(), threading.Event()
    load = artifacts.artifact_load

    def slow_load(version):
        loading.set()
        assert release.wait(10)
        return load(version)

    monkeypatch.setattr(artifacts, "artifact_load", slow_load)
    refresher = threading.Thread(target=artifacts.refresh_all)
    refresher.start()
    assert loading.wait(10)

    # When a request asks while B loads, then it gets A at once, with no query and no wait
    with django_assert_num_queries(0):
        assert top_item(artifacts.active_models("collaborative")) == 2

    # And once the load has finished, B serves
    release.set()
    refresher.join(10)
    assert top_item(artifacts.active_models("collaborative")) == 5
    assert artifacts.active_version_id("collaborative") == newer.pk


@pytest.mark.django_db(transaction=True)
def test_a_web_process_with_nothing_loaded_yet_serves_nothing_instead_of_waiting(web_process):
    activate(saved_version(favourite=2))

    assert artifacts.active_models("collaborative") == {}  # the rows fall back to popularity

    artifacts.refresh_all()
    assert top_item(artifacts.active_models("collaborative")) == 2


@pytest.mark.django_db(transaction=True)
def test_the_refresher_loads_the_active_models_as_the_process_starts(monkeypatch, request):
    # Given an active version, when a web process starts its refresher (wsgi.py does)
    activate(saved_version(favourite=3))
    monkeypatch.setattr(artifacts, "_refresher", None)
    thread = artifacts.serve_in_background()
    request.addfinalizer(artifacts.stop_background)

    # Then the models are loaded without any request asking, and a second call starts no second thread
    deadline = time.monotonic() + 20
    while not artifacts.active_models("collaborative") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert top_item(artifacts.active_models("collaborative")) == 3
    assert artifacts.serve_in_background() is thread and thread.is_alive()

    # And it keeps checking: a newly activated version is loaded with no request asking either
    newer = saved_version(favourite=5)
    activate(newer)
    deadline = time.monotonic() + 20
    while artifacts.active_version_id("collaborative") != newer.pk and time.monotonic() < deadline:
        time.sleep(0.05)
    assert top_item(artifacts.active_models("collaborative")) == 5


def test_unknown_family_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown family 'romance'"):
        artifacts.active_models("romance")


def test_the_database_allows_one_active_version_per_family():
    ModelVersion.objects.create(family="collaborative", status=ModelVersion.Status.ACTIVE)
    ModelVersion.objects.create(family="content", status=ModelVersion.Status.ACTIVE)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(family="collaborative", status=ModelVersion.Status.ACTIVE)


def test_a_read_only_model_store_passes_the_start_up_check_but_not_the_workers(settings):
    # Given a model store this process may read but not write, as a web process's read-only mount; /proc is
    # read-only even for root, whom file modes do not stop
    store = Path("/proc/self")
    if not store.is_dir():
        pytest.skip("needs Linux's /proc for a folder no process can write")
    settings.MODEL_DIR = store

    # Then the web's start-up check (so migrate too) passes, and the worker's check names the folder
    assert model_dir_readable() == []
    assert str(store) in model_dir_writable_problem()


def test_an_unusable_model_store_fails_both_checks_naming_it(settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings.MODEL_DIR = blocker / "models"

    assert [warning.id for warning in model_dir_readable()] == ["recommender.W001"]
    assert str(settings.MODEL_DIR) in model_dir_writable_problem()


def test_a_worker_refuses_to_start_without_a_writable_model_store(settings, tmp_path):
    from movierec.celery import _model_store_writable

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings.MODEL_DIR = blocker / "models"

    with pytest.raises(SystemExit, match="not writable"):
        _model_store_writable()


def test_system_check_passes_for_a_writable_model_dir(model_dir):
    # A worker's check creates the folder; the web's then finds it readable
    assert model_dir_writable_problem() is None
    assert model_dir_readable() == []


# -- a shared store, several hosts -----------------------------------------------------------------------------------


@pytest.fixture
def store(settings, tmp_path) -> Path:
    """An artifact store outside every host's MODEL_DIR, reached only through Django's storage API."""
    location = tmp_path / "store"
    backend = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}}
    settings.STORAGES = {**settings.STORAGES, "artifacts": backend}
    return location


def as_host(settings, name: str, tmp_path: Path) -> Path:
    """Become another host: its own MODEL_DIR (the local cache) and nothing loaded."""
    settings.MODEL_DIR = tmp_path / name
    artifacts.cache_clear()
    return settings.MODEL_DIR


def test_a_version_saved_on_one_host_loads_on_another_through_the_store_only(settings, store, tmp_path):
    # given a worker host that trains and saves a version
    worker = as_host(settings, "worker", tmp_path)
    version = saved_version(favourite=4)
    version.refresh_from_db()

    # then the files are in the store under a name holding the checksum, and cached on the worker
    assert version.artifact_path.startswith(f"collaborative/v{version.number}-{version.checksum[:16]}")
    assert (store / version.artifact_path / "popularity" / "meta.json").is_file()
    assert artifacts.artifact_checksum(worker / "cache" / version.checksum) == version.checksum

    # when a web host with an empty cache loads it
    web = as_host(settings, "web", tmp_path)
    models = artifacts.artifact_load(version)

    # then it fetched its own copy once, checked it, and serves the same model
    assert top_item(models) == 4
    assert artifacts.artifact_checksum(web / "cache" / version.checksum) == version.checksum
    assert not any(path.name.startswith(".tmp") for path in web.iterdir())


def test_a_damaged_cached_copy_is_refused_then_fetched_again(settings, store, tmp_path):
    as_host(settings, "worker", tmp_path)
    version = saved_version(favourite=2)
    web = as_host(settings, "web", tmp_path)
    artifacts.artifact_load(version)
    victim = next((web / "cache" / version.checksum).rglob("*.npy"))
    victim.write_bytes(victim.read_bytes()[:-4] + b"oops")

    with pytest.raises(artifacts.ArtifactError, match="checksum mismatch"):
        artifacts.artifact_load(version)
    assert top_item(artifacts.artifact_load(version)) == 2  # the store's copy, fetched afresh


def test_deleting_a_version_removes_it_from_the_store_and_the_cache_and_hosts_prune_theirs(settings, store, tmp_path):
    as_host(settings, "worker", tmp_path)
    old, kept = saved_version(favourite=1), saved_version(favourite=5)
    web = as_host(settings, "web", tmp_path)
    artifacts.artifact_load(old)
    artifacts.artifact_load(kept)

    artifacts.artifact_delete(old)  # as the worker's prune does

    # (the storage API deletes files; a file-system store may keep the emptied folders, an S3 one has none)
    assert not [path for path in (store / old.artifact_path).rglob("*") if path.is_file()]
    assert (store / kept.artifact_path / "popularity" / "meta.json").is_file()
    assert artifacts.artifacts_cache_prune(keep={kept.checksum}) == 0  # deleted here already
    as_host(settings, "worker", tmp_path)
    assert artifacts.artifacts_cache_prune(keep={kept.checksum}) == 1  # the worker's own copy of the old one
    assert sorted(path.name for path in (web / "cache").iterdir()) == [kept.checksum]


def test_a_store_missing_the_files_is_a_clear_error(settings, store, tmp_path):
    as_host(settings, "worker", tmp_path)
    version = saved_version(favourite=3)
    for path in sorted((store / version.artifact_path).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    as_host(settings, "web", tmp_path)

    with pytest.raises(artifacts.ArtifactError, match="nothing at"):
        artifacts.artifact_load(version)
