"""Title normalization shared by the importer, the admin and search (no Django imports)."""

from __future__ import annotations

import re
import unicodedata

_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})(?:\s*[-–]\s*\d{0,4})?\)\s*$")
# MovieLens moves a leading article to the end: "Matrix, The" and "Dinner Game, The (Dîner de cons, Le)".
_TRAILING_ARTICLE = re.compile(
    r"^(?P<body>.+?), (?P<article>The|A|An|Les|Le|La|L'|Il|Das|Der|Die|El|Los|Las|Lo|Un|Une|I|Det|Den)"
    r"(?P<rest>\s*\(.*\))?$"
)
_LEADING_ARTICLE = re.compile(r"^(the|a|an|les|le|la|l'|il|das|der|die|el|los|las|un|une)\s+", re.I)


def split_title(raw: str) -> tuple[str, int | None]:
    """``"Matrix, The (1999)"`` -> ``("The Matrix", 1999)``; a title without a year keeps ``None``."""
    raw = " ".join(raw.split())
    year = None
    match = _YEAR_SUFFIX.search(raw)
    if match:
        year = int(match.group(1))
        raw = raw[: match.start()]
    return restore_article(raw.strip()), year


def restore_article(title: str) -> str:
    match = _TRAILING_ARTICLE.match(title)
    if not match:
        return title
    article = match.group("article")
    separator = "" if article.endswith("'") else " "
    return f"{article}{separator}{match.group('body')}{match.group('rest') or ''}"


def sort_title(title: str) -> str:
    """Lower-case, accent-free, leading article dropped: the key lists sort by."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    folded = _LEADING_ARTICLE.sub("", folded.strip())
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())
