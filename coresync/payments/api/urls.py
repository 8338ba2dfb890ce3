from django.urls import path

from coresync.payments.api import views

urlpatterns = [
    path("", views.PaymentListView.as_view(), name="payment-list"),
    path("setup-intent/", views.SetupIntentView.as_view(), name="payment-setup-intent"),
    path("stripe/webhook/", views.StripeWebhookView.as_view(), name="payment-stripe-webhook"),
]
