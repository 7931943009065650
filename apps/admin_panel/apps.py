from django.apps import AppConfig


class AdminPanelConfig(AppConfig):
    name = "apps.admin_panel"
    label = "admin_panel"
    verbose_name = "Admin panel"
