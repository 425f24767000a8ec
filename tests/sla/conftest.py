import os

import django
from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings

# Property tests of the business calendar compare it with a brute-force reference that steps
# minute by minute, so single examples can take tens of milliseconds: no per-example deadline.
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The calendar is a pure core and its tests also run with the Django plugin disabled
# (`pytest tests/sla/test_calendar*.py -p no:django`). The shared fixtures of tests/conftest.py
# still touch settings and translations around every test, so give them a bare configuration
# then; with the plugin enabled, pytest-django has set DJANGO_SETTINGS_MODULE and this is skipped.
if not django_settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    django_settings.configure()
    django.setup()
