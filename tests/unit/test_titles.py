from __future__ import annotations

import pytest

from catalog.titles import sort_title, split_title


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("Matrix, The (1999)", "The Matrix", 1999),
        ("Toy Story (1995)", "Toy Story", 1995),
        ("American President, The (1995)", "The American President", 1995),
        ("Dinner Game, The (Dîner de cons, Le) (1998)", "The Dinner Game (Dîner de cons, Le)", 1998),
        ("Big Lebowski, The", "The Big Lebowski", None),
        ("Misérables, Les (1995)", "Les Misérables", 1995),
        ("Babe: Pig in the City (1998) ", "Babe: Pig in the City", 1998),
        ("Stranger Things (2016-)", "Stranger Things", 2016),
        ("Seven (Se7en) (1995)", "Seven (Se7en)", 1995),
    ],
)
def test_split_title_moves_the_article_and_takes_the_year(raw, title, year):
    assert split_title(raw) == (title, year)


def test_sort_title_ignores_leading_article_case_and_accents():
    assert sort_title("The Matrix") == "matrix"
    assert sort_title("Les Misérables") == "miserables"
    assert sort_title("Se7en: Director's Cut") == "se7en director s cut"
