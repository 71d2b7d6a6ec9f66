from django.urls import path

from engage import views

app_name = "engage"

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("staff/", views.staff_home, name="staff_home"),
]
