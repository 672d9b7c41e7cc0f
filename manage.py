#!/usr/bin/env python
"""Django's command-line utility for MovieRec."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reads the settings now, so a bad one is one clear line)
    except ImproperlyConfigured as error:
        sys.exit(f"Configuration error: {error}. Set it in the environment or in .env (see .env.example).")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
