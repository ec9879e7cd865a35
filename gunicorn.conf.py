"""Gunicorn settings for production (the container's command is plain `gunicorn`).

Every value can be overridden by the environment variable named beside it, so one image fits a
small and a large host. Lookups wait on Elasticsearch or SQLite, so sync workers are enough; the
Elasticsearch client bounds every request (2 s, one retry), far inside the worker timeout.
"""

import os

# lookup.wsgi turns a bad setting into one line and a boot-error exit, so gunicorn stops
# instead of restarting workers in a loop.
wsgi_app = "lookup.wsgi:app"

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Chosen from bench/api_bench.py (README there, "Lean lookup path"): plate lookups, small demo
# set, 2 cores shared with other work (load average 7 to 10), 5 interleaved rounds each.
# - Workers: a lookup is CPU-bound except for its audit sync (one fdatasync, a few hundred µs),
#   so a few more workers than cores keep the cores busy while one waits on the disk. Server
#   CPU per lookup was the same with 2 and 4 sync workers (1,260 and 1,305 µs; lookup/healthz
#   ratio 0.366 and 0.356, within noise); a quiet outside run measured 5 workers at x1.03-1.26
#   the requests/s of 2. Hence 2 x cores + 1 (5 on 2 cores); each worker keeps its own answer
#   cache (DIPCHECK_ANSWER_CACHE_MB). After the second pass (same README, "Second pass"), 5
#   workers served 1,824 lookups/s at 930 µs of server CPU each (medians of 5 rounds), against
#   1,550 to 1,770/s at 891 to 1,017 µs for 2 workers in their unhindered rounds.
# - Worker class: gthread (2 workers x 4 threads, keep-alive) used as much CPU per lookup as
#   sync (1,281 against 1,260 µs) and saved a few system calls (84 against 93 per request
#   with 8 connections), not enough to give up sync workers' isolation (a stuck request holds
#   one process, not a thread beside others); set GUNICORN_WORKER_CLASS=gthread to try it.
# - Keep-alive: sync workers close each connection after its response, so keep-alive applies
#   to gthread only; behind a proxy that pools upstream connections, 5 s (gunicorn's default is
#   2) outlasts the proxy's idle pauses between lookups without holding threads for long.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1" if worker_class == "sync" else "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (with jitter, so they do not all restart at once): at about a
# thousand lookups a second per host, 50,000 is a restart every minute or so, not every second.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = 5000
# Each worker builds its own app: no Elasticsearch client or SQLite connection crosses a fork.
preload_app = False
# Heartbeat files in memory: a container's overlay file system can stall them. Gunicorn creates
# them itself with private, unpredictable names.
SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHM if os.path.isdir(SHM) else None

# No access log: the app logs each request by its URL rule (lookup/http/logs.py). Should one be
# turned on (--access-logfile), this logger class writes the route there, never the path or query
# (they carry plates and ID numbers), and keeps the request out of gunicorn's own error lines.
# Errors go to stderr.
logger_class = "lookup.http.gunicorn_logging.RouteOnlyLogger"
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# Trust X-Forwarded-* only from the proxy in front (set to its address; "*" inside a private
# network where only the proxy can reach the app).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_request(worker: object, req: object) -> None:
    """Log nothing here: gunicorn's default hook logs each request's path (at debug level)."""
