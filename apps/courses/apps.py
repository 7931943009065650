from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CoursesConfig(AppConfig):
    name = "apps.courses"
    label = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from apps.core import personal_data

        from . import personal_data as courses_data
        from .cache import on_catalogue_change
        from .models import Course, Enrollment, Lesson
        from .services import on_figures_change

        for model in (Course, Lesson):
            post_save.connect(on_catalogue_change, sender=model, dispatch_uid=f"catalogue-save-{model.__name__}")
            post_delete.connect(on_catalogue_change, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}")
        for model in (Lesson, Enrollment):
            post_save.connect(on_figures_change, sender=model, dispatch_uid=f"figures-save-{model.__name__}")
            post_delete.connect(on_figures_change, sender=model, dispatch_uid=f"figures-delete-{model.__name__}")
        personal_data.register("enrolments", export=courses_data.export_enrolments)
        personal_data.register(
            "certificates", export=courses_data.export_certificates, erase=courses_data.erase_certificates
        )
