import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Creates the first admin account when there is none (password from CLIPER_ADMIN_PASSWORD, "
        "or generated into a file only its owner can read)."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        username = os.getenv("CLIPER_ADMIN_USER", "admin")
        given = os.getenv("CLIPER_ADMIN_PASSWORD")
        password = given or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if given:
            self.stdout.write(
                self.style.SUCCESS(f"Created admin account '{username}' (password from CLIPER_ADMIN_PASSWORD)")
            )
            return
        # Never on stdout: that ends up in container and service logs.
        path = write_private(Path(settings.DATA_DIR) / "admin_password", password + "\n")
        self.stdout.write(self.style.SUCCESS(f"Created admin account '{username}'; its password is in {path}"))
        self.stdout.write("Log in, change the password (admin site), then delete that file.")


def write_private(path: Path, text: str) -> Path:
    """Write text to path with mode 0600 from the first byte (replacing any old file)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path
