"""Environment for the test run, applied before Django reads its settings (`-p tests.testenv`).

Tests run with development defaults (upstreams on the sandbox address, insecure key) unless the
caller sets real values. DATABASE_URL and REDIS_URL are only used when set, as in CI.
"""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("NO_HTTPS", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Browser and integration tests reach the dashboard's live server through this name.
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
