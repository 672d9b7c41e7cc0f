"""Input checks for the browse, similar-movies and movie pages."""

from __future__ import annotations

from typing import Any

from django import forms

from catalog.models import Genre, Movie

YEAR_MIN, YEAR_MAX = 1870, 2100


class BrowseForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Title")
    genre = forms.ModelChoiceField(
        queryset=Genre.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="All genres",
        error_messages={"invalid_choice": "There is no such genre."},
    )
    year_min = forms.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX, label="From year")
    year_max = forms.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX, label="To year")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("-popularity", "Most popular"),
            ("-rating", "Highest rated"),
            ("title", "Title A-Z"),
            ("-year", "Newest"),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or "-popularity"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("year_min"), data.get("year_max")
        if low is not None and high is not None and low > high:
            self.add_error("year_max", "The end year must not be before the start year.")
        return data


class SimilarKindForm(forms.Form):
    similar = forms.ChoiceField(
        required=False,
        choices=[("collaborative", "People who liked it also liked"), ("content", "Similar in content")],
        label="Similar movies",
    )

    def clean_similar(self) -> str:
        return self.cleaned_data["similar"] or "collaborative"


class FinderForm(SimilarKindForm):
    """The "type a title, get similar movies" widget: ``q`` suggests titles, ``movie`` picks one."""

    q = forms.CharField(required=False, max_length=100, label="Movie title")
    movie = forms.ModelChoiceField(
        queryset=Movie.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "There is no movie with that id."},
    )
