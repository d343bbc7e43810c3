from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clips.login import ThrottledAdminAuthenticationForm, login

admin.site.login_form = ThrottledAdminAuthenticationForm

# No password reset: it needs outgoing mail, and an unconfigured one only leaks which accounts
# exist. An admin sets a new password in the admin site (or `manage.py changepassword`).
urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("", include("clips.urls")),
]
