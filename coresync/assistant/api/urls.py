"""``/api/v1/assistant/…``."""

from django.urls import path

from coresync.assistant.api import views

urlpatterns = [
    path("messages/", views.MessageView.as_view(), name="assistant-messages"),
    path(
        "conversations/<str:conversation_id>/",
        views.ConversationView.as_view(),
        name="assistant-conversation",
    ),
]
