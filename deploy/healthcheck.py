"""Container health check: GET /health/live/ on this container's gunicorn (Docker HEALTHCHECK).

Sends the first ALLOWED_HOSTS name as Host, since Django answers 400 to any other; /health/ is
exempt from the HTTPS redirect, so no X-Forwarded-Proto is needed. Exit 0 when it answers 200.
"""

import os
import sys
import urllib.request

host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
request = urllib.request.Request(f"http://127.0.0.1:{port}/health/live/", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
