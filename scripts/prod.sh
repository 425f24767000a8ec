#!/usr/bin/env bash
# The production stack without containers: the release step (migrations, static files), then every
# process of the Procfile under honcho (web, worker, beat, the LMTP mail entry). SIGTERM or Ctrl-C
# stops them all. The environment is the production one (PRODUCTION=1, SECRET_KEY, DATABASE_URL,
# CELERY_BROKER_URL, REDIS_URL, EMAIL_URL, ALLOWED_HOSTS…; README "Configuration").
#
#   scripts/prod.sh            release, then run every process
#   scripts/prod.sh release    only the release step (what compose's `release` service runs)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
export PATH="$VENV/bin:$PATH"

release() {
    python manage.py migrate --noinput
    python manage.py collectstatic --noinput --verbosity 0
}

case "${1:-start}" in
    release) release ;;
    # PROCESS_COUNTS (e.g. worker=2) runs more than one of a process; never beat.
    start) release; exec honcho start --no-colour -f Procfile ${PROCESS_COUNTS:+-c "$PROCESS_COUNTS"} ;;
    *) echo "usage: $0 [start|release]" >&2; exit 2 ;;
esac
