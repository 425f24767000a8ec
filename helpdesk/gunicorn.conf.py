"""gunicorn's settings for the web process (Procfile and docker-compose.yml use this file).

Environment: ``HOST``/``PORT`` (default 0.0.0.0:8000), ``WEB_CONCURRENCY`` worker processes
(default 2 per core is gunicorn's usual advice; 3 here), ``WEB_THREADS`` threads per worker.
"""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# The access log is the application's own (helpdesk.logs.RequestContextMiddleware): one line per
# request with its request id and tenant, in the same format as every other line.
accesslog = None
# Behind the TLS proxy: trust its X-Forwarded-* headers (the proxy is the only way in).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
