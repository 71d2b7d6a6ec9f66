from django.shortcuts import render

from events import selectors


def home(request):
    return render(request, "events/home.html", {"meetings": selectors.meetings_upcoming(limit=5)})
