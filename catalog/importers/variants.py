"""The MovieLens data sets the importer knows: which layout each uses and how to check its archive."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Layout(Enum):
    #: ml-100k: u.item / u.genre / u.user / u.data, pipe and tab separated, latin-1.
    ML100K = "100k"
    #: ml-1m: movies.dat / users.dat / ratings.dat, "::" separated, latin-1.
    ML1M = "1m"
    #: ml-10m: movies.dat / ratings.dat / tags.dat, "::" separated, half stars, no users file; the archive
    #: unpacks to ml-10M100K/.
    ML10M = "10m"
    #: ml-latest-small, ml-latest, ml-20m, ml-25m, ml-32m: CSV with a header, UTF-8, plus tags.csv and links.csv.
    CSV = "csv"


#: ml-1m and ml-10m both have movies.dat and ratings.dat: each is known by the file only it has.
_MARKERS = {Layout.ML100K: "u.data", Layout.ML1M: "users.dat", Layout.ML10M: "tags.dat", Layout.CSV: "ratings.csv"}


@dataclass(frozen=True)
class Variant:
    name: str
    layout: Layout
    #: MD5 of the official archive, for the releases that never change. ml-latest* are re-issued from time to
    #: time, so for them only the .md5 file GroupLens publishes next to the archive is trusted.
    pinned_md5: str | None = None

    @property
    def archive_name(self) -> str:
        return f"{self.name}.zip"

    @property
    def marker_file(self) -> str:
        """A file every copy of this variant has; finding it tells us where the data set lies."""
        markers = {
            Layout.ML100K: "u.data",
            Layout.ML1M: "users.dat",
            Layout.ML10M: "tags.dat",
            Layout.CSV: "ratings.csv",
        }
        return markers[self.layout]


VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant("ml-100k", Layout.ML100K, pinned_md5="0e33842e24a9c977be4e0107933c0723"),
        Variant("ml-1m", Layout.ML1M, pinned_md5="c4d9eecfca2ab87c1945afe126590906"),
        # These three are checked against the .md5 GroupLens publishes beside each archive (no pinned copy here).
        Variant("ml-10m", Layout.ML10M),
        Variant("ml-20m", Layout.CSV),
        Variant("ml-latest-small", Layout.CSV),
        Variant("ml-latest", Layout.CSV),
        Variant("ml-25m", Layout.CSV, pinned_md5="6b51fb2759a8657d3bfcbfc42b592ada"),
        Variant("ml-32m", Layout.CSV),
    )
}
