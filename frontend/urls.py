from django.urls import path

from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("session/", views.session, name="session"),
    path("music/soundfont.sf2", views.soundfont, name="soundfont"),
]
