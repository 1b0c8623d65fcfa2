from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.recommendations, name="recommendations"),
    path("events/", views.event_create, name="event-create"),
    path("history/", views.history, name="history"),
]
