"""Model versions on disk and in memory: atomic save, verified load, and the per-process cache of active models.

A version's artifact is a folder ``MODEL_DIR/<family>/v<number>/`` holding one
sub-folder per algorithm, written by the algorithm's own ``save``. It appears
under its final name only when complete (written in a temporary folder, fsynced,
then renamed), and its SHA-256 is stored on the ModelVersion so a torn or
tampered copy is refused at load.
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

from recommender.algorithms import algorithm_class
from recommender.algorithms.base import Recommender
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


def artifact_load(version: ModelVersion) -> dict[str, Recommender]:
    """The models of ``version``, by algorithm name, after checking the files against the recorded checksum."""
    if not version.artifact_path or not version.checksum:
        raise ArtifactError(f"{version.label} has no saved artifact")
    directory = model_dir() / version.artifact_path
    if not directory.is_dir():
        raise ArtifactError(f"{version.label}: artifact folder {directory} is missing")
    actual = artifact_checksum(directory)
    if actual != version.checksum:
        raise ArtifactError(
            f"{version.label}: checksum mismatch in {directory} "
            f"(recorded {version.checksum[:12]}…, found {actual[:12]}…); refusing to load"
        )
    return {name: algorithm_class(name).load(directory / name) for name in version.algorithms}


def artifact_delete(version: ModelVersion) -> None:
    """Remove ``version``'s files (used when pruning retired versions); a missing folder is fine."""
    if version.artifact_path:
        shutil.rmtree(model_dir() / version.artifact_path, ignore_errors=True)


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


def active_version_id(family: str) -> int | None:
    """The id of the version this process serves for ``family`` (after ``active_models`` loaded it)."""
    return _slots[family].version_id


def cache_clear() -> None:
    """Forget every loaded model in this process (tests, and after a MODEL_DIR change)."""
    for family in FAMILIES:
        _slots[family] = _Slot()
