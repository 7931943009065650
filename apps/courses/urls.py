from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("courses/courses", views.CourseViewSet, basename="courses")
router.register(r"courses/courses/(?P<course_pk>[^/.]+)/lessons", views.LessonViewSet, basename="lessons")
router.register("courses/enrollments", views.EnrollmentViewSet, basename="enrollments")
router.register("courses/enrollment-requests", views.EnrollmentRequestViewSet, basename="enrollment-requests")
router.register("courses/certificates", views.CertificateViewSet, basename="certificates")

urlpatterns = router.urls
