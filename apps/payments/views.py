"""HTTP for payments: intents, the Stripe webhook, history, refunds and invoice PDFs."""

from django.db import transaction
from django.http import HttpResponse
from django.utils.http import parse_header_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsStaffMember
from apps.core.private_files import private_file_ensure, private_file_response
from apps.core.routing import UUID_PATH_REGEX

from . import events, selectors, services
from . import serializers as s
from .invoices import invoice_pdf
from .models import Invoice, Payment
from .tasks import process_stripe_event_task

ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")
AUTH_ERRORS = {401: ERROR, 403: ERROR, 404: ERROR}


def _staff_check(request: Request, view) -> None:
    if request.user.is_authenticated and request.user.is_staff_member:
        IsStaffMember().has_permission(request, view)


class CreatePaymentIntentView(APIView):
    """Start paying for a course: the Stripe PaymentIntent the website confirms with Stripe.js."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PaymentIntentCreateSerializer,
        responses={
            201: s.PaymentIntentSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
            502: ERROR,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = s.PaymentIntentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_intent_create(
            user=request.user,
            course_id=data.get("course"),
            enrollment_id=data.get("enrollment"),
            coupon_code=data.get("coupon", ""),
            billing={key: data.get(f"billing_{key}", "") for key in ("name", "gstin", "state")},
        )
        return Response(s.PaymentIntentSerializer(payment).data, status=status.HTTP_201_CREATED)


class StripeWebhookView(APIView):
    """Stripe's events. Verified by signature, stored once, answered at once, processed by Celery."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: OpenApiResponse(description="{received: true}"), 400: ERROR},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        media_type = parse_header_parameters(request.content_type or "")[0]
        if media_type != "application/json":  # Stripe sends JSON; anything else is not Stripe
            raise UnsupportedMediaType(media_type)
        event, created = events.event_receive(
            payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE", "")
        )
        if created:
            transaction.on_commit(lambda: _enqueue(event.pk))
        return Response({"received": True, "duplicate": not created})


def _enqueue(event_id: str) -> None:
    try:
        process_stripe_event_task.delay(event_id=event_id)
    except Exception:  # the broker is down: the retry beat task picks the stored event up
        import logging

        logging.getLogger(__name__).exception("Could not queue Stripe event %s", event_id)


class PaymentViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    lookup_value_regex = UUID_PATH_REGEX
    queryset = Payment.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, many=True),
            OpenApiParameter("created_after", OpenApiTypes.DATE),
            OpenApiParameter("created_before", OpenApiTypes.DATE),
            OpenApiParameter("user", OpenApiTypes.UUID, description="staff only"),
        ],
        responses={200: s.PaymentSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def list(self, request: Request) -> Response:
        _staff_check(request, self)
        filters = s.PaymentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        page = self.paginate_queryset(
            selectors.payment_list(
                user=request.user,
                status=list(data.get("status") or []),
                created_after=data.get("created_after"),
                created_before=data.get("created_before"),
                user_id=data.get("user"),
            )
        )
        return self.get_paginated_response(s.PaymentSerializer(page, many=True).data)

    @extend_schema(responses={200: s.PaymentSerializer, **AUTH_ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        _staff_check(request, self)
        return Response(s.PaymentSerializer(selectors.payment_for(user=request.user, payment_id=pk)).data)

    @extend_schema(
        request=s.RefundRequestSerializer,
        responses={201: s.RefundSerializer, 400: ERROR, 502: ERROR, **AUTH_ERRORS},
        description="Founders and admins (with 2FA). `amount` in paise; default: everything not refunded yet.",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaffMember])
    def refund(self, request: Request, pk: str) -> Response:
        serializer = s.RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = services.refund_request(
            actor=request.user,
            payment_id=selectors.payment_for(user=request.user, payment_id=pk).pk,
            amount=serializer.validated_data.get("amount"),
            reason=serializer.validated_data["reason"],
        )
        return Response(s.RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class InvoiceViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    lookup_value_regex = UUID_PATH_REGEX
    queryset = Invoice.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["invoice", "credit_note"]),
            OpenApiParameter("status", OpenApiTypes.STR, many=True, description="the payment's status"),
            OpenApiParameter("created_after", OpenApiTypes.DATE, description="issued on or after"),
            OpenApiParameter("created_before", OpenApiTypes.DATE, description="issued on or before"),
            OpenApiParameter("user", OpenApiTypes.UUID, description="staff only"),
        ],
        responses={200: s.InvoiceSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def list(self, request: Request) -> Response:
        _staff_check(request, self)
        filters = s.InvoiceFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        queryset = selectors.invoice_list(
            user=request.user,
            user_id=data.get("user"),
            kind=data.get("kind"),
            status=list(data.get("status") or []),
            created_after=data.get("created_after"),
            created_before=data.get("created_before"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.InvoiceSerializer(page, many=True).data)

    @extend_schema(responses={200: s.InvoiceSerializer, **AUTH_ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        _staff_check(request, self)
        return Response(s.InvoiceSerializer(selectors.invoice_for(user=request.user, invoice_id=pk)).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, **AUTH_ERRORS})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        _staff_check(request, self)
        invoice = selectors.invoice_for(user=request.user, invoice_id=pk)
        # An issued invoice never changes: it is rendered once and kept.
        name = private_file_ensure(name=f"invoices/{invoice.pk}.pdf", build=lambda: invoice_pdf(invoice))
        return private_file_response(
            name=name, filename=f"{invoice.number.replace('/', '-')}.pdf", content_type="application/pdf"
        )
