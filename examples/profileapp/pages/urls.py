from django.urls import path

from . import views

urlpatterns = [
    path("", views.ProfileView.as_view(), name="profile"),
    path("notes/", views.notes, name="notes"),
    path("api/notes/", views.notes_api, name="notes_api"),
    path("health/", views.health, name="health"),
]
