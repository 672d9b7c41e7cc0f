"""Bring a rating history from Letterboxd or IMDb: read the export, match it to the catalog, import it.

- **Letterboxd** ``ratings.csv``: ``Date,Name,Year,Letterboxd URI,Rating``, ratings 0.5 to 5.
- **IMDb** ratings export: ``Const,Your Rating,Date Rated,Title,...,Year,...``, ratings 1 to 10 (halved here).

A row is matched by its IMDb id where the export and the catalog both have one, else by its title and year,
normalised (case, accents, punctuation, a leading or trailing article: "The Matrix" is "Matrix, The").
Nothing is written while reading and matching: the person sees the preview first, and the import then runs
in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.core import signing

from catalog.models import Movie
from ratings.models import SCORES

#: A bigger file is refused before it is read (an IMDb export of 10,000 ratings is about 1 MB).
MAX_BYTES = 5 * 1024 * 1024
LETTERBOXD = ("Date", "Name", "Year", "Letterboxd URI", "Rating")
IMDB_REQUIRED = ("Const", "Your Rating", "Title", "Year")
_ARTICLES = ("the", "a", "an", "le", "la", "les", "l", "el", "il", "der", "die", "das")


#: A preview's plan may be imported for this long; it is signed, so it is imported exactly as shown.
PLAN_SECONDS = 3600
PLAN_SALT = "ratings.history_import"


class ImportFileError(ValueError):
    """The file is not a ratings export this reader knows, or a line of it is broken (the message names it)."""


@dataclass(frozen=True)
class ExportRow:
    line: int
    title: str
    year: int | None
    score: float
    imdb_id: str = ""


@dataclass
class Matches:
    source: str  # "Letterboxd" or "IMDb"
    found: list[tuple[ExportRow, Movie]] = field(default_factory=list)
    #: Rows more than one catalog movie could be: the person picks one (or none) by hand.
    ambiguous: list[tuple[ExportRow, list[Movie]]] = field(default_factory=list)
    unmatched: list[ExportRow] = field(default_factory=list)

    def plan(self) -> dict:
        """What importing may write, to be signed into the preview: the sure matches, and each ambiguous line's
        score with the movies it may be resolved to."""
        return {
            "found": [[movie.pk, row.score] for row, movie in self.found],
            "ambiguous": {str(row.line): [row.score, [m.pk for m in movies]] for row, movies in self.ambiguous},
        }


def plan_sign(matches: Matches) -> str:
    return signing.dumps(matches.plan(), salt=PLAN_SALT, compress=True)


def plan_read(token: str) -> dict:
    """The plan a preview signed; ImportFileError when it expired or was changed."""
    try:
        plan = signing.loads(token, salt=PLAN_SALT, max_age=PLAN_SECONDS)
    except signing.BadSignature:
        raise ImportFileError("the preview expired or was changed; upload again") from None
    if not isinstance(plan, dict) or {"found", "ambiguous"} - set(plan):
        raise ImportFileError("the preview expired or was changed; upload again")
    return plan


#: A title matching without its exact year is offered (not taken) when the years are this close: exports and
#: catalogs often disagree by one (festival against release year).
NEAR_YEARS = 1


def resolve(plan: dict, picks: dict[str, str | int]) -> list[tuple[int, float]]:
    """The (movie, score) pairs to import: the plan's sure matches, and each ambiguous line's pick ("" or absent:
    skip it). ImportFileError names a line whose pick is not one of its candidates."""
    scores = [(int(movie), float(score)) for movie, score in plan["found"]]
    taken = {movie for movie, _ in scores}
    for line, (score, candidates) in sorted(plan["ambiguous"].items(), key=lambda item: int(item[0])):
        pick = picks.get(line, "")
        if pick in ("", None):
            continue
        if not str(pick).isdigit() or int(pick) not in candidates:
            raise ImportFileError(f"line {line}: pick one of the movies offered for it, or none")
        if int(pick) not in taken:
            taken.add(int(pick))
            scores.append((int(pick), float(score)))
    return scores


def read_export(data: bytes) -> tuple[str, list[ExportRow]]:
    """(the export's source, its rated rows); ImportFileError naming the line for anything unreadable."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader, [])]
        if tuple(header[: len(LETTERBOXD)]) == LETTERBOXD:
            return "Letterboxd", _rows(reader, header, "Name", "Rating", scale=1.0)
        if all(column in header for column in IMDB_REQUIRED):
            return "IMDb", _rows(reader, header, "Title", "Your Rating", scale=0.5, imdb="Const")
    except csv.Error as error:  # a stray quote or line break the CSV reader cannot place
        raise ImportFileError(f"line {reader.line_num}: cannot be read as CSV ({error})") from None
    raise ImportFileError(
        "line 1: not a Letterboxd ratings.csv (Date,Name,Year,Letterboxd URI,Rating) "
        "nor an IMDb ratings export (Const,Your Rating,...,Title,...,Year)"
    )


def _rows(reader, header: list[str], title: str, rating: str, *, scale: float, imdb: str = "") -> list[ExportRow]:
    column = {name: index for index, name in enumerate(header)}
    rows = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ImportFileError(f"line {line}: expected {len(header)} comma-separated fields, got {len(row)}")
        text = row[column[rating]].strip()
        if not text:
            continue  # logged or watched, not rated
        try:
            score = float(text) * scale
        except ValueError:
            raise ImportFileError(f"line {line}: rating {text!r} is not a number") from None
        if score not in SCORES:
            raise ImportFileError(f"line {line}: rating {text!r} is off the scale")
        year_text = row[column["Year"]].strip()
        rows.append(
            ExportRow(
                line=line,
                title=row[column[title]].strip(),
                year=int(year_text) if year_text.isdigit() else None,
                score=score,
                imdb_id=row[column[imdb]].strip() if imdb else "",
            )
        )
    return rows


def normalise(title: str) -> str:
    """Lower case, no accents or punctuation, and no article at either end ("Matrix, The" = "The Matrix")."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    if words and words[0] in _ARTICLES:
        words = words[1:]
    if len(words) > 1 and words[-1] in _ARTICLES and "," in plain:
        words = words[:-1]
    return " ".join(words)


def match(source: str, rows: list[ExportRow]) -> Matches:
    """Each row's catalog movie: by IMDb id, else by normalised title and year (one query for the catalog).

    One movie with that title and year is a match. Several (two films of one name and year), or none with the
    year but some within NEAR_YEARS of it or the row has no year, are ambiguous: the person chooses.
    """
    by_imdb: dict[str, Movie] = {}
    by_title: dict[str, list[Movie]] = {}
    for movie in Movie.objects.only("pk", "title", "year", "imdb_id").order_by("year", "pk"):
        if movie.imdb_id:
            by_imdb[movie.imdb_id] = movie
        by_title.setdefault(normalise(movie.title), []).append(movie)
    result = Matches(source=source)
    seen: set[int] = set()
    for row in rows:
        movie = by_imdb.get(row.imdb_id) if row.imdb_id else None
        titled = by_title.get(normalise(row.title), [])
        exact = [m for m in titled if m.year == row.year]
        if movie is None and len(exact) == 1:
            movie = exact[0]
        if movie is not None:
            if movie.pk not in seen:  # a film rated twice in the export: its first row wins
                seen.add(movie.pk)
                result.found.append((row, movie))
            continue
        near = exact or [
            m for m in titled if row.year is None or m.year is None or abs(m.year - row.year) <= NEAR_YEARS
        ]
        if near:
            result.ambiguous.append((row, near))
        else:
            result.unmatched.append(row)
    return result
