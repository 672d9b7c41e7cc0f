"""Find a MovieLens data set on disk, in a zip, or download the official archive and check it. No Django here."""

from __future__ import annotations

import hashlib
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.importers.errors import ChecksumMismatch, SourceUnavailable
from catalog.importers.variants import Variant

#: Where GroupLens publishes the archives; each ``<variant>.zip`` has a ``<variant>.zip.md5`` beside it.
GROUPLENS_BASE_URL = "https://files.grouplens.org/datasets/movielens/"
DOWNLOAD_TIMEOUT_SECONDS = 30
_CHUNK = 1 << 20
_MD5_PATTERN = re.compile(r"\b([0-9a-fA-F]{32})\b")

#: Called with (bytes received so far, total bytes or None).
DownloadProgress = Callable[[int, int | None], None]


@contextmanager
def dataset_directory(
    *,
    variant: Variant,
    path: Path | None,
    download: bool,
    default_root: Path,
    base_url: str = GROUPLENS_BASE_URL,
    on_download: DownloadProgress | None = None,
) -> Iterator[Path]:
    """Yield the folder holding the variant's files; a zip or a download is unpacked into a temp folder
    that is removed on exit.

    ``path`` may be the data set folder, its parent, or a .zip. Without ``path`` or ``download``, the
    variant is looked up under ``default_root`` (a folder ``<variant>/`` or an archive ``<variant>.zip``).
    """
    if path is not None and download:
        raise SourceUnavailable("Use either --path or --download, not both.")
    if download:
        with tempfile.TemporaryDirectory(prefix=f"movierec-{variant.name}-") as temp:
            archive = archive_download(variant=variant, folder=Path(temp), base_url=base_url, progress=on_download)
            yield _unpacked(variant, archive, Path(temp) / "unpacked")
        return
    if path is None:
        candidates = [default_root / variant.name, default_root / variant.archive_name]
        path = next((candidate for candidate in candidates if candidate.exists()), None)
        if path is None:
            raise SourceUnavailable(
                f"MovieLens {variant.name} was not found at {candidates[0]} (nor {candidates[1].name} beside it). "
                f"Pass --path to a folder or .zip holding it, set MOVIELENS_DIR to the folder that holds "
                f"{variant.name}/, or use --download to fetch it from GroupLens."
            )
    path = Path(path).expanduser()
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix=f"movierec-{variant.name}-") as temp:
            yield _unpacked(variant, path, Path(temp))
        return
    if path.is_dir():
        yield _find_dataset(variant, path)
        return
    if path.exists():
        raise SourceUnavailable(f"{path} is neither a folder nor a .zip archive.")
    raise SourceUnavailable(f"{path} does not exist.")


def _find_dataset(variant: Variant, root: Path) -> Path:
    """The folder holding the marker file: ``root`` itself, ``root/<variant>``, or one level further down."""
    for candidate in (root, root / variant.name, *sorted(p for p in root.iterdir() if p.is_dir())):
        if (candidate / variant.marker_file).is_file():
            return candidate
    raise SourceUnavailable(f"No {variant.marker_file} found in {root}: is this MovieLens {variant.name}?")


def _unpacked(variant: Variant, archive: Path, destination: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as bundle:
            # extractall drops ".." and absolute parts of member names, so an archive cannot write outside.
            bundle.extractall(destination)
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceUnavailable(f"Cannot unpack {archive}: {error}") from None
    return _find_dataset(variant, destination)


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def published_md5_parse(text: str) -> str:
    """The checksum in a GroupLens .md5 file, written either ``MD5 (x.zip) = <hex>`` or ``<hex>  x.zip``."""
    match = _MD5_PATTERN.search(text)
    if not match:
        raise ChecksumMismatch(f"The published checksum file does not contain an MD5 value: {text[:80]!r}")
    return match.group(1).lower()


def checksum_verify(*, archive: Path, published_md5: str | None, pinned_md5: str | None) -> str:
    """Return the archive's MD5 when it matches every expected value given; raise ``ChecksumMismatch`` if not.

    The pinned value guards against a tampered mirror serving a matching .md5; the published one catches a
    truncated or corrupted download of the archives GroupLens re-issues (which cannot be pinned).
    """
    expected = {value.lower() for value in (published_md5, pinned_md5) if value}
    if not expected:
        raise ChecksumMismatch(f"No checksum to verify {archive.name} against.")
    actual = file_md5(archive)
    if published_md5 and pinned_md5 and published_md5.lower() != pinned_md5.lower():
        raise ChecksumMismatch(
            f"GroupLens now publishes MD5 {published_md5} for {archive.name}, but this code pins {pinned_md5}. "
            "The archive changed upstream; check the release notes before updating the pinned value."
        )
    if actual not in expected:
        raise ChecksumMismatch(
            f"{archive.name} has MD5 {actual}, expected {' / '.join(sorted(expected))}: the download is corrupt "
            "or not the official archive. Nothing was imported."
        )
    return actual


def archive_download(
    *, variant: Variant, folder: Path, base_url: str = GROUPLENS_BASE_URL, progress: DownloadProgress | None = None
) -> Path:
    """Download ``<variant>.zip`` and its published .md5 into ``folder`` and verify it; return the archive path."""
    base_url = base_url if base_url.endswith("/") else f"{base_url}/"
    archive_url = f"{base_url}{variant.archive_name}"
    md5_path = _fetch(f"{archive_url}.md5", folder / f"{variant.archive_name}.md5", variant=variant)
    archive = _fetch(archive_url, folder / variant.archive_name, variant=variant, progress=progress)
    checksum_verify(
        archive=archive,
        published_md5=published_md5_parse(md5_path.read_text(encoding="ascii", errors="replace")),
        pinned_md5=variant.pinned_md5,
    )
    return archive


def _fetch(url: str, destination: Path, *, variant: Variant, progress: DownloadProgress | None = None) -> Path:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            received = 0
            with destination.open("wb") as handle:
                while chunk := response.read(_CHUNK):
                    handle.write(chunk)
                    received += len(chunk)
                    if progress:
                        progress(received, total)
    except urllib.error.HTTPError as error:
        raise SourceUnavailable(
            f"Downloading {url} failed: HTTP {error.code} {error.reason}. {_offline_hint(variant)}"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SourceUnavailable(
            f"Cannot download {url}: {reason}. This machine may have no network access. {_offline_hint(variant)}"
        ) from None
    return destination


def _offline_hint(variant: Variant) -> str:
    return (
        f"Download {GROUPLENS_BASE_URL}{variant.archive_name} on a machine that has access, then run "
        f"`manage.py import_movielens {variant.name} --path /path/to/{variant.archive_name}` "
        "(a .zip or its unpacked folder)."
    )
