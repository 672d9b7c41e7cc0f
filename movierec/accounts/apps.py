from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "movierec.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from movierec.accounts import signals  # noqa: F401  (connects the password-change revocation)
