"""Video uploads: the size limit enforced while the request arrives, temporary files on the media
file system, and stored names we generate (the uploader's name is only a title)."""

import os
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.urls import reverse

from pipeline.fetch import human_bytes

# Containers ffprobe is allowed to open for an upload (pipeline.probe checks the format too).
VIDEO_EXTENSIONS = (
    "mp4",
    "m4v",
    "mov",
    "mkv",
    "webm",
    "avi",
    "mpg",
    "mpeg",
    "ts",
    "mts",
    "m2ts",
    "3gp",
    "ogv",
    "wmv",
    "flv",
)
UPLOAD_FIELD = "upload"
# Room for the form's other fields in the body next to the file.
FORM_FIELDS_BYTES = 64 * 1024


def max_upload_bytes() -> int:
    return settings.CLIPER["MAX_UPLOAD_BYTES"]


def too_big_message() -> str:
    return f"The file is larger than the {human_bytes(max_upload_bytes())} limit."


def upload_temp_dir() -> Path:
    """Temporary upload files live on the media file system, so storing one is a rename, not a
    copy of gigabytes from /tmp (which may be small, or RAM)."""
    directory = Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.MEDIA_ROOT) / "tmp-uploads")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class _MediaTemporaryFile(TemporaryUploadedFile):
    def __init__(self, name, content_type, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=upload_temp_dir())
        UploadedFile.__init__(self, file, name, content_type, 0, charset, content_type_extra)


class LimitedUploadHandler(FileUploadHandler):
    """Streams the video field of the new-video form to a temporary file and stops the request
    as soon as it is known to be over the limit: by its Content-Length before a byte of the file
    is read, else when the bytes written pass the limit. Any other file, on any other URL or
    from a user who may not add videos, is skipped unread. The refusal is left on
    request.upload_refused for the view to show."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.allowed = self._may_upload()
        self.over_limit = content_length > max_upload_bytes() + FORM_FIELDS_BYTES
        return None  # the multipart parser reads the fields (the CSRF token comes first)

    def _may_upload(self) -> bool:
        request = self.request
        if request is None or request.path_info != reverse("video_new"):
            return False
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.has_perm("clips.add_video"))

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if not self.allowed or field_name != UPLOAD_FIELD:
            raise StopUpload(connection_reset=True)
        if self.over_limit:
            self._refuse()
        self.written = 0
        self.file = _MediaTemporaryFile(file_name, content_type, charset, content_type_extra)

    def receive_data_chunk(self, raw_data, start):
        self.written += len(raw_data)
        if self.written > max_upload_bytes():
            self._discard()
            self._refuse()
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self):
        self._discard()

    def _discard(self):
        if hasattr(self, "file"):
            path = self.file.temporary_file_path()
            self.file.close()
            Path(path).unlink(missing_ok=True)
            del self.file

    def _refuse(self):
        self.request.upload_refused = too_big_message()
        # Stop reading: the rest of the body is never received, let alone stored.
        raise StopUpload(connection_reset=True)


def stored_name(uploaded_name: str) -> str:
    """The name an upload is stored under: random, with the (checked) extension lower-cased.
    The name the uploader chose never reaches the file system."""
    extension = os.path.splitext(uploaded_name)[1].lower().lstrip(".")
    if extension not in VIDEO_EXTENSIONS:
        raise ValueError(f"not a video extension: {extension!r}")
    return f"{uuid.uuid4().hex}.{extension}"
