from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import personal_data
        from .emails import ERASED_ADDRESS
        from .models import OutboundEmail

        def export_emails(user):
            return [
                {
                    "template": m.template,
                    "subject": m.subject,
                    "status": m.status,
                    "created_at": m.created_at.isoformat(),
                }
                for m in OutboundEmail.objects.filter(to=user.email).order_by("created_at")
            ]

        def erase_emails(user):
            OutboundEmail.objects.filter(to=user.email).update(to=ERASED_ADDRESS, context={})

        personal_data.register("emails", export=export_emails, erase=erase_emails)
