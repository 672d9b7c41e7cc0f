"""MovieLens import: locate the files (sources), parse them (readers), clean them (preprocess), write them (loader).

Only ``loader`` and ``bulk`` touch the ORM; the rest is plain Python that tests can drive with small files.
"""

from __future__ import annotations

from catalog.importers.errors import ChecksumMismatch, ImportFailed, MalformedFile, SourceUnavailable
from catalog.importers.variants import VARIANTS, Variant

__all__ = ["VARIANTS", "ChecksumMismatch", "ImportFailed", "MalformedFile", "SourceUnavailable", "Variant"]
