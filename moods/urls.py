from django.urls import path

from moods import views

app_name = "moods"

urlpatterns = [
    path("history/", views.history, name="history"),
    path("history/chart.png", views.history_chart, name="history-chart"),
]
