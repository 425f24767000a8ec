"""The SLA tests; hypothesis profiles come from tests/conftest.py."""
import os

import django
from django.conf import settings as django_settings

# The calendar is a pure core and its tests also run with the Django plugin disabled
# (`pytest tests/sla/test_calendar*.py -p no:django`). The shared fixtures of tests/conftest.py
# still touch settings and translations around every test, so give them a bare configuration
# then; with the plugin enabled, pytest-django has set DJANGO_SETTINGS_MODULE and this is skipped.
if not django_settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    django_settings.configure()
    django.setup()
