"""Parse each MovieLens format into plain records. No Django here.

A line that cannot be parsed (wrong number of fields, an id that is not a
number, a rating that is not a number) raises ``MalformedFile`` naming the
file and line, before anything is written. A value that is only missing or
implausible (a blank release date, an age code the README does not list)
becomes ``None`` or ``""`` and is counted in ``Dataset.missing``: the record is
still worth importing.
"""

from __future__ import annotations

import csv
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from catalog.importers.errors import MalformedFile, SourceUnavailable
from catalog.importers.variants import Layout, Variant
from catalog.titles import split_title

#: Called now and then with the number of rows read since the last call.
Progress = Callable[[int], None]

#: The model's CHECK constraint on Movie.year; a year outside it is kept as null.
YEAR_RANGE = (1870, 2100)
#: The model's CHECK constraint on Profile.age.
AGE_RANGE = (1, 120)
TITLE_MAX, TAG_MAX, OCCUPATION_MAX, ZIP_MAX = 255, 255, 64, 16
#: Seconds since 1970 that a datetime can hold; checked here so a wild value fails with its line number.
TIMESTAMP_RANGE = (0, 253_402_300_799)

#: ml-1m users.dat stores an age bucket code; the code is the bucket's lower bound ("1" means under 18).
ML1M_AGE_CODES = frozenset({1, 18, 25, 35, 45, 50, 56})
#: ml-1m users.dat occupation codes, from the ml-1m README.
ML1M_OCCUPATIONS = {
    0: "other",
    1: "academic/educator",
    2: "artist",
    3: "clerical/admin",
    4: "college/grad student",
    5: "customer service",
    6: "doctor/health care",
    7: "executive/managerial",
    8: "farmer",
    9: "homemaker",
    10: "K-12 student",
    11: "lawyer",
    12: "programmer",
    13: "retired",
    14: "sales/marketing",
    15: "scientist",
    16: "self-employed",
    17: "technician/engineer",
    18: "tradesman/craftsman",
    19: "unemployed",
    20: "writer",
}
#: Placeholders the data sets use for "this movie has no genre"; they are not genres.
NO_GENRE = frozenset({"unknown", "(no genres listed)"})

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_SEPARATOR_NAMES = {"\t": "tab-separated", "|": "pipe-separated", "::": "'::'-separated", ",": "comma-separated"}
_PROGRESS_EVERY = 50_000


@dataclass(frozen=True, slots=True)
class MovieRecord:
    movielens_id: int
    title: str
    year: int | None
    release_date: date | None
    genres: tuple[str, ...]
    imdb_id: str = ""
    tmdb_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    movielens_id: int
    age: int | None = None
    gender: str = ""
    occupation: str = ""
    zip_code: str = ""


@dataclass(frozen=True, slots=True)
class LinkRecord:
    movielens_id: int
    imdb_id: str
    tmdb_id: int | None


@dataclass(frozen=True, slots=True)
class TagRecord:
    movielens_id: int
    tag: str


@dataclass(slots=True)
class RatingColumns:
    """Ratings as parallel numpy arrays in file order: compact enough for ml-25m's 25 million rows."""

    users: np.ndarray
    movies: np.ndarray
    scores: np.ndarray
    timestamps: np.ndarray

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def empty(cls) -> RatingColumns:
        return cls(*(np.empty(0, dtype=dtype) for dtype in (np.int64, np.int64, np.float64, np.int64)))

    def take(self, index: np.ndarray) -> RatingColumns:
        return RatingColumns(self.users[index], self.movies[index], self.scores[index], self.timestamps[index])


@dataclass
class Dataset:
    variant: Variant
    movies: list[MovieRecord]
    ratings: RatingColumns
    #: From the users file; the CSV variants have none (their users exist only through ratings).
    users: list[UserRecord] = field(default_factory=list)
    tags: list[TagRecord] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    #: True when the data set has links.csv, so imdb/tmdb ids are known (and may be overwritten).
    has_links: bool = False
    #: True when the data set describes its users (age, gender, ...), so profiles may be overwritten.
    has_demographics: bool = False
    #: "movie year" -> how many records lacked a usable value (kept as null or blank).
    missing: Counter[str] = field(default_factory=Counter)
    #: "blank tags" -> how many rows were skipped for a reason that does not stop the import.
    ignored: Counter[str] = field(default_factory=Counter)


def read_dataset(variant: Variant, directory: Path, *, progress: Progress | None = None) -> Dataset:
    readers = {Layout.ML100K: _read_100k, Layout.ML1M: _read_1m, Layout.ML10M: _read_10m, Layout.CSV: _read_csv_variant}
    reader = readers[variant.layout]
    return reader(variant, directory, progress or (lambda rows: None))


# ---------------------------------------------------------------------------------------------------------------
# Small parsers shared by all formats. Each takes (file name, line number) so its error can say where.


def _require(directory: Path, name: str, variant: Variant) -> Path:
    path = directory / name
    if not path.is_file():
        raise SourceUnavailable(f"{variant.name}: {name} not found in {directory}")
    return path


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text) for each non-blank line; the number counts blank lines too, as an editor would."""
    with path.open(encoding=encoding, newline="") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if line.strip():
                yield number, line


def _split(name: str, number: int, line: str, separator: str, expected: int) -> list[str]:
    fields = line.split(separator)
    if len(fields) != expected:
        kind = _SEPARATOR_NAMES[separator]
        raise MalformedFile(name, number, f"expected {expected} {kind} fields, got {len(fields)}")
    return fields


def _id(name: str, number: int, text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise MalformedFile(name, number, f"{what} {text.strip()!r} is not a whole number") from None
    if value <= 0:
        raise MalformedFile(name, number, f"{what} must be positive, got {value}")
    return value


def _score(name: str, number: int, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise MalformedFile(name, number, f"rating {text.strip()!r} is not a number")
    return value


def _timestamp(name: str, number: int, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise MalformedFile(name, number, f"timestamp {text.strip()!r} is not a whole number of seconds") from None
    if not TIMESTAMP_RANGE[0] <= value <= TIMESTAMP_RANGE[1]:
        raise MalformedFile(name, number, f"timestamp {value} is not a time between 1970 and 9999")
    return value


def _optional_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _release_date(text: str) -> date | None:
    """``01-Jan-1995`` (ml-100k); month names are parsed by hand so the locale cannot change the result."""
    try:
        day, month, year = text.strip().split("-")
        return date(int(year), _MONTHS[month.lower()], int(day))
    except (ValueError, KeyError):
        return None


def _plausible_year(year: int | None) -> int | None:
    return year if year is not None and YEAR_RANGE[0] <= year <= YEAR_RANGE[1] else None


def _movie(
    movielens_id: int, raw_title: str, genres: list[str], missing: Counter[str], release: date | None = None
) -> MovieRecord:
    title, year = split_title(raw_title)
    title = (title or raw_title.strip())[:TITLE_MAX]
    if year is None and release is not None:
        year = release.year
    year = _plausible_year(year)
    if year is None:
        missing["movie year"] += 1
    genres = [genre.strip() for genre in genres if genre.strip() and genre.strip() not in NO_GENRE]
    if not genres:
        missing["movie genres"] += 1
    return MovieRecord(movielens_id, title, year, release, tuple(dict.fromkeys(genres)))


def _age(text: str, *, codes: frozenset[int] | None = None) -> int | None:
    age = _optional_int(text)
    if age is None or not AGE_RANGE[0] <= age <= AGE_RANGE[1] or (codes is not None and age not in codes):
        return None
    return age


def _user(
    movielens_id: int, age: int | None, gender: str, occupation: str, zip_code: str, missing: Counter[str]
) -> UserRecord:
    gender = gender.strip().upper()
    if gender not in {"F", "M"}:
        gender = ""
    occupation, zip_code = occupation.strip()[:OCCUPATION_MAX], zip_code.strip()[:ZIP_MAX]
    for what, value in (("user age", age), ("user gender", gender), ("user occupation", occupation)):
        if value in (None, ""):
            missing[what] += 1
    if not zip_code:
        missing["user zip code"] += 1
    return UserRecord(movielens_id, age, gender, occupation, zip_code)


def _keep_last(records: list, what: str, ignored: Counter[str]) -> list:
    """One record per movielens_id, the file's last one wins (an upsert cannot touch one row twice)."""
    by_id = {record.movielens_id: record for record in records}
    if len(by_id) != len(records):
        ignored[f"duplicate {what} rows (kept the last)"] += len(records) - len(by_id)
    return list(by_id.values())


class _RatingBuffer:
    """Appends into typed arrays: a Python list of 25 million tuples would need gigabytes."""

    def __init__(self, progress: Progress) -> None:
        self.users, self.movies, self.timestamps = array("q"), array("q"), array("q")
        self.scores = array("d")
        self.progress = progress

    def add(self, user: int, movie: int, score: float, timestamp: int) -> None:
        self.users.append(user)
        self.movies.append(movie)
        self.scores.append(score)
        self.timestamps.append(timestamp)
        if len(self.users) % _PROGRESS_EVERY == 0:
            self.progress(_PROGRESS_EVERY)

    def add_text(self, name: str, number: int, user: str, movie: str, score: str, timestamp: str) -> None:
        """One line's four fields as read, each checked (the error names ``name`` and line ``number``)."""
        self.add(
            _id(name, number, user, "user id"),
            _id(name, number, movie, "movie id"),
            _score(name, number, score),
            _timestamp(name, number, timestamp),
        )

    def columns(self) -> RatingColumns:
        self.progress(len(self.users) % _PROGRESS_EVERY)
        return RatingColumns(
            np.array(self.users, dtype=np.int64),
            np.array(self.movies, dtype=np.int64),
            np.array(self.scores, dtype=np.float64),
            np.array(self.timestamps, dtype=np.int64),
        )


def _delimited_ratings(path: Path, separator: str, encoding: str, progress: Progress) -> RatingColumns:
    buffer, name = _RatingBuffer(progress), path.name
    for number, line in _lines(path, encoding):
        buffer.add_text(name, number, *_split(name, number, line, separator, 4))
    return buffer.columns()


# ---------------------------------------------------------------------------------------------------------------
# ml-100k


def _read_100k(variant: Variant, directory: Path, progress: Progress) -> Dataset:
    encoding = "latin-1"
    missing: Counter[str] = Counter()
    ignored: Counter[str] = Counter()

    genre_path = _require(directory, "u.genre", variant)
    genre_names: dict[int, str] = {}
    for number, line in _lines(genre_path, encoding):
        name, index = _split(genre_path.name, number, line, "|", 2)
        position = _optional_int(index)
        if position is None:
            raise MalformedFile(genre_path.name, number, f"genre index {index.strip()!r} is not a whole number")
        genre_names[position] = name.strip()
    genres = [genre_names.get(index) for index in range(len(genre_names))]
    if None in genres:
        raise MalformedFile(genre_path.name, 1, f"genre indexes must run from 0 to {len(genres) - 1}")

    item_path = _require(directory, "u.item", variant)
    movies = []
    for number, line in _lines(item_path, encoding):
        fields = _split(item_path.name, number, line, "|", 5 + len(genres))
        flags = fields[5:]
        if any(flag not in {"0", "1"} for flag in flags):
            raise MalformedFile(item_path.name, number, "genre flags must be 0 or 1")
        release = _release_date(fields[2]) if fields[2].strip() else None
        if release is None:
            missing["movie release date"] += 1
        movie_genres = [name for name, flag in zip(genres, flags, strict=True) if flag == "1"]
        movies.append(
            _movie(_id(item_path.name, number, fields[0], "movie id"), fields[1], movie_genres, missing, release)
        )

    user_path = _require(directory, "u.user", variant)
    users = []
    for number, line in _lines(user_path, encoding):
        user_id, age, gender, occupation, zip_code = _split(user_path.name, number, line, "|", 5)
        users.append(
            _user(_id(user_path.name, number, user_id, "user id"), _age(age), gender, occupation, zip_code, missing)
        )

    ratings = _delimited_ratings(_require(directory, "u.data", variant), "\t", encoding, progress)
    return Dataset(
        variant,
        _keep_last(movies, "movie", ignored),
        ratings,
        users=_keep_last(users, "user", ignored),
        has_demographics=True,
        missing=missing,
        ignored=ignored,
    )


# ---------------------------------------------------------------------------------------------------------------
# ml-1m


def _read_1m(variant: Variant, directory: Path, progress: Progress) -> Dataset:
    encoding = "latin-1"
    missing: Counter[str] = Counter()
    ignored: Counter[str] = Counter()

    movie_path = _require(directory, "movies.dat", variant)
    movies = []
    for number, line in _lines(movie_path, encoding):
        movie_id, title, genres = _split(movie_path.name, number, line, "::", 3)
        movies.append(_movie(_id(movie_path.name, number, movie_id, "movie id"), title, genres.split("|"), missing))

    user_path = _require(directory, "users.dat", variant)
    users = []
    for number, line in _lines(user_path, encoding):
        user_id, gender, age, occupation, zip_code = _split(user_path.name, number, line, "::", 5)
        occupation_name = ML1M_OCCUPATIONS.get(_optional_int(occupation), "")
        users.append(
            _user(
                _id(user_path.name, number, user_id, "user id"),
                _age(age, codes=ML1M_AGE_CODES),
                gender,
                occupation_name,
                zip_code,
                missing,
            )
        )

    ratings = _delimited_ratings(_require(directory, "ratings.dat", variant), "::", encoding, progress)
    return Dataset(
        variant,
        _keep_last(movies, "movie", ignored),
        ratings,
        users=_keep_last(users, "user", ignored),
        has_demographics=True,
        missing=missing,
        ignored=ignored,
    )


# ---------------------------------------------------------------------------------------------------------------
# ml-10m


def _read_10m(variant: Variant, directory: Path, progress: Progress) -> Dataset:
    """movies.dat and ratings.dat as in ml-1m (half stars allowed), tags.dat (user::movie::tag::time), no users."""
    encoding = _dat_encoding(_require(directory, "movies.dat", variant))
    missing: Counter[str] = Counter()
    ignored: Counter[str] = Counter()

    movie_path = directory / "movies.dat"
    movies = []
    for number, line in _lines(movie_path, encoding):
        movie_id, title, genres = _split(movie_path.name, number, line, "::", 3)
        genre_names = [] if genres == "(no genres listed)" else genres.split("|")
        movies.append(_movie(_id(movie_path.name, number, movie_id, "movie id"), title, genre_names, missing))

    ratings = _delimited_ratings(_require(directory, "ratings.dat", variant), "::", encoding, progress)

    tags = []
    tag_path = directory / "tags.dat"
    if tag_path.is_file():
        for number, line in _lines(tag_path, encoding):
            # A tag may itself hold "::" (rare): the first two fields and the last are fixed, the rest is the tag.
            fields = line.split("::")
            if len(fields) < 4:
                raise MalformedFile(tag_path.name, number, f"expected 4 '::'-separated fields, got {len(fields)}")
            user, movie, text, stamp = fields[0], fields[1], "::".join(fields[2:-1]), fields[-1]
            _id(tag_path.name, number, user, "user id")
            _timestamp(tag_path.name, number, stamp)
            name = " ".join(text.split()).lower()[:TAG_MAX]
            if not name:
                ignored["blank tags"] += 1
                continue
            tags.append(TagRecord(_id(tag_path.name, number, movie, "movie id"), name))

    return Dataset(variant, _keep_last(movies, "movie", ignored), ratings, tags=tags, missing=missing, ignored=ignored)


def _dat_encoding(path: Path) -> str:
    """ml-10m's files are UTF-8 in most copies and latin-1 in some: UTF-8 when the movies file decodes as it."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


# ---------------------------------------------------------------------------------------------------------------
# ml-latest-small, ml-latest, ml-20m, ml-25m, ml-32m


def _csv_rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) after checking the header; quoted fields may hold commas."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            first = next(reader, None)
            if first is None or tuple(column.strip() for column in first) != header:
                got = ",".join(first) if first else "an empty file"
                raise MalformedFile(path.name, 1, f"expected the header {','.join(header)}, got {got}")
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(header):
                    raise MalformedFile(
                        path.name, reader.line_num, f"expected {len(header)} comma-separated fields, got {len(row)}"
                    )
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise MalformedFile(path.name, reader.line_num + 1, "is not valid UTF-8") from None
        except csv.Error as error:
            raise MalformedFile(path.name, reader.line_num, f"cannot be parsed as CSV ({error})") from None


RATING_COLUMNS = ("userId", "movieId", "rating", "timestamp")
#: Rows pandas reads at a time: about 40 MB of typed columns.
PANDAS_CHUNK = 1_000_000


def _csv_ratings(path: Path, progress: Progress) -> RatingColumns:
    """ratings.csv through pandas (``read_csv`` with explicit dtypes, in chunks): ml-25m's 25 million rows in
    seconds rather than the minutes of a Python loop.

    Every value is checked as the line-by-line reader checks it. If pandas cannot read the file as typed (a word
    where a number goes, a missing field), the line-by-line reader reads it instead, so the error still names
    the line; so does a value out of range, found here by its position in the chunk.
    """
    parts: list[tuple[np.ndarray, ...]] = []
    try:
        chunks = pd.read_csv(
            path, dtype={"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"},
            chunksize=PANDAS_CHUNK, encoding="utf-8-sig", skip_blank_lines=True,
        )  # fmt: skip
        for index, chunk in enumerate(chunks):
            if tuple(column.strip() for column in chunk.columns) != RATING_COLUMNS:
                raise ValueError("not the ratings header")
            users, movies = chunk["userId"].to_numpy(), chunk["movieId"].to_numpy()
            scores, stamps = chunk["rating"].to_numpy(), chunk["timestamp"].to_numpy()
            bad = (users <= 0) | (movies <= 0) | ~np.isfinite(scores)
            bad |= (stamps < TIMESTAMP_RANGE[0]) | (stamps > TIMESTAMP_RANGE[1])
            if bad.any():
                row = int(np.argmax(bad))
                number = 2 + index * PANDAS_CHUNK + row  # the header is line 1
                _id(path.name, number, str(users[row]), "user id")
                _id(path.name, number, str(movies[row]), "movie id")
                _score(path.name, number, str(scores[row]))
                _timestamp(path.name, number, str(stamps[row]))
            parts.append((users, movies, scores, stamps))
            progress(len(chunk))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return _csv_ratings_by_line(path, progress)
    if not parts:
        return RatingColumns.empty()
    return RatingColumns(*(np.concatenate([part[k] for part in parts]) for k in range(4)))


def _csv_ratings_by_line(path: Path, progress: Progress) -> RatingColumns:
    buffer, name = _RatingBuffer(progress), path.name
    for number, fields in _csv_rows(path, RATING_COLUMNS):
        buffer.add_text(name, number, *fields)
    return buffer.columns()


def _read_csv_variant(variant: Variant, directory: Path, progress: Progress) -> Dataset:
    missing: Counter[str] = Counter()
    ignored: Counter[str] = Counter()

    movie_path = _require(directory, "movies.csv", variant)
    movies = [
        _movie(_id(movie_path.name, number, movie_id, "movie id"), title, genres.split("|"), missing)
        for number, (movie_id, title, genres) in _csv_rows(movie_path, ("movieId", "title", "genres"))
    ]

    ratings = _csv_ratings(_require(directory, "ratings.csv", variant), progress)

    tags = []
    tag_path = directory / "tags.csv"
    if tag_path.is_file():
        for number, (user, movie, tag, _timestamp_text) in _csv_rows(
            tag_path, ("userId", "movieId", "tag", "timestamp")
        ):
            _id(tag_path.name, number, user, "user id")
            name = " ".join(tag.split()).lower()[:TAG_MAX]
            if not name:
                ignored["blank tags"] += 1
                continue
            tags.append(TagRecord(_id(tag_path.name, number, movie, "movie id"), name))

    links = []
    link_path = directory / "links.csv"
    if link_path.is_file():
        for number, (movie, imdb, tmdb) in _csv_rows(link_path, ("movieId", "imdbId", "tmdbId")):
            imdb_id = f"tt{_id(link_path.name, number, imdb, 'IMDb id'):07d}" if imdb.strip() else ""
            tmdb_id = _id(link_path.name, number, tmdb, "TMDB id") if tmdb.strip() else None
            if not imdb_id:
                missing["IMDb id"] += 1
            if tmdb_id is None:
                missing["TMDB id"] += 1
            links.append(LinkRecord(_id(link_path.name, number, movie, "movie id"), imdb_id, tmdb_id))

    return Dataset(
        variant,
        _keep_last(movies, "movie", ignored),
        ratings,
        tags=tags,
        links=_keep_last(links, "link", ignored),
        has_links=link_path.is_file(),
        missing=missing,
        ignored=ignored,
    )
