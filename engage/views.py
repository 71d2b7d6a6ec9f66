from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from engage.permissions import login_required, permission_required
from engage.selectors import system_health, worker_last_seen_seconds


@never_cache
@require_GET
def healthz(request):
    health = system_health()
    healthy = "error" not in health.values()
    # Informational only: a quiet worker never makes the web process look unhealthy.
    last_seen = worker_last_seen_seconds() if health["database"] == "ok" else None
    return JsonResponse(
        {"status": "ok" if healthy else "error", **health, "worker_last_seen": last_seen},
        status=200 if healthy else 503,
    )


@login_required
def dashboard(request):
    return render(request, "engage/dashboard.html")


@permission_required("engage.view_stakeholder")
def staff_home(request):
    return render(request, "engage/staff_home.html")
