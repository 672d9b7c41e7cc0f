from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from ratings.models import Feedback, Profile, Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "score", "created", "updated"]
    list_filter = ["score"]
    search_fields = ["user__username", "movie__title"]
    list_select_related = ["user", "movie"]
    autocomplete_fields = ["user", "movie"]
    date_hierarchy = "created"
    show_full_result_count = False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "kind", "created"]
    list_filter = ["kind"]
    search_fields = ["user__username", "movie__title"]
    list_select_related = ["user", "movie"]
    autocomplete_fields = ["user", "movie"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["favourite_genres"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_select_related = ["profile"]
    list_display = [*UserAdmin.list_display, "movielens_id"]

    @admin.display(description="MovieLens id", ordering="profile__movielens_id")
    def movielens_id(self, user) -> int | None:
        profile = getattr(user, "profile", None)
        return profile.movielens_id if profile else None
