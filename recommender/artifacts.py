"""Model versions on disk and in memory: atomic save, verified load, and the per-process cache of active models.

A version's artifact is a folder holding one sub-folder per algorithm, written by
the algorithm's own ``save``. Its SHA-256 is stored on the ModelVersion, so a torn
or tampered copy is refused at load. Where it lives depends on the deployment:

- **One host** (the default): the folder is ``MODEL_DIR/<family>/v<number>/``. It
  appears under that name only when complete (written in a temporary folder,
  fsynced, then renamed), and every process loads it from there.
- **Several hosts**: ``STORAGES["artifacts"]`` names a Django storage (an
  S3-compatible bucket through django-storages, see docs/deploy.md). The worker
  uploads the files under ``<family>/v<number>-<checksum>/``, and records the
  version only once every file is there. Each host keeps its own copy in
  ``MODEL_DIR/cache/<checksum>/``: a host that has not seen a version downloads it
  once, checks it, and renames it into place, then maps it from local disk like
  the one-host layout. Hosts share nothing but the database, Redis and the store.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

from recommender.algorithms import algorithm_class
from recommender.algorithms.base import Recommender
from recommender.algorithms.folding import name_folds
from recommender.families import FAMILIES
from recommender.models import ModelVersion

logger = logging.getLogger(__name__)

#: How often a process asks the database which version is active (web processes notice a new one within 5 s).
CHECK_INTERVAL_SECONDS = 2.0
_CHUNK = 1 << 20


class ArtifactError(RuntimeError):
    """An artifact is missing, incomplete or does not match its recorded checksum."""


def model_dir() -> Path:
    return Path(settings.MODEL_DIR)


def artifact_store() -> Storage | None:
    """The shared store of a several-host deployment (``STORAGES["artifacts"]``); None on one host."""
    return storages["artifacts"] if "artifacts" in settings.STORAGES else None


def _cached(checksum: str) -> Path:
    return model_dir() / "cache" / checksum


# -- files -----------------------------------------------------------------------------------------------------------


def artifact_checksum(directory: Path) -> str:
    """SHA-256 over every file under ``directory``: relative path and content, in sorted path order."""
    digest = hashlib.sha256()
    files = sorted(path for path in directory.rglob("*") if path.is_file())
    if not files:
        raise ArtifactError(f"{directory} holds no files")
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _fsync_tree(directory: Path) -> None:
    # Files first, then each folder, so that after the rename a crash cannot leave a name pointing at lost data.
    for path in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        _fsync(path)
    _fsync(directory)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def artifact_save(*, version: ModelVersion, models: dict[str, Recommender]) -> Path:
    """Write ``models`` as ``version``'s artifact and record its path and checksum on the version.

    1. Each model saves into its own sub-folder of a temporary folder inside MODEL_DIR
       (the same file system, so the rename below is atomic).
    2. Every file and folder is fsynced, then the checksum is taken.
    3. The folder is renamed to ``<family>/v<pk>`` and the parent fsynced.
    4. ``artifact_path`` and ``checksum`` are saved on the version.
    A failure at any step removes the temporary folder and leaves nothing under the final name.
    """
    if not models:
        raise ValueError("artifact_save needs at least one model")
    root = model_dir()
    final = root / version.family / f"v{version.number}"
    temporary = root / f".tmp-{version.family}-v{version.number}-{uuid.uuid4().hex[:8]}"
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        for name, model in models.items():
            model.save(temporary / name)
        _fsync_tree(temporary)
        checksum = artifact_checksum(temporary)
        if (store := artifact_store()) is not None:
            return _upload(version, temporary, checksum, store)
        if final.exists():
            raise ArtifactError(f"{final} already exists; {version.label} was saved before")
        os.rename(temporary, final)
        _fsync(final.parent)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    version.artifact_path = final.relative_to(root).as_posix()
    version.checksum = checksum
    version.save(update_fields=["artifact_path", "checksum"])
    return final


def _upload(version: ModelVersion, folder: Path, checksum: str, store: Storage) -> Path:
    """Copy ``folder`` into the shared store, record it on the version, and keep it as this host's cached copy."""
    prefix = f"{version.family}/v{version.number}-{checksum[:16]}"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = f"{prefix}/{path.relative_to(folder).as_posix()}"
        with path.open("rb") as handle:
            stored = store.save(name, File(handle))
        if stored != name:  # a store that renames instead of overwriting: a half upload of this version before
            store.delete(stored)
            raise ArtifactError(f"{version.label}: {name} is already in the artifact store")
    cached = _cached(checksum)
    cached.parent.mkdir(parents=True, exist_ok=True)
    if cached.exists():  # the same bytes were cached before (a retrain that learned nothing new)
        shutil.rmtree(folder)
    else:
        os.rename(folder, cached)
    version.artifact_path, version.checksum = prefix, checksum
    version.save(update_fields=["artifact_path", "checksum"])
    return cached


def _download(version: ModelVersion, store: Storage) -> Path:
    """This host's copy of ``version`` from the shared store: fetched once, checked, then renamed into place."""
    cached = _cached(version.checksum)
    if cached.is_dir():
        return cached
    temporary = model_dir() / f".tmp-download-{uuid.uuid4().hex[:8]}"
    try:
        names = _store_files(store, version.artifact_path)
        if not names:
            raise ArtifactError(f"{version.label}: nothing at {version.artifact_path} in the artifact store")
        for name in names:
            target = temporary / name.removeprefix(version.artifact_path + "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            with store.open(name, "rb") as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, _CHUNK)
        _fsync_tree(temporary)
        cached.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(temporary, cached)
        except OSError:  # another process on this host renamed its download first; theirs is the same bytes
            if not cached.is_dir():
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return cached


def _store_files(store: Storage, prefix: str) -> list[str]:
    folders, files = store.listdir(prefix)
    found = [f"{prefix}/{name}" for name in files]
    for folder in folders:
        found += _store_files(store, f"{prefix}/{folder}")
    return sorted(found)


def artifact_load(version: ModelVersion) -> dict[str, Recommender]:
    """The models of ``version``, by algorithm name, after checking the files against the recorded checksum."""
    if not version.artifact_path or not version.checksum:
        raise ArtifactError(f"{version.label} has no saved artifact")
    store = artifact_store()
    directory = model_dir() / version.artifact_path if store is None else _download(version, store)
    if not directory.is_dir():
        raise ArtifactError(f"{version.label}: artifact folder {directory} is missing")
    actual = artifact_checksum(directory)
    if actual != version.checksum:
        if store is not None:  # a damaged cached copy: the next load fetches the store's again
            shutil.rmtree(directory, ignore_errors=True)
        raise ArtifactError(
            f"{version.label}: checksum mismatch in {directory} "
            f"(recorded {version.checksum[:12]}…, found {actual[:12]}…); refusing to load"
        )
    models = {name: algorithm_class(name).load(directory / name) for name in version.algorithms}
    for name, model in models.items():
        name_folds(model, f"{version.checksum[:32]}/{name}")
    return models


def artifact_delete(version: ModelVersion) -> None:
    """Remove ``version``'s files (used when pruning retired versions); a missing folder is fine.

    With a shared store, its files there and this host's cached copy go; other hosts' cached copies are
    theirs to prune (``artifacts_cache_prune``).
    """
    if not version.artifact_path:
        return
    store = artifact_store()
    if store is None:
        shutil.rmtree(model_dir() / version.artifact_path, ignore_errors=True)
        return
    for name in _store_files(store, version.artifact_path):
        store.delete(name)
    if version.checksum:
        shutil.rmtree(_cached(version.checksum), ignore_errors=True)


def artifacts_cache_prune(*, keep: set[str]) -> int:
    """Remove this host's cached copies whose checksum is not in ``keep``; how many went."""
    folder = model_dir() / "cache"
    stale = [path for path in folder.iterdir() if path.is_dir() and path.name not in keep] if folder.is_dir() else []
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)


# -- the per-process cache -------------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """What one process serves for one family."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    version_id: int | None = None
    #: That version's number within the family (what people call it: "v3").
    number: int | None = None
    models: dict[str, Recommender] = field(default_factory=dict)
    checked_at: float = float("-inf")
    #: The active version that failed to load here; not retried until another version becomes active.
    refused_id: int | None = None


_slots: dict[str, _Slot] = {family: _Slot() for family in FAMILIES}


#: Set in web processes by ``serve_in_background``: a thread keeps the slots fresh and requests only read them.
_refresher: threading.Thread | None = None
_stopping = threading.Event()


def active_models(family: str) -> dict[str, Recommender]:
    """The loaded models of ``family``'s active version, by algorithm name; {} when none is active or loadable.

    1. At most every CHECK_INTERVAL_SECONDS, ask the database for the active version's id.
    2. A new id is loaded once (checksum verified) and replaces what this process serves.
    3. If loading fails, the error is logged with the version id and the previous
       in-memory version keeps serving; the broken version is not retried.
    4. No active version at all (all retired or rolled back to nothing): serve nothing.

    In a web process (``serve_in_background`` was called) steps 1 to 3 run in the refresher thread, and this
    only reads what is loaded: a request never waits for a load, and until the first load has finished the
    family serves nothing (the rows fall back to popularity). Elsewhere (commands, the worker, tests) the
    caller does them, and the first call waits for the load.
    """
    if family not in _slots:
        raise KeyError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    slot = _slots[family]
    if _refresher is not None or time.monotonic() - slot.checked_at < CHECK_INTERVAL_SECONDS:
        return slot.models
    # One thread per process refreshes; the others keep serving what is loaded instead of queueing behind a load.
    if not slot.lock.acquire(blocking=slot.version_id is None):
        return slot.models
    try:
        if time.monotonic() - slot.checked_at >= CHECK_INTERVAL_SECONDS:
            _slot_refresh(family, slot)
        return slot.models
    finally:
        slot.lock.release()


def serve_in_background() -> threading.Thread:
    """Start this process's refresher (wsgi.py does, once): load every active version now, then every
    CHECK_INTERVAL_SECONDS load whatever became active, while the previous version keeps serving."""
    global _refresher
    if _refresher is None:
        _stopping.clear()
        _refresher = threading.Thread(target=_refresh_forever, name="model-refresher", daemon=True)
        _refresher.start()
    return _refresher


def stop_background() -> None:
    """End the refresher (tests; a process that exits needs nothing: the thread is a daemon)."""
    global _refresher
    if _refresher is not None:
        _stopping.set()
        _refresher.join(30)
        _refresher = None


def refresh_all() -> None:
    """One pass of the refresher: each family's active version, loaded if it is new here."""
    from django.db import close_old_connections

    for family, slot in _slots.items():
        try:
            with slot.lock:
                _slot_refresh(family, slot)
        except Exception:  # a database outage: keep serving what is loaded, and try again next pass
            logger.exception("Could not look up the active %s version; still serving what is loaded", family)
    close_old_connections()


def _refresh_forever() -> None:
    from django.db import connection

    started = time.monotonic()
    refresh_all()
    loaded = [f"{family} v{slot.number}" for family, slot in _slots.items() if slot.version_id]
    logger.info("Models loaded in %.1f s: %s", time.monotonic() - started, ", ".join(loaded) or "none active yet")
    while not _stopping.wait(CHECK_INTERVAL_SECONDS):
        refresh_all()
    connection.close()


def _slot_refresh(family: str, slot: _Slot) -> None:
    version = ModelVersion.objects.filter(family=family, status=ModelVersion.Status.ACTIVE).first()
    slot.checked_at = time.monotonic()
    if version is None:
        slot.version_id, slot.number, slot.models = None, None, {}
        return
    if version.pk in (slot.version_id, slot.refused_id):
        return
    try:
        models = artifact_load(version)
    except Exception:
        slot.refused_id = version.pk
        logger.exception(
            "Could not load %s; still serving %s",
            version.label,
            f"{family} v{slot.number}" if slot.version_id else "nothing from this family",
        )
        return
    slot.version_id, slot.number, slot.models, slot.refused_id = version.pk, version.number, models, None
    logger.info("Serving %s (%s)", version.label, ", ".join(models))
    if artifact_store() is not None:  # a new version here: drop this host's copies of versions pruned from the store
        stored = ModelVersion.objects.exclude(artifact_path="").values_list("checksum", flat=True)
        artifacts_cache_prune(keep=set(stored))


def active_version_id(family: str) -> int | None:
    """The id of the version this process serves for ``family`` (after ``active_models`` loaded it)."""
    return _slots[family].version_id


def cache_clear() -> None:
    """Forget every loaded model in this process (tests, and after a MODEL_DIR change)."""
    for family in FAMILIES:
        _slots[family] = _Slot()
