from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("users/sessions", views.SessionViewSet, basename="sessions")
router.register("users", views.UserViewSet, basename="users")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    *router.urls,
]
