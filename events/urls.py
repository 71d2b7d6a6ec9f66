from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("facilitate/", views.facilitator_home, name="facilitator_home"),
]
