"""The settings home: what a tenant admin configures, and where."""
from __future__ import annotations

from django.shortcuts import render

from console.access import tenant_admin_required


@tenant_admin_required
def index(request):
    return render(request, "console/index.html", {"section": "index"})
