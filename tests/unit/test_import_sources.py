"""Finding a data set on disk or in a zip, checksums, and downloads that cannot happen. No network is used."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from django.core.management import CommandError, call_command

from catalog.importers import VARIANTS, ChecksumMismatch, SourceUnavailable, sources
from tests.movielens_samples import write_ml10m, write_ml100k, zip_folder

ML100K = VARIANTS["ml-100k"]
#: Nothing listens on the discard port, so a connection there fails at once without leaving the machine.
UNREACHABLE = "http://127.0.0.1:9/datasets/movielens/"


def _open(tmp_path, **kwargs):
    defaults = {"variant": ML100K, "path": None, "download": False, "default_root": tmp_path / "default"}
    return sources.dataset_directory(**{**defaults, **kwargs})


def test_a_folder_its_parent_or_a_zip_all_lead_to_the_files(tmp_path):
    folder = write_ml100k(tmp_path / "data" / "ml-100k")
    archive = zip_folder(folder, tmp_path / "ml-100k.zip", inner="ml-100k")

    with _open(tmp_path, path=folder) as found:
        assert found == folder
    with _open(tmp_path, path=folder.parent) as found:
        assert found == folder
    with _open(tmp_path, path=archive) as found:
        assert (found / "u.data").read_bytes() == (folder / "u.data").read_bytes()
        unpacked = found
    assert not unpacked.exists(), "the temporary folder is removed afterwards"


def test_without_a_path_the_default_root_is_searched(tmp_path):
    folder = write_ml100k(tmp_path / "default" / "ml-100k")

    with _open(tmp_path) as found:
        assert found == folder


def test_a_zip_in_the_default_root_is_used_too(tmp_path):
    folder = write_ml100k(tmp_path / "loose")
    (tmp_path / "default").mkdir()
    zip_folder(folder, tmp_path / "default" / "ml-100k.zip", inner="ml-100k")

    with _open(tmp_path) as found:
        assert (found / "u.item").exists()


def test_nothing_found_says_how_to_point_at_the_data(tmp_path):
    with pytest.raises(SourceUnavailable, match="--path") as raised, _open(tmp_path):
        pass
    assert str(tmp_path / "default" / "ml-100k") in str(raised.value)


def test_a_folder_without_the_data_set_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceUnavailable, match=r"No u\.data found"), _open(tmp_path, path=tmp_path / "empty"):
        pass


def test_a_broken_zip_is_refused(tmp_path):
    archive = tmp_path / "ml-100k.zip"
    archive.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceUnavailable), _open(tmp_path, path=archive):
        pass


def test_the_published_md5_file_is_read_in_both_spellings():
    digest = "0e33842e24a9c977be4e0107933c0723"
    assert sources.published_md5_parse(f"MD5 (ml-100k.zip) = {digest}\n") == digest
    assert sources.published_md5_parse(f"{digest.upper()}  ml-100k.zip\n") == digest
    with pytest.raises(ChecksumMismatch):
        sources.published_md5_parse("<html>Not found</html>")


def test_checksum_verification_against_a_local_file(tmp_path):
    archive = tmp_path / "ml-100k.zip"
    archive.write_bytes(b"pretend archive")
    right = hashlib.md5(b"pretend archive", usedforsecurity=False).hexdigest()
    wrong = "0" * 32

    assert sources.checksum_verify(archive=archive, published_md5=right, pinned_md5=None) == right
    assert sources.checksum_verify(archive=archive, published_md5=right, pinned_md5=right) == right
    with pytest.raises(ChecksumMismatch, match="corrupt"):
        sources.checksum_verify(archive=archive, published_md5=wrong, pinned_md5=None)
    with pytest.raises(ChecksumMismatch, match="pins"):
        sources.checksum_verify(archive=archive, published_md5=right, pinned_md5=wrong)
    with pytest.raises(ChecksumMismatch):
        sources.checksum_verify(archive=archive, published_md5=None, pinned_md5=None)


def test_the_stable_releases_have_pinned_checksums():
    assert VARIANTS["ml-100k"].pinned_md5 == "0e33842e24a9c977be4e0107933c0723"
    assert VARIANTS["ml-1m"].pinned_md5
    assert VARIANTS["ml-latest"].pinned_md5 is None, "ml-latest is re-issued, only the published .md5 can tell"


def test_a_download_is_verified_then_unpacked(tmp_path):
    """The network is replaced by local files: the same bytes urlopen would deliver."""
    served = tmp_path / "served"
    served.mkdir()
    archive = zip_folder(write_ml100k(tmp_path / "src"), served / "ml-100k.zip", inner="ml-100k")
    digest = sources.file_md5(archive)
    (served / "ml-100k.zip.md5").write_text(f"MD5 (ml-100k.zip) = {digest}\n")
    unpinned = dataclasses.replace(ML100K, pinned_md5=None)  # the real pin cannot match a home-made zip
    received = []

    with _open(
        tmp_path, variant=unpinned, download=True, base_url=served.as_uri(), on_download=lambda n, _: received.append(n)
    ) as found:
        assert (found / "u.data").exists()
    assert received[-1] == archive.stat().st_size


@pytest.mark.parametrize("name", ["ml-10m", "ml-20m", "ml-32m"])
def test_every_release_downloads_from_grouplens_by_its_archive_name_and_checks_the_published_md5(tmp_path, name):
    # Given GroupLens' layout: <name>.zip and <name>.zip.md5 side by side (ml-10m's zip holds ml-10M100K/)
    served = tmp_path / "served"
    served.mkdir()
    variant = VARIANTS[name]
    if name == "ml-10m":
        archive = zip_folder(write_ml10m(tmp_path / "src") / "ml-10M100K", served / "ml-10m.zip", inner="ml-10M100K")
    else:
        from tests.movielens_samples import write_csv

        archive = zip_folder(write_csv(tmp_path / "src"), served / f"{name}.zip", inner=name)
    (served / f"{name}.zip.md5").write_text(f"{sources.file_md5(archive)}  {name}.zip\n")

    with _open(tmp_path, variant=variant, download=True, base_url=served.as_uri()) as found:
        assert (found / variant.marker_file).is_file()
    assert variant.archive_name == f"{name}.zip" and variant.pinned_md5 is None

    # And a tampered archive is refused
    (served / f"{name}.zip.md5").write_text(f"{'0' * 32}  {name}.zip\n")
    with (
        pytest.raises(ChecksumMismatch),
        _open(tmp_path / "again", variant=variant, download=True, base_url=served.as_uri()),
    ):
        pass


def test_a_download_with_the_wrong_checksum_is_refused(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    zip_folder(write_ml100k(tmp_path / "src"), served / "ml-100k.zip", inner="ml-100k")
    (served / "ml-100k.zip.md5").write_text("MD5 (ml-100k.zip) = 0e33842e24a9c977be4e0107933c0723\n")

    with pytest.raises(ChecksumMismatch, match="has MD5"), _open(tmp_path, download=True, base_url=served.as_uri()):
        pass


def test_no_network_gives_a_clear_command_error(db, monkeypatch):
    monkeypatch.setattr(sources, "GROUPLENS_BASE_URL", UNREACHABLE)

    with pytest.raises(CommandError) as raised:
        call_command("import_movielens", "ml-100k", "--download")

    message = str(raised.value)
    assert "Cannot download http://127.0.0.1:9/" in message
    assert "no network access" in message
    assert "--path" in message


def test_path_and_download_together_are_refused(db, tmp_path):
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("import_movielens", "ml-100k", "--download", "--path", str(tmp_path))


def test_an_unknown_variant_is_refused(db):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_movielens", "ml-5b")
