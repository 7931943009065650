from django.apps import AppConfig


class AdminPanelConfig(AppConfig):
    name = "apps.admin_panel"
    label = "admin_panel"
    verbose_name = "Admin panel"

    def ready(self) -> None:
        from apps.core import personal_data
        from apps.core.signals import staff_notification

        from .personal_data import erase_notifications
        from .services import notification_create_for_staff

        def on_staff_notification(sender, *, kind, title, body="", link="", **kwargs):
            notification_create_for_staff(kind=kind, title=title, body=body, link=link)

        staff_notification.connect(on_staff_notification, dispatch_uid="admin_panel.staff_notification")
        # Before the contacts section (order 100), which anonymises the messages this finds.
        personal_data.register("staff_notifications", export=None, erase=erase_notifications, erase_order=10)
