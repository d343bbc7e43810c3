"""Login with throttling: after a few failed attempts an account (and, more loosely, the client
address) is locked out for a while, so passwords cannot be guessed at web speed."""

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError


def _key(kind: str, value: str) -> str:
    return f"login-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


class Throttled:
    """Mixin for an AuthenticationForm: counts failures in the cache shared by all web processes."""

    def _counters(self) -> dict[str, int]:
        """cache key -> failures allowed: per username, and a looser one per client address."""
        limit = settings.LOGIN_FAILURE_LIMIT
        username = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return {_key("user", username): limit, _key("addr", address): limit * 4}

    def clean(self):
        counters = self._counters()
        if any(cache.get(key, 0) >= limit for key, limit in counters.items()):
            minutes = max(1, settings.LOGIN_LOCKOUT_S // 60)
            raise ValidationError(f"Too many failed logins. Try again in {minutes} minutes.", code="throttled")
        try:
            return super().clean()
        except ValidationError:
            for key in counters:
                cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_S)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_S)
            raise


class ThrottledAuthenticationForm(Throttled, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(Throttled, AdminAuthenticationForm):
    pass


login = LoginView.as_view(authentication_form=ThrottledAuthenticationForm)
