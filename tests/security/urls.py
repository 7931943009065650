"""The project's URLs plus an API view that fails, for the 500 response's headers."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from titanobova_project.urls import urlpatterns as project_urlpatterns


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("security suite: an unexpected error")


urlpatterns = [path("api/v1/security-boom/", boom), *project_urlpatterns]
