from django.core.management.base import BaseCommand

from helpdesk.management.commands.seed_demo import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url, **options):
        self.stdout.write(f"\n  Helpdesk is running at {url}/\n")
        self.stdout.write(f"  Every demo login has the password: {DEMO_PASSWORD}\n")
        for role, login, where in demo_logins():
            self.stdout.write(f"    {role:<40} {login:<38} {url}{where}")
        self.stdout.write("")
