"""`retour serve` prepares in the master process what every worker would otherwise do on its
first request."""

import os
import subprocess
import sys

SERVE_WITHOUT_LISTENING = """
import sys
import django
django.setup()
from retour.core.management.commands import serve
serve._Gunicorn.run = lambda self: print("urlconf", "retour.urls" in sys.modules)
from django.core.management import call_command
call_command("serve", "--port", "0")
"""


def test_the_urlconf_is_imported_before_the_workers_are_forked(tmp_path):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "retour.settings",
        "RETOUR_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SERVE_WITHOUT_LISTENING],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "urlconf True" in done.stdout
