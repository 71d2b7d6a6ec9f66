from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from engage.account import account_sections
from engage.permissions import login_required, permission_required
from engage.selectors import (
    stakeholder_consents,
    stakeholder_for_user,
    system_health,
    worker_last_seen_seconds,
)


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
@never_cache
def dashboard(request):
    stakeholder = stakeholder_for_user(request.user)
    return render(
        request,
        "engage/dashboard.html",
        {
            "stakeholder": stakeholder,
            "consents": stakeholder_consents(stakeholder) if stakeholder else [],
            "sections": account_sections(request=request, stakeholder=stakeholder),
        },
    )


@permission_required("engage.view_stakeholder")
def staff_home(request):
    return render(request, "engage/staff_home.html")
