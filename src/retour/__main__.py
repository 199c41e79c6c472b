"""The `retour` command: Django's management commands with Retour's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # Our commands read better with dashes (`retour demo-data`); Django modules use underscores.
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
