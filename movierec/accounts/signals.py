"""Account events: a new password signs every device out (all of the person's API tokens end with the old
password), and logging out says so."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from movierec.accounts.models import DeviceToken


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_password_change(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        instance._password_changed = False
        return
    stored = get_user_model().objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_tokens_on_password_change(sender, instance, created, **kwargs) -> None:
    if not created and getattr(instance, "_password_changed", False):
        DeviceToken.objects.filter(user=instance).delete()
        instance._password_changed = False


@receiver(user_logged_out)
def _say_goodbye(sender, request, user, **kwargs) -> None:
    """Logging out lands on the home page: say it worked (the message outlives the flushed session)."""
    if request is not None:
        # fail_silently: a logout outside a page (the test client, a script) has no message storage.
        messages.info(request, "You are logged out. See you soon!", fail_silently=True)
