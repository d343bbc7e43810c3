import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Creates the first admin account when there is none (password from CLIPER_ADMIN_PASSWORD or generated)."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        username = os.getenv("CLIPER_ADMIN_USER", "admin")
        password = os.getenv("CLIPER_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        shown = "from CLIPER_ADMIN_PASSWORD" if os.getenv("CLIPER_ADMIN_PASSWORD") else password
        self.stdout.write(self.style.SUCCESS(f"Created admin account '{username}', password: {shown}"))
        if not os.getenv("CLIPER_ADMIN_PASSWORD"):
            self.stdout.write("Write it down: it is shown only this once.")
