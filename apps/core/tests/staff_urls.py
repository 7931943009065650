"""The project's URLs plus one staff-only endpoint, to test IsStaffMember before real ones exist."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsStaffMember
from titanobova_project.urls import urlpatterns as project_urlpatterns


class StaffOnlyView(APIView):
    permission_classes = [IsStaffMember]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/v1/staff-only/", StaffOnlyView.as_view()), *project_urlpatterns]
