"""Tiny MovieLens data sets in every supported format, written by the tests themselves.

The real files may not be copied into the repository (their license forbids it), so these
reproduce each format's quirks: latin-1 titles, "::" separators, quoted CSV titles with
commas, "(no genres listed)", missing dates, duplicates, bad scores, unknown movies.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ML100K_GENRES = "unknown|0\nAction|1\nComedy|2\nDrama|3\n\n"
ML100K_ITEMS = (
    "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|1|0\n"
    "2|Misérables, Les (1995)|4-Feb-1995||http://us.imdb.com/M/title-exact?Miserables|0|0|0|1\n"
    "3|unknown||||1|0|0|0\n"
    "4|Matrix, The (1999)|31-Mar-1999||http://us.imdb.com/M/title-exact?Matrix|0|1|0|1\n"
)
ML100K_USERS = "1|24|M|technician|85711\n2|53|F|other|94043\n3||||\n"
ML100K_RATINGS = (
    "1\t1\t4\t881250000\n"  # an earlier duplicate of the next line: dropped
    "1\t1\t5\t881250949\n"
    "1\t2\t3\t881250950\n"
    "2\t1\t4\t881250951\n"
    "2\t4\t2\t881250952\n"
    "2\t2\t6\t881250953\n"  # out of range
    "3\t4\t1\t881250954\n"
    "3\t99\t4\t881250955\n"  # unknown movie
)

ML1M_MOVIES = (
    "1::Toy Story (1995)::Animation|Children's|Comedy\n"
    "2::Misérables, Les (1995)::Drama|Musical\n"
    "3::American President, The (1995)::Comedy|Drama|Romance\n"
)
ML1M_USERS = "1::F::1::10::48067\n2::M::56::16::70072\n3::M::99::42::55117\n"
ML1M_RATINGS = (
    "1::1::5::978300760\n"
    "1::2::3::978302109\n"
    "2::1::4::978301968\n"
    "2::3::3.3::978300275\n"  # off the half-star scale
    "3::2::0::978824291\n"  # out of range
    "3::3::4::978824291\n"
)

CSV_MOVIES = (
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
    '2,"American President, The (1995)",Comedy|Drama|Romance\n'
    "3,A Film Without a Year,(no genres listed)\n"
    '4,"Misérables, Les (1995)",Drama\n'
)
CSV_RATINGS = (
    "userId,movieId,rating,timestamp\n"
    "1,1,3,964982703\n"
    "1,2,3.0,964981247\n"
    "1,4,3.5,964982224\n"
    "2,1,4.5,964983815\n"
    "2,1,2.0,964983000\n"  # an older duplicate (later in the file): dropped, the 4.5 stays
    "2,3,0.5,964982931\n"
    "2,2,5.5,964982400\n"  # out of range
    "3,4,4.25,964980868\n"  # off step
    "3,77,4.0,964980868\n"  # unknown movie
    "3,1,5.0,964980800\n"
)
CSV_TAGS = (
    "userId,movieId,tag,timestamp\n"
    "1,1, Funny ,1445714994\n"
    "2,1,funny,1445714996\n"
    "3,1,FUNNY,1445714997\n"
    '2,2,"politics, satire",1445715000\n'
    "2,77,orphan,1445715001\n"  # unknown movie
    "2,4,   ,1445715002\n"  # blank
)
CSV_LINKS = "movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346,\n3,,\n99,0000099,99\n"


def write_files(folder: Path, files: dict[str, str], *, encoding: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode(encoding))
    return folder


def write_ml100k(folder: Path, **overrides: str) -> Path:
    files = {"u.genre": ML100K_GENRES, "u.item": ML100K_ITEMS, "u.user": ML100K_USERS, "u.data": ML100K_RATINGS}
    return write_files(folder, {**files, **overrides}, encoding="latin-1")


def write_ml1m(folder: Path, **overrides: str) -> Path:
    files = {"movies.dat": ML1M_MOVIES, "users.dat": ML1M_USERS, "ratings.dat": ML1M_RATINGS}
    return write_files(folder, {**files, **overrides}, encoding="latin-1")


def write_csv(folder: Path, **overrides: str | None) -> Path:
    files = {"movies.csv": CSV_MOVIES, "ratings.csv": CSV_RATINGS, "tags.csv": CSV_TAGS, "links.csv": CSV_LINKS}
    files = {name: text for name, text in {**files, **overrides}.items() if text is not None}
    return write_files(folder, files, encoding="utf-8")


def zip_folder(folder: Path, archive: Path, *, inner: str) -> Path:
    """Zip ``folder``'s files under ``inner/``, the way GroupLens lays out its archives."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.iterdir()):
            bundle.write(path, f"{inner}/{path.name}")
    return archive


# ml-10m: "::" separated like ml-1m, half stars, tags.dat, no users.dat; UTF-8.
ML10M_MOVIES = (
    "1::Toy Story (1995)::Adventure|Animation|Children|Comedy|Fantasy\n"
    "2::Misérables, Les (1995)::Drama|Musical\n"
    "3::Film Without Genres, A (2001)::(no genres listed)\n"
)
ML10M_RATINGS = "1::1::5::838985046\n1::2::3.5::838983525\n2::1::0.5::868245777\n2::3::4::868246450\n"
ML10M_TAGS = (
    "1::1::pixar::1188263880\n2::1::  Pixar ::1188263881\n2::2::Victor Hugo::1188263882\n2::3::   ::1188263883\n"
)


def write_ml10m(folder: Path, **overrides: str | None) -> Path:
    """An ml-10m copy as its archive unpacks: the files inside ml-10M100K/."""
    files = {"movies.dat": ML10M_MOVIES, "ratings.dat": ML10M_RATINGS, "tags.dat": ML10M_TAGS}
    files = {name: text for name, text in {**files, **overrides}.items() if text is not None}
    write_files(folder / "ml-10M100K", files, encoding="utf-8")
    return folder
