"""The row generator on hand-made catalogs: ranking, de-duplication, fold-in history, and each row's rule.

No database: the catalog, statistics and person arrive as the arrays the selectors would build.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.http import Http404

from ratings.models import FeedbackKind
from recommender.algorithms.base import Recommender
from recommender.algorithms.interactions import History, Interactions
from recommender.algorithms.popularity import Popularity
from recommender.rows import (
    MORE_LIKE_THIS_RATING,
    Candidates,
    Page,
    RowSpec,
    ServingModels,
    Taste,
    UnknownRowError,
    percentiles,
    rank,
    scatter,
    signed_in_specs,
)
from recommender.rows.inputs import CatalogSnapshot, PersonState, RatingStats

GENRES = ["Action", "Comedy", "Drama"]


def make_catalog(genres_of: list[list[str]]) -> CatalogSnapshot:
    """Movies with ids 10, 20, 30, ... created in that order (the last one is the newest)."""
    n = len(genres_of)
    matrix = np.array([[genre in genres for genre in GENRES] for genres in genres_of], dtype=bool).reshape(n, 3)
    return CatalogSnapshot(
        fingerprint=("test",),
        ids=np.arange(1, n + 1, dtype=np.int64) * 10,
        titles=[f"Movie {(i + 1) * 10}" for i in range(n)],
        genre_ids=np.array([1, 2, 3]),
        genre_names=GENRES,
        genre_slugs=[name.lower() for name in GENRES],
        genres=matrix,
        newest_first=np.arange(n)[::-1],
        built_at=0.0,
    )


def make_stats(counts: list[int], means: list[float] | None = None) -> RatingStats:
    counts_array = np.array(counts, dtype=np.int64)
    return RatingStats(
        fingerprint=("test",),
        counts=counts_array,
        damped_means=np.array(means if means is not None else [3.5] * len(counts), dtype=np.float64),
        means=np.array(means if means is not None else [3.5] * len(counts), dtype=np.float64),
        recent_counts=counts_array,
        built_at=0.0,
        build_seconds=0.0,
    )


def make_person(
    ratings: dict[int, float] | None = None,
    feedback: dict[str, list[int]] | None = None,
    favourites: tuple[int, ...] = (),
) -> PersonState:
    ratings = ratings or {}
    history = History.from_arrays(list(ratings), list(ratings.values()), np.arange(len(ratings), dtype=float) + 100)
    # Feedback is given after every rating, newest first like the selector returns it.
    kinds = {kind: [(movie, 1000.0 - k) for k, movie in enumerate(movies)] for kind, movies in (feedback or {}).items()}
    return PersonState(user_id=1, history=history, feedback=kinds, favourite_genres=favourites)


def make_taste(catalog, stats, person=None, families=None) -> Taste:
    return Taste(catalog=catalog, stats=stats, models=ServingModels(families or {}), state=person)


# -- helpers ----------------------------------------------------------------------------------------------------------


def test_percentiles_rank_finite_scores_into_zero_to_one_and_keep_nan():
    result = percentiles(np.array([10.0, np.nan, -3.0, 10.0, 0.0]))

    np.testing.assert_allclose(result[[0, 2, 3, 4]], [5 / 6, 0.0, 5 / 6, 1 / 3])
    assert np.isnan(result[1])
    np.testing.assert_array_equal(percentiles(np.array([7.0, np.nan])), [0.5, np.nan])


def test_rank_breaks_ties_by_popularity_then_id_and_keeps_every_tie_at_the_cut():
    catalog = make_catalog([["Drama"]] * 5)
    taste = make_taste(catalog, make_stats([1, 9, 9, 0, 5]))
    scores = np.array([1.0, 1.0, 1.0, 1.0, 2.0])

    picks = rank(taste, Candidates(scores, lambda p: "why"), np.ones(5, dtype=bool), limit=3)

    assert [pick.movie_id for pick in picks] == [50, 20, 30]
    assert all(pick.reason == "why" and pick.predicted_rating is None for pick in picks)


def test_rank_never_picks_what_is_not_allowed_or_cannot_be_scored():
    catalog = make_catalog([["Drama"]] * 4)
    taste = make_taste(catalog, make_stats([1, 1, 1, 1]))
    allowed = np.array([True, False, True, True])

    picks = rank(taste, Candidates(np.array([4.0, 3.0, np.nan, 1.0]), str), allowed, limit=10)

    assert [pick.movie_id for pick in picks] == [10, 40]


def test_scatter_places_a_model_vocabulary_onto_the_catalog():
    catalog = make_catalog([["Drama"]] * 4)
    data = Interactions.from_ids([1, 1, 2], [40, 20, 40], [4.0, 3.0, 5.0])
    model = Popularity().fit(data)  # knows 20 and 40 only

    vector = scatter(model, catalog, model.score(History.empty()))

    np.testing.assert_array_equal(vector, [np.nan, 1.0, np.nan, 2.0])


# -- the person -----------------------------------------------------------------------------------------------------


def test_more_like_this_joins_the_fold_in_history_as_a_positive_rating():
    catalog = make_catalog([["Drama"]] * 4)
    person = make_person({10: 2.0}, {FeedbackKind.MORE_LIKE_THIS: [30, 10]})

    history = make_taste(catalog, make_stats([0] * 4), person).history

    assert history.item_ids.tolist() == [10, 30]
    assert history.ratings.tolist() == [2.0, MORE_LIKE_THIS_RATING]


def test_watchlist_seen_and_feedback_are_kept_off_rows_but_only_ratings_and_rejections_are_excluded_everywhere():
    catalog = make_catalog([["Drama"]] * 6)
    person = make_person(
        {10: 4.0},
        {
            FeedbackKind.NOT_INTERESTED: [20],
            FeedbackKind.WATCHLIST: [30],
            FeedbackKind.SEEN: [40],
            FeedbackKind.LESS_LIKE_THIS: [50],
        },
    )

    taste = make_taste(catalog, make_stats([1] * 6), person)

    assert taste.excluded.tolist() == [True, True, False, False, False, False]
    assert taste.banned.tolist() == [True, True, True, True, True, False]


def test_top_genres_follow_the_highest_ratings_and_onboarding_favourites_come_after():
    catalog = make_catalog([["Action"], ["Action", "Drama"], ["Comedy"], ["Drama"]])
    person = make_person({10: 5.0, 20: 4.0, 30: 1.0}, favourites=(2,))  # genre pk 2 is Comedy

    taste = make_taste(catalog, make_stats([1] * 4), person)

    # Action 2.5 + 1.5, Drama 1.5, Comedy 0 from its 1-star rating + 1 as a favourite.
    assert [GENRES[g] for g in taste.top_genres] == ["Action", "Drama", "Comedy"]


def test_a_person_who_never_rates_high_still_gets_the_genre_they_rate_most():
    catalog = make_catalog([["Action"], ["Drama"], ["Drama"], ["Comedy"]])
    person = make_person({10: 3.0, 20: 3.0, 30: 3.5, 40: 2.0})

    taste = make_taste(catalog, make_stats([1] * 4), person)

    assert [GENRES[g] for g in taste.top_genres] == ["Drama", "Action"]


def test_a_cold_start_page_has_no_because_rows_and_a_row_per_favourite_genre():
    catalog = make_catalog([["Action"], ["Comedy"], ["Drama"]])
    person = make_person(favourites=(1, 2, 3))

    specs = signed_in_specs(make_taste(catalog, make_stats([1, 1, 1]), person))

    assert [spec.key for spec in specs] == [
        "top-picks",
        "popular-in-action",
        "popular-in-comedy",
        "popular-in-drama",
        "hidden-gems",
        "new-in-catalog",
    ]


def test_genre_similarity_is_the_overlap_of_genre_sets_and_zero_for_the_movie_itself():
    catalog = make_catalog([["Action", "Drama"], ["Action"], ["Comedy"], ["Action", "Drama"]])
    taste = make_taste(catalog, make_stats([1] * 4))

    vector, source = taste.similarity(10, ("collaborative", "content"))

    assert source == "genres"
    np.testing.assert_allclose(vector, [0.0, 0.5, 0.0, 1.0])


# -- rows -------------------------------------------------------------------------------------------------------------


def page_for(taste: Taste, limit: int) -> Page:
    specs = [RowSpec("popular", "Popular", "popular"), RowSpec("genre-drama", "Drama", "genre", 2)]
    return Page(taste, specs, limit)


def test_each_row_skips_what_rows_before_it_showed_whichever_row_is_built_first():
    catalog = make_catalog([["Drama"], ["Action"], ["Drama"], ["Drama"]])
    taste = make_taste(catalog, make_stats([9, 8, 7, 6]))

    alone = page_for(taste, limit=2).row("genre-drama")
    whole = page_for(taste, limit=2).rows()

    assert [[pick.movie_id for pick in picks] for _, picks in whole] == [[10, 20], [30, 40]]
    assert alone == whole[1][1]


def test_an_unknown_row_is_a_key_error_and_a_404():
    taste = make_taste(make_catalog([["Drama"]]), make_stats([1]))

    with pytest.raises(UnknownRowError) as caught:
        page_for(taste, limit=2).row("because-10")

    assert isinstance(caught.value, KeyError) and isinstance(caught.value, Http404)


def test_hidden_gems_are_well_liked_movies_with_few_ratings():
    catalog = make_catalog([["Drama"]] * 6)
    # The median count is 6: 40 and 60 have more ratings than that, 30 too few to judge, 50 a poor mean.
    stats = make_stats([5, 6, 1, 50, 6, 40], means=[4.2, 4.0, 5.0, 4.5, 2.5, 4.0])
    taste = make_taste(catalog, stats, make_person())

    picks = Page(taste, [RowSpec("hidden-gems", "Hidden gems", "hidden-gems")], 6).row("hidden-gems")

    assert [pick.movie_id for pick in picks] == [10, 20]
    assert picks[0].reason == "Only 5 ratings, averaging 4.2 stars"


class FixedScores(Recommender):
    """A stand-in for a trained model: the same given scores for everyone."""

    name = "fixed"

    def __init__(self, item_ids: list[int], scores: list[float]) -> None:
        super().__init__()
        self._set_items(np.array(item_ids))
        self.values = np.array(scores, dtype=np.float64)

    def fit(self, data):
        return self

    def score(self, history, items=None):
        positions, known = self.positions(items)
        return np.where(known, self.values[positions], np.nan)


def test_with_a_blend_active_hidden_gems_and_new_movies_follow_its_order():
    catalog = make_catalog([["Drama"]] * 6)
    stats = make_stats([5, 6, 1, 50, 6, 40], means=[4.2, 4.0, 5.0, 4.5, 4.1, 4.0])
    blend = FixedScores([10, 20, 30, 40, 50, 60], [0.1, 0.9, 0.5, 0.4, 0.3, 0.2])
    taste = make_taste(catalog, stats, make_person(), {"blend": {"blend": blend}})
    specs = [RowSpec("hidden-gems", "Hidden gems", "hidden-gems"), RowSpec("new-in-catalog", "New", "new-in-catalog")]

    gems = Page(taste, specs[:1], 6).row("hidden-gems")
    new = Page(taste, specs[1:], 6).row("new-in-catalog")

    assert [pick.movie_id for pick in gems] == [20, 50, 10]  # by the blend, not by the mean (10's 4.2 is highest)
    assert [pick.movie_id for pick in new] == [20, 30, 50, 10]  # 40 and 60 have too many ratings to be "new"


def test_popular_in_a_genre_shows_its_popular_half_in_the_blends_order_for_someone_who_has_rated():
    # Given six dramas and an action movie; the median rating count is 20, so 10 and 30 are not popular
    catalog = make_catalog([["Drama"], ["Drama"], ["Drama"], ["Drama"], ["Drama"], ["Action"], ["Drama"]])
    stats = make_stats([5, 40, 10, 20, 90, 99, 15])
    blend = FixedScores([10, 20, 30, 40, 50, 60, 70], [0.9, 0.2, 0.8, 0.7, 0.1, 1.0, 0.5])
    taste = make_taste(catalog, stats, make_person({70: 5.0}), {"blend": {"blend": blend}})

    picks = Page(taste, [RowSpec("popular-in-drama", "Popular in Drama", "popular-in", 2)], 7).row("popular-in-drama")

    # Then the popular dramas they have not rated come in the blend's order, not by their counts (50 has most)
    assert [pick.movie_id for pick in picks] == [40, 20, 50]
    assert {pick.reason for pick in picks} == {"Popular in Drama"}


def test_popular_in_a_genre_is_the_most_rated_first_for_a_visitor_and_without_a_blend():
    catalog = make_catalog([["Drama"]] * 4)
    stats = make_stats([5, 40, 10, 20])
    blend = FixedScores([10, 20, 30, 40], [0.9, 0.2, 0.8, 0.7])
    spec = RowSpec("popular-in-drama", "Popular in Drama", "popular-in", 2)

    for taste in (
        make_taste(catalog, stats, None, {"blend": {"blend": blend}}),
        make_taste(catalog, stats, make_person(), {"blend": {"blend": blend}}),
        make_taste(catalog, stats, make_person({10: 4.0})),
    ):
        picks = Page(taste, [spec], 4).row("popular-in-drama")
        assert [pick.movie_id for pick in picks] == [m for m in (20, 40, 30, 10) if not taste.excluded[m // 10 - 1]]


def test_new_in_catalog_without_a_content_model_prefers_the_genres_the_person_likes():
    catalog = make_catalog([["Drama"], ["Action"], ["Comedy"], ["Action"], ["Drama"]])
    person = make_person({10: 5.0})  # likes Drama
    taste = make_taste(catalog, make_stats([3, 0, 0, 50, 0]), person)

    picks = Page(taste, [RowSpec("new-in-catalog", "New", "new-in-catalog")], 3).row("new-in-catalog")

    assert [pick.movie_id for pick in picks] == [50, 20, 30]  # 40 has too many ratings to be "new", 10 is rated
    assert picks[0].reason == "New in the catalog, and you like Drama"
    assert picks[1].reason == "New in the catalog"


def test_trending_needs_a_few_recent_ratings_and_says_how_many_in_plain_words():
    catalog = make_catalog([["Drama"]] * 4)
    stats = make_stats([50, 50, 50, 50])
    stats = RatingStats(**{**stats.__dict__, "recent_counts": np.array([1, 2, 3, 7])})
    taste = make_taste(catalog, stats)

    picks = Page(taste, [RowSpec("trending", "Trending now", "trending")], 4).row("trending")

    assert [pick.movie_id for pick in picks] == [40, 30]  # one or two ratings are not a trend
    assert picks[0].reason == "Trending: 7 ratings in the last 30 days"


class FixedStars(FixedScores):
    """An explicit model that predicts fixed stars."""

    estimates_ratings = True

    def predict(self, history, items):
        return self.score(history, items)


def test_new_in_catalog_leaves_out_what_the_stars_expect_the_person_to_dislike():
    # Given four new movies, the stars predicting 2.3 and 3.1 for two of them and nothing for one
    catalog = make_catalog([["Drama"]] * 4)
    stars = FixedStars([10, 20, 30], [4.2, 2.3, 3.1])
    taste = make_taste(catalog, make_stats([0, 0, 0, 0]), make_person(), {"stars": {"hybrid": stars}})

    picks = Page(taste, [RowSpec("new-in-catalog", "New", "new-in-catalog")], 4).row("new-in-catalog")

    # Then the ones predicted under 3.5 stars are not suggested; the one the stars cannot score stays
    assert sorted(pick.movie_id for pick in picks) == [10, 40]


def test_a_visitor_gets_everyones_average_and_no_prediction():
    catalog = make_catalog([["Drama"]] * 2)
    stars = FixedStars([10, 20], [4.2, 2.3])
    taste = make_taste(catalog, make_stats([4, 0], means=[3.75, 3.5]), None, {"stars": {"hybrid": stars}})

    picks = Page(taste, [RowSpec("popular", "Popular", "popular")], 2).row("popular")

    assert [(pick.predicted_rating, pick.average) for pick in picks] == [(None, (3.75, 4))]


class CountingStars(FixedStars):
    """FixedStars that records which movies each ``predict`` call was asked about, and can fail."""

    def __init__(self, item_ids, scores, *, fails: bool = False) -> None:
        super().__init__(item_ids, scores)
        self.asked: list[list[int]] = []
        self.fails = fails

    def predict(self, history, items):
        self.asked.append(np.asarray(items).tolist())
        if self.fails:
            raise RuntimeError("broken model")
        return super().predict(history, items)


def test_a_rows_cards_predict_their_own_stars_in_one_call_not_the_whole_catalogs():
    # Given six movies, the stars knowing five of them, and a Top picks row of three
    catalog = make_catalog([["Drama"]] * 6)
    stars = CountingStars([10, 20, 30, 40, 50], [4.21, 2.3, 3.14, 4.0, 1.5])
    blend = FixedScores([10, 20, 30, 40, 50, 60], [0.6, 0.5, 0.1, 0.2, 0.3, 0.9])
    families = {"stars": {"hybrid": stars}, "blend": {"blend": blend}}
    taste = make_taste(catalog, make_stats([1] * 6), make_person(), families)

    picks = Page(taste, [RowSpec("top-picks", "Top picks", "top-picks")], 3).row("top-picks")

    # Then the three cards were predicted together, and carry the stars the whole catalog's predictions give
    assert [pick.movie_id for pick in picks] == [60, 10, 20]
    assert stars.asked == [[10, 20]]  # 60 is unknown to the stars: no prediction, as over the whole catalog
    assert [pick.predicted_rating for pick in picks] == [None, 4.21, 2.3]
    assert [taste.predicted_at(p) for p in range(6)] == [4.21, 2.3, 3.14, 4.0, 1.5, None]


def test_once_a_row_needed_the_whole_catalogs_stars_the_cards_read_them_from_there():
    catalog = make_catalog([["Drama"]] * 3)
    stars = CountingStars([10, 20, 30], [4.5, 4.0, 3.0])
    taste = make_taste(catalog, make_stats([1, 1, 1]), make_person(), {"stars": {"hybrid": stars}})

    assert taste.predicted is not None  # what Hidden gems asks for
    picks = Page(taste, [RowSpec("popular", "Popular", "popular")], 2).row("popular")

    assert stars.asked == [[10, 20, 30]]
    assert [pick.predicted_rating for pick in picks] == [4.5, 4.0]


def test_a_second_row_of_the_page_predicts_the_whole_catalog_once_instead_of_a_call_per_row():
    catalog = make_catalog([["Drama"]] * 4)
    stars = CountingStars([10, 20, 30, 40], [4.5, 4.0, 3.0, 2.0])
    taste = make_taste(catalog, make_stats([9, 8, 7, 6]), make_person(), {"stars": {"hybrid": stars}})
    page = Page(taste, [RowSpec("popular", "Popular", "popular"), RowSpec("trending", "Trending", "trending")], 2)

    first, second = page.row("popular"), page.row("trending")

    assert stars.asked == [[10, 20], [10, 20, 30, 40]]
    assert [pick.predicted_rating for pick in first + second] == [4.5, 4.0, 3.0, 2.0]
    assert [taste.predicted_at(p) for p in range(4)] == [4.5, 4.0, 3.0, 2.0] and len(stars.asked) == 2


def test_a_failing_star_predictor_leaves_the_cards_without_stars_and_the_row_served(caplog):
    catalog = make_catalog([["Drama"]] * 2)
    stars = CountingStars([10, 20], [4.5, 4.0], fails=True)
    taste = make_taste(catalog, make_stats([2, 1]), make_person(), {"stars": {"hybrid": stars}})

    picks = Page(taste, [RowSpec("popular", "Popular", "popular")], 2).row("popular")

    assert [(pick.movie_id, pick.predicted_rating) for pick in picks] == [(10, None), (20, None)]
    assert "fixed failed to predict" in caplog.text


def test_a_snoozed_movie_is_hidden_everywhere_for_30_days_then_may_return():
    import time

    catalog = make_catalog([["Drama"]] * 3)
    now, day = time.time(), 86_400.0
    for days_ago, hidden in ((1, True), (29, True), (31, False)):
        snoozed = {"snoozed": [(20, now - days_ago * day)]}
        person = PersonState(user_id=1, history=History.empty(), feedback=snoozed, favourite_genres=())
        taste = make_taste(catalog, make_stats([50, 40, 30]), person)

        popular = Page(taste, [RowSpec("popular", "Popular", "popular")], 3).row("popular")

        assert bool(taste.excluded[1]) is hidden
        assert (20 in [pick.movie_id for pick in popular]) is not hidden


def test_a_movie_marked_not_a_seed_keeps_its_rating_but_grows_no_row_and_leaves_the_fold_in_history():
    catalog = make_catalog([["Drama"], ["Comedy"], ["Action"], ["Drama"]])
    person = make_person({10: 5.0, 20: 5.0}, feedback={"not_a_seed": [20]})
    taste = make_taste(catalog, make_stats([5, 5, 5, 5]), person)

    assert [int(catalog.ids[p]) for p in taste.because_seeds] == [10]
    assert taste.history.item_ids.tolist() == [10]  # what the models fold in
    assert taste.excluded[1]  # still rated: never recommended back
    assert 1 not in taste.liked


# -- the person's controls: recommender switcher and taste dials --------------------------------------------------


def controlled_taste(prefs, *, families=None, genres=None, years=None, counts=None):
    from dataclasses import replace

    from recommender.rows.inputs import Preferences

    n = 8
    catalog = make_catalog(genres or [["Drama"]] * n)
    if years is not None:
        catalog = replace(catalog, years=np.array(years, dtype=float))
    blend = FixedScores(list(catalog.ids), [0.9 - 0.1 * i for i in range(n)])  # 10 first, 80 last
    person = make_person({})
    person = PersonState(person.user_id, person.history, person.feedback, (), Preferences(**prefs))
    return make_taste(catalog, make_stats(counts or [10] * n), person, {"blend": {"blend": blend}, **(families or {})})


def top(taste, n=4):
    return [pick.movie_id for pick in Page(taste, [RowSpec("top-picks", "Top", "top-picks")], n).row("top-picks")]


def test_default_controls_leave_top_picks_exactly_the_blends_order_and_title():
    taste = controlled_taste({})

    assert top(taste) == [10, 20, 30, 40]
    np.testing.assert_array_equal(taste.top_picks, taste.blend)
    assert signed_in_specs(taste)[0].title == "Top picks for you"


def test_the_switcher_ranks_top_picks_by_the_chosen_model_and_says_so():
    content = FixedScores(list(range(10, 90, 10)), [0.1 * i for i in range(8)])  # the reverse order
    chosen = controlled_taste({"source": "content"}, families={"content": {"content": content}})
    missing = controlled_taste({"source": "next"})  # no sequence model active: the blend answers

    assert top(chosen) == [80, 70, 60, 50]
    assert signed_in_specs(chosen)[0].title == "Top picks for you · By content"
    assert top(missing) == [10, 20, 30, 40] and signed_in_specs(missing)[0].title == "Top picks for you"


def test_the_popularity_dial_moves_top_picks_towards_hidden_gems_or_popular_films():
    counts = [80, 70, 10, 9, 8, 7, 6, 5]  # 10 and 20 are the blockbusters
    gems = top(controlled_taste({"popularity": 1.0}, counts=counts))
    popular = top(controlled_taste({"popularity": -1.0}, counts=counts))

    assert popular == [10, 20, 30, 40]
    assert gems[0] == 30 and 20 not in gems  # the blend's favourites that few people rated come first


def test_the_recency_dial_prefers_recent_films_or_classics():
    years = [1950, 1951, 1952, 1953, 2020, 2019, 2018, 2017]  # the blend prefers the old films
    recent = top(controlled_taste({"recency": 1.0}, years=years))
    classics = top(controlled_taste({"recency": -1.0}, years=years))

    assert classics == [10, 20, 30, 40] and 50 in recent
    assert "more recent" in signed_in_specs(controlled_taste({"recency": 1.0}, years=years))[0].title


def test_the_adventure_dial_varies_the_genres_in_the_row():
    genres = [["Drama"], ["Drama"], ["Drama"], ["Drama"], ["Comedy"], ["Action"], ["Drama"], ["Comedy"]]
    familiar = top(controlled_taste({}, genres=genres))
    adventurous = top(controlled_taste({"adventure": 0.8}, genres=genres))

    def kinds(ids):
        return {genres[i // 10 - 1][0] for i in ids}

    assert kinds(familiar) == {"Drama"}
    assert kinds(adventurous) == {"Drama", "Comedy", "Action"} and adventurous[0] == 10  # the best still leads
