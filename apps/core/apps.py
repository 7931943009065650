from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import personal_data
        from .emails import outbox_erase_person, outbox_export_person

        personal_data.register("emails", export=outbox_export_person, erase=outbox_erase_person)
