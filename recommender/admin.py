from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from movierec.permissions import ACTIVATE, RETRAIN
from recommender import online
from recommender.models import Experiment, Inspection, ModelVersion, TrainingState
from recommender.training import family_rollback, training_request, version_activate


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "family", "status", "headline_metrics", "n_ratings", "fit_seconds", "eval_seconds",
                    "created", "activated"]  # fmt: skip
    list_filter = ["family", "status"]
    date_hierarchy = "created"
    actions = ["retrain_now", "activate", "roll_back"]
    readonly_fields = [field.name for field in ModelVersion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training runs only

    # The actions need our own permissions, not merely a view of the list (allowed_permissions below).
    def has_retrain_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETRAIN)

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACTIVATE)

    @admin.display(description="Holdout (NDCG@10 / HR@10 / RMSE)")
    def headline_metrics(self, version: ModelVersion) -> str:
        parts = []
        for algorithm, figures in (version.metrics or {}).items():
            values = [figures.get(key) for key in ("ndcg@10", "hr@10", "rmse")]
            parts.append(f"{algorithm} " + " / ".join("–" if value is None else f"{value:.3f}" for value in values))
        return "; ".join(parts) or "–"

    @admin.action(description="Retrain now (the selected versions' families)", permissions=["retrain"])
    def retrain_now(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for family in sorted(set(queryset.values_list("family", flat=True))):
            if training_request(family=family):
                self.message_user(request, f"Enqueued a {family} retrain.", messages.SUCCESS)
            else:
                self.message_user(request, f"Could not enqueue a {family} retrain: is the broker up?", messages.ERROR)

    @admin.action(description="Activate the selected version", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        version = queryset.get()
        if version_activate(version=version):
            self.message_user(request, f"{version} is now serving.", messages.SUCCESS)
        else:
            self.message_user(request, f"{version} has no saved artifact and cannot be activated.", messages.ERROR)

    @admin.action(
        description="Roll back to the previously active version (the selected versions' families)",
        permissions=["activate"],
    )
    def roll_back(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for family in sorted(set(queryset.values_list("family", flat=True))):
            previous = family_rollback(family=family)
            if previous:
                self.message_user(request, f"{family}: {previous} is serving again.", messages.SUCCESS)
            else:
                self.message_user(request, f"{family}: no earlier version with files to go back to.", messages.ERROR)


@admin.register(TrainingState)
class TrainingStateAdmin(admin.ModelAdmin):
    list_display = ["family", "pending_changes", "last_change_at", "queued_at", "claimed_by", "last_heartbeat",
                    "backoff_until"]  # fmt: skip
    readonly_fields = [field.name for field in TrainingState._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    """The inspector's visit log: read only, kept as written."""

    list_display = ["created", "staff", "subject", "subject_label", "subject_id"]
    list_filter = ["subject"]
    search_fields = ["subject_label", "staff__username"]
    date_hierarchy = "created"
    readonly_fields = [field.name for field in Inspection._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Inspection | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Inspection | None = None) -> bool:
        return False


class ExperimentForm(forms.ModelForm):
    class Meta:
        model = Experiment
        fields = ["name", "kind", "arm_a", "arm_b"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        saved = ModelVersion.objects.filter(family="blend").exclude(artifact_path="")
        for field in ("arm_a", "arm_b"):
            self.fields[field].queryset = saved

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("arm_a") and cleaned.get("arm_a") == cleaned.get("arm_b"):
            self.add_error("arm_b", "The two arms must be different versions.")
        if Experiment.objects.filter(status=Experiment.Status.RUNNING).exists():
            self.add_error("name", "Another experiment is running; stop it first.")
        return cleaned


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """Start an experiment by adding one (it runs at once); stop it with the action. Results: the link."""

    form = ExperimentForm
    list_display = ["name", "kind", "arm_a", "arm_b", "status", "started", "stopped", "results"]
    list_filter = ["status", "kind"]
    actions = ["stop"]

    def get_readonly_fields(self, request: HttpRequest, obj: Experiment | None = None) -> list[str]:
        return ["name", "kind", "arm_a", "arm_b", "status", "started", "stopped", "created_by"] if obj else []

    def save_model(self, request: HttpRequest, obj: Experiment, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        online.forget()

    @admin.display(description="Results")
    def results(self, experiment: Experiment) -> str:
        return format_html('<a href="{}">results</a>', reverse("recommender:experiment", args=[experiment.pk]))

    @admin.action(description="Stop the selected experiments (everyone returns to the active model)")
    def stop(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        for experiment in queryset.filter(status=Experiment.Status.RUNNING):
            online.experiment_stop(experiment)
            self.message_user(request, f"Stopped {experiment.name}.", messages.SUCCESS)
