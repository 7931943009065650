"""HTTP for the founders' view: the dashboard and staff notifications (staff only, 2FA rule)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsStaffMember
from apps.core.routing import UUID_PATH_REGEX

from . import selectors, services
from . import serializers as s

ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")
STAFF_ERRORS = {401: ERROR, 403: ERROR}


class DashboardView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses={200: s.DashboardSerializer, **STAFF_ERRORS}, operation_id="admin_dashboard")
    def get(self, request: Request) -> Response:
        """The business at a glance: users, contacts, courses, enrolments, revenue and security."""
        return Response(selectors.dashboard_figures())


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, unread first."""

    permission_classes = [IsStaffMember]
    serializer_class = s.NotificationSerializer
    lookup_value_regex = UUID_PATH_REGEX  # anything else is no such notification (404)

    def get_queryset(self):
        return selectors.notifications_for(user=self.request.user)

    @extend_schema(request=None, responses={200: s.NotificationSerializer, 404: ERROR, **STAFF_ERRORS})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: s.ReadAllSerializer, **STAFF_ERRORS})
    @action(detail=False, methods=["post"])
    def read_all(self, request: Request) -> Response:
        return Response({"marked_read": services.notifications_mark_all_read(user=request.user)})
