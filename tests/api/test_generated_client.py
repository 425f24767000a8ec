"""A client generated from the live schema (openapi-python-client) runs a CRM round trip against the
live server, and the round trip type-checks with ``mypy --strict`` against the generated package.

Both tools run offline, as subprocesses, into a temporary directory.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

ROUND_TRIP = Path(__file__).parent / "generated_client" / "crm_round_trip.py"
BIN = Path(sys.executable).parent
# PDF documents are bytes to the client; no formatter runs after generation (nothing is fetched).
CONFIG = """\
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
"""


def _run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "NO_COLOR": "1"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def _generate(live_server, token: str, where: Path) -> Path:
    request = urllib.request.Request(live_server.url + "/api/v1/schema/", headers={
        "Authorization": f"Bearer {token}", "Accept": "application/vnd.oai.openapi+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        (where / "schema.json").write_bytes(response.read())
    (where / "config.yaml").write_text(CONFIG)
    output = _run([str(BIN / "openapi-python-client"), "generate", "--path", "schema.json", "--meta", "none",
                   "--output-path", "helpdesk_client", "--config", "config.yaml"], where)
    # A warning means part of the schema could not be turned into code.
    assert "Warning" not in output and "Unable to" not in output, output
    return where / "helpdesk_client"


def test_generated_client_round_trip(live_server, alpha, tmp_path):
    from billing.models import Package
    from tests.factories import PlanFactory
    from tickets.models import Ticket

    PlanFactory(tenant=alpha.world.tenant, code="pakiet", terms={
        "service_calendar": alpha.world.calendar, "billing_mode": "package", "price_net": Decimal("450.00"),
        "package_minutes": 180, "package_validity_months": 3})
    _generate(live_server, alpha.token, tmp_path)

    script = tmp_path / "crm_round_trip.py"
    script.write_text(ROUND_TRIP.read_text())
    _run([str(BIN / "mypy"), "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / ".mypy_cache"),
          "crm_round_trip.py"], tmp_path)

    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("crm_round_trip")
        ids = module.run(live_server.url, alpha.token, package_plan="pakiet", tag="1")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "crm_round_trip" or n.startswith("helpdesk_client")]:
            del sys.modules[name]

    ticket = Ticket.objects.get(pk=ids["ticket"])
    assert ticket.tenant == alpha.world.tenant and ticket.external_id == "CASE-GEN-1" and ticket.critical
    assert Package.objects.get(pk=ids["package"]).organization_id == ids["buyer"]
