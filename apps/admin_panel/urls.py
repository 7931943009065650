from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("admin/notifications", views.NotificationViewSet, basename="admin-notifications")

urlpatterns = [
    path("admin/dashboard/", views.DashboardView.as_view(), name="admin-dashboard"),
    *router.urls,
]
