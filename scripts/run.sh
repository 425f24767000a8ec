#!/usr/bin/env bash
# Development run: migrate, load the demo, then the web server, a Celery worker and beat.
# Ctrl-C (or SIGTERM) stops all three and waits for them.
#
# Each service runs in a session of its own (so in its own process group, away from the
# terminal): stopping the group takes its children too (runserver's reloader, worker pool
# processes), and a Ctrl-C in the terminal reaches only this script, which then stops the three
# services itself and waits until they have exited.
#
# Environment: VENV (default .venv), HOST, PORT, DATABASE_URL, CELERY_BROKER_URL, REDIS_URL,
# WORKER_POOL (default threads), WORKER_CONCURRENCY (default 2), DEBUG (default true here),
# LOG_DIR (default var/log: the worker's and beat's logs).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
PY="$VENV/bin/python"
CELERY="$VENV/bin/celery"
URL="http://$HOST:$PORT"
LOG_DIR=${LOG_DIR:-var/log}

# Development server: DEBUG serves the static files straight from the apps (no collectstatic).
export DEBUG=${DEBUG:-true}
export PYTHONUNBUFFERED=1

mkdir -p "$LOG_DIR"

"$PY" manage.py migrate --noinput
"$PY" manage.py seed_demo

# Reach the broker once before the worker and beat start. On the embedded SQLAlchemy broker this
# also creates its tables, which the two would otherwise race to create ("table already exists").
"$PY" - <<'EOF'
from helpdesk.celery import app

with app.connection_for_write() as connection:
    connection.ensure_connection(max_retries=5)
    if connection.transport_cls.startswith("sqla"):
        connection.default_channel.session.close()
EOF

# The web server's port must be free, or the worker and beat would start for nothing.
if "$PY" - "$HOST" "$PORT" <<'EOF'
import socket, sys
with socket.socket() as s:
    s.settimeout(1)
    sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
EOF
then
    echo "Port $PORT on $HOST is already in use: stop what runs there or choose PORT=..." >&2
    exit 1
fi

declare -A PIDS=()

# detached COMMAND... &: COMMAND becomes the leader of a new session, so its pid ($!) is also
# its process group. exec: the background subshell itself turns into COMMAND.
detached() {
    exec "$PY" -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

stop_all() {
    trap - INT TERM
    set +e
    local pid pids alive=""
    pids=$(jobs -p)
    echo
    echo "Stopping: ${!PIDS[*]}"
    # jobs -p: every service started, even one whose pid was not recorded yet when Ctrl-C came.
    # A service still starting has no group of its own yet: then signal the process itself.
    for pid in $pids; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    done
    # Celery finishes the task in hand on SIGTERM (warm shutdown); give everything 15 s.
    for _ in $(seq 150); do
        alive=$(for pid in $pids; do
                    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null && echo "$pid"
                done)
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for pid in $alive; do
        echo "Process group $pid did not stop in 15 s: killing it."
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    echo "Stopped."
}

# Prints the HTTP status of a URL; fails while nothing answers there.
probe() {
    "$PY" - "$1" <<'EOF' 2>/dev/null
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    sys.exit(1)
EOF
}

trap 'stop_all; exit 0' INT TERM

detached "$CELERY" -A helpdesk worker --loglevel=INFO --pool="${WORKER_POOL:-threads}" \
    --concurrency="${WORKER_CONCURRENCY:-2}" --hostname="worker@%h" \
    </dev/null >"$LOG_DIR/worker.log" 2>&1 &
PIDS[worker]=$!
detached "$CELERY" -A helpdesk beat --loglevel=INFO --pidfile= \
    </dev/null >"$LOG_DIR/beat.log" 2>&1 &
PIDS[beat]=$!
detached "$PY" manage.py runserver "$HOST:$PORT" </dev/null &
PIDS[web]=$!

# Print the logins once the page answers, so they are the last thing on the screen.
for _ in $(seq 600); do
    if page_status=$(probe "$URL/login/"); then
        [ "$page_status" = 200 ] || echo "Warning: $URL/login/ answered HTTP $page_status." >&2
        "$PY" manage.py demo_logins --url "$URL"
        echo "  Worker and beat log to $LOG_DIR/worker.log and $LOG_DIR/beat.log. Ctrl-C stops everything."
        echo
        break
    fi
    for name in "${!PIDS[@]}"; do
        kill -0 "${PIDS[$name]}" 2>/dev/null || break 2
    done
    sleep 0.5
done

# Stay until Ctrl-C, or until one of the services dies (then stop the others and say why).
set +e
while true; do
    for name in "${!PIDS[@]}"; do
        if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
            wait "${PIDS[$name]}" 2>/dev/null
            echo "$name exited (status $?)." >&2
            [ -f "$LOG_DIR/$name.log" ] && tail -n 30 "$LOG_DIR/$name.log" >&2
            stop_all
            exit 1
        fi
    done
    sleep 1
done
