#!/usr/bin/env python
"""Django's command-line utility for leapdash."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leapdash.settings")
    if sys.argv[1:2] == ["simulate_campaign"]:
        # the simulation runs with nothing configured: its own profile, its own database
        os.environ.setdefault("ENV_FILE", "leapdash/profiles/simulation.env")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
