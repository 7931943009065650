"""gunicorn settings for production (`gunicorn -c deploy/gunicorn.conf.py titanobova_project.wsgi`).

Every value can be overridden from the environment (GUNICORN_*), so the same file serves a
2-core VM, a container with a CPU limit and the tests that run two instances side by side.
https://docs.gunicorn.org/en/stable/settings.html
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Workers from the CPUs this process may use (a container's CPU set, not the host's count).
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else multiprocessing.cpu_count()
workers = _int("GUNICORN_WORKERS", 2 * _cpus + 1)
# Threads let a worker overlap requests that wait on PostgreSQL, Redis, Stripe or SendGrid; keep
# DB_POOL_MAX_SIZE >= threads so no thread waits for a database connection.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)

# A request that takes longer than this is a bug or a stuck dependency: the worker is restarted.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (deploys, `docker stop`), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx keeps upstream connections open; a little longer than nginx's keepalive_timeout upstream.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle each worker after about this many requests (slow leaks can't grow without bound); the
# jitter keeps the workers from all restarting at the same moment. Not lower: a worker restart
# costs a request a few hundred ms (imports, pool), and at 1,000 requests a second a limit of
# 1,000 restarted a worker every second (`make bench` saw the ping's p99 at 450 ms for it).
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)

# Heartbeat files in memory, not on a container's overlay filesystem (a slow disk would make the
# arbiter think a worker hangs).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Access log to stdout, one line per request, with the request id the app answers in
# X-Request-ID (the same id is on every application log line of that request and in nginx's log).
# The path is logged without its query string: e-mailed links carry tokens there.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# X-Forwarded-* are believed from nginx only (Django reads X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER and X-Forwarded-For through TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# Off: each worker imports the app itself after the fork, so no database pool, Redis connection or
# Sentry thread made in the arbiter is ever shared by two processes. GUNICORN_PRELOAD=true saves
# memory if nothing at import time opens a connection.
preload_app = os.environ.get("GUNICORN_PRELOAD", "false").lower() in ("1", "true", "yes")

# gunicorn's runtime control socket (gunicornc) is not used: it would live in the app user's home,
# which is read-only in the image, and several instances on one host would share its path.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "false").lower() not in ("1", "true", "yes")
