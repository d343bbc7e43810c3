"""The three roles, as Django groups with model permissions (created by a data migration)."""

EDITOR, APPROVER, ADMIN = "Editor", "Approver", "Admin"

ROLE_PERMISSIONS = {
    EDITOR: ["view_video", "add_video", "view_clip", "view_copy", "change_copy"],
    APPROVER: ["view_video", "add_video", "view_clip", "view_copy", "approve_clip", "download_clip"],
    ADMIN: [
        "view_video",
        "add_video",
        "change_video",
        "delete_video",
        "view_clip",
        "change_clip",
        "delete_clip",
        "approve_clip",
        "download_clip",
        "view_copy",
        "change_copy",
        "view_stagerun",
        "change_stagerun",
    ],
}


def can_edit(user) -> bool:
    return user.has_perm("clips.change_copy")


def can_approve(user) -> bool:
    return user.has_perm("clips.approve_clip")


def can_download(user) -> bool:
    return user.has_perm("clips.download_clip")


def is_admin(user) -> bool:
    return user.is_superuser or user.groups.filter(name=ADMIN).exists()


def ensure_roles(group_model, permission_model) -> None:
    """Creates the groups with their permissions; idempotent (used by the data migration)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(permission_model.objects.filter(content_type__app_label="clips", codename__in=codenames))
