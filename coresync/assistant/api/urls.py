"""``/api/v1/assistant/…``."""

from django.urls import path

from coresync.assistant.api import phone, views

urlpatterns = [
    path("messages/", views.MessageView.as_view(), name="assistant-messages"),
    path("phone/twilio/", phone.twilio_voice, name="assistant-phone-twilio"),
    path(
        "conversations/<str:conversation_id>/",
        views.ConversationView.as_view(),
        name="assistant-conversation",
    ),
]
