"""The image's HEALTHCHECK: GET /healthz of the bot's health and metrics server.

Uses METRICS_PORT (default 9464) on 127.0.0.1, whatever METRICS_LISTEN is (0.0.0.0 also
answers on loopback); exits 0 when the bot runs and its database answers, else 1.
"""

import os
import sys
import urllib.request

port = os.environ.get("METRICS_PORT", "9464")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:  # URLError and HTTPError (503) are OSErrors
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
