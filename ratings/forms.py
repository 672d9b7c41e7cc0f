"""Input checks for the rating, feedback, onboarding and data pages. They validate; services write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Genre, Movie
from ratings.choices import TopPicksSource
from ratings.models import MAX_SCORE, Feedback
from ratings.services import score_validate


class MovieForm(forms.Form):
    movie = forms.ModelChoiceField(
        queryset=Movie.objects.all(),
        error_messages={"invalid_choice": "There is no movie with that id.", "required": "Say which movie."},
    )


class RatingForm(MovieForm):
    score = forms.CharField(max_length=8, error_messages={"required": "Pick a score from 0.5 to 5."})

    def clean_score(self) -> float:
        try:
            return score_validate(self.cleaned_data["score"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["score"]) from None


class FeedbackForm(MovieForm):
    kind = forms.ChoiceField(choices=Feedback.Kind.choices)
    # A card posts what it showed (why, predicted stars) so the server can draw the same card again after the
    # change: the reason is display text for the person who sent it, never stored.
    card = forms.BooleanField(required=False)
    reason = forms.CharField(required=False, max_length=300)
    predicted = forms.FloatField(required=False, min_value=0, max_value=MAX_SCORE)


class RatingListForm(forms.Form):
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("recent", "Recently rated"),
            ("oldest", "Oldest first"),
            ("best", "Highest score"),
            ("worst", "Lowest score"),
            ("title", "Title"),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or "recent"


class GenresForm(forms.Form):
    # Slugs, not ids: a value is matched as text, so no input can overflow an integer column.
    genres = forms.ModelMultipleChoiceField(
        queryset=Genre.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Favourite genres",
        help_text="Pick any number; you can skip this.",
    )


class DeleteDataForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, delete all my ratings and feedback",
        error_messages={"required": "Tick the box to confirm; nothing has been deleted."},
    )


class PreferencesForm(forms.Form):
    """The recommender switcher and the three taste dials (see ratings.choices)."""

    top_picks_source = forms.ChoiceField(label="Make my Top picks", choices=TopPicksSource.choices)
    dial_popularity = forms.FloatField(label="Popular or hidden gems", min_value=-1, max_value=1)
    dial_adventure = forms.FloatField(label="Familiar or adventurous", min_value=0, max_value=1)
    dial_recency = forms.FloatField(label="Classics or recent", min_value=-1, max_value=1)
