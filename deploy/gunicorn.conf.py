"""gunicorn for Emotional Echoes' pages and REST (WSGI), behind nginx (deploy/nginx/echoes.conf).

    gunicorn -c deploy/gunicorn.conf.py echoes_site.wsgi:application

Command-line options override these (`--bind`, `--workers`). WebSockets are not served
here: nginx sends /ws/ to daphne.

Sync workers, one request at a time each, with persistent database connections: under
WSGI a worker's thread lives as long as the worker, so its connection is reused for every
request (Django closes it after DATABASE_CONN_MAX_AGE seconds, and checks it before reuse:
CONN_HEALTH_CHECKS). PostgreSQL then holds at most one connection per worker. Under ASGI
the same setting leaks a connection per request thread, which is why daphne keeps the
default of 0 (docs/api.md, "Database connections").
"""

import multiprocessing
import os

# Persistent connections for the WSGI workers unless the operator chose otherwise; the
# application_name tells these connections apart in pg_stat_activity.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
os.environ.setdefault("DATABASE_APPLICATION_NAME", "echoes-wsgi")

bind = "127.0.0.1:8001"
# Sync workers are CPU-bound here (serialisation, ranking): about one per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request that takes longer is killed (and logged); nginx waits 60 s.
timeout = 30
graceful_timeout = 20
# nginx speaks HTTP/1.0-style short requests to sync workers; keep-alive is not used.
keepalive = 2
# Recycle workers now and then (memory growth of long-lived processes), not all at once.
max_requests = 5000
max_requests_jitter = 500
# Load Django once in the master and fork workers from it: a recycled worker serves at once
# instead of importing the project under load (a 1-2 s stall seen as p99 spikes). Database
# and cache connections are opened lazily, in each worker, after the fork.
preload_app = True
# Heartbeat files on tmpfs, not on a disk that may stall.
worker_tmp_dir = "/dev/shm"
# X-Forwarded-* are set by nginx on the same host; the app itself counts proxies with
# TRUSTED_PROXIES (echoes_site/client_address.py).
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = None  # nginx logs requests
errorlog = "-"
loglevel = "warning"
proc_name = "echoes-wsgi"
