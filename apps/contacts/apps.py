from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "apps.contacts"
    label = "contacts"
    verbose_name = "Contacts"

    def ready(self) -> None:
        from apps.core import personal_data

        from . import personal_data as ours

        personal_data.register(
            "contact_messages", export=ours.export_contact_messages, erase=ours.erase_contact_messages
        )
        personal_data.register("newsletter", export=ours.export_newsletter, erase=ours.erase_newsletter)
