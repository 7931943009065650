from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("payments/payments", views.PaymentViewSet, basename="payments")
router.register("payments/invoices", views.InvoiceViewSet, basename="invoices")

urlpatterns = [
    path("payments/create_payment_intent/", views.CreatePaymentIntentView.as_view(), name="payments-create-intent"),
    path("payments/webhook/", views.StripeWebhookView.as_view(), name="payments-webhook"),
    *router.urls,
]
