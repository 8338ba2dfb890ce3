"""gunicorn settings for CoreSync (production and the loopback servers of the load test,
the HTTP benchmark and Schemathesis). See docs/decisions/0001-production-server.md.

Command-line options (``--bind``, ``--workers``) override these.
"""

import os

# ASGI workers: uvicorn's protocol on uvloop and httptools (the "auto" choices once the
# two are installed), accepting connections so that they spread over the workers, each
# with TCP_NODELAY (coresync/server.py).
worker_class = "coresync.server.SpreadingUvicornWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
bind = os.environ.get("BIND", "0.0.0.0:8000")
# Idle keep-alive connections are kept 30 s: longer than a load balancer's idle timeout
# (60 s balancers need a higher value), or the server may close one as it is reused.
keepalive = int(os.environ.get("KEEP_ALIVE_SECONDS", "30"))
graceful_timeout = 30
timeout = 60
accesslog = None
