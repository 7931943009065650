from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from apps.core import personal_data

        from . import personal_data as ours
        from . import schema  # noqa: F401  (registers the OpenAPI extension)

        personal_data.register("profile", export=ours.export_profile, erase=ours.erase_account_data)
        personal_data.register("sessions", export=ours.export_sessions)
        personal_data.register("login_attempts", export=ours.export_login_attempts)
        personal_data.register("audit_entries", export=ours.export_audit_entries)
