from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        # Connects the signal that drops a cached user whenever the user row is saved, in every
        # process, whether or not it has signed anyone in yet.
        from accounts import backends  # noqa: F401
