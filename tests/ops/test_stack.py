"""The production stack is described twice — the Procfile (run here by scripts/prod.sh and make
prod-smoke) and docker-compose.yml — and the two must run the same processes the same way."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = ("web", "worker", "beat", "mail")


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_exactly_the_procfile_processes():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "release", *LONG_RUNNING}
    assert set(procfile()) == set(LONG_RUNNING)
    for name, command in procfile().items():
        # "$$" in the compose file is a literal "$" for the container's shell.
        shell, flag, compose_command = services[name]["command"]
        assert (shell, flag, compose_command.replace("$$", "$")) == ("sh", "-c", command), name


def test_the_release_step_is_the_same_and_runs_before_every_process():
    services = compose()["services"]
    prod_sh = (ROOT / "scripts" / "prod.sh").read_text()
    release = services["release"]["command"][2]
    for part in release.split(" && "):
        assert part in prod_sh, part
    assert services["release"]["restart"] == "no"
    for name in LONG_RUNNING:
        assert services[name]["depends_on"]["release"]["condition"] == "service_completed_successfully"


def test_every_long_running_service_restarts_and_the_important_ones_are_probed():
    services = compose()["services"]
    for name in ("postgres", "redis", *LONG_RUNNING):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("postgres", "redis", "web", "worker", "mail"):
        assert services[name]["healthcheck"]["test"], name
    # The web container's probe is the liveness one: a stopped worker must not take the web out.
    assert "/healthz/live" in " ".join(services["web"]["healthcheck"]["test"])


def test_one_beat_only():
    services = compose()["services"]
    beats = [name for name, service in services.items() if " beat " in f" {' '.join(service.get('command') or [])} "]
    assert beats == ["beat"]
    assert "replicas" not in (services["beat"].get("deploy") or {})
    assert sum(" beat " in f" {command} " for command in procfile().values()) == 1


def test_the_environment_names_are_the_ones_the_settings_read():
    settings_source = (ROOT / "helpdesk" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\("([A-Z_]+)"', settings_source)) | set(
        re.findall(r'env\("([A-Z_]+)"', settings_source))
    app_env = compose()["x-app"]["environment"]
    unknown = sorted(set(app_env) - read)
    assert unknown == [], f"compose sets variables the settings never read: {unknown}"
    for required in ("PRODUCTION", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_URL"):
        assert required in app_env


def test_the_image_starts_the_web_process_like_the_procfile():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    assert yaml.safe_load(cmd) == procfile()["web"].split()
