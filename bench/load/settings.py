"""The product's settings plus the bench's trivial views (``bench/load/trivial.py``).

DJANGO_SETTINGS_MODULE=bench.load.settings
"""

from helpdesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load.trivial"
