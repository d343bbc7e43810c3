"""Ingest from a URL: yt-dlp against a local http.server; unsafe links and playlists refused."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import schemas, stages
from pipeline.errors import Cancelled, InputError
from pipeline.fetch import check_url, fetch
from tests.ingest_support import LocalServer, lavfi_video

REPO_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    lavfi_video(root / "my talk.mp4", seconds=8)
    shutil.copy(root / "my talk.mp4", root / "other.mp4")
    (root / "page.html").write_text("<html><body><p>Just text, no video here.</p></body></html>")
    (root / "two.html").write_text(
        "<html><head><title>Two talks</title></head><body>"
        '<video src="my%20talk.mp4"></video><video src="other.mp4"></video></body></html>'
    )
    with LocalServer(root) as server:
        yield server


def test_it_downloads_a_video_and_reports_bytes_speed_and_eta(site, tmp_path):
    events = []
    dl = tmp_path / "dl"
    path, title = fetch(
        site.url("my%20talk.mp4"), dl, allow_private=True, progress=lambda f, m="": events.append((f, m))
    )
    assert path == dl / "source.mp4"
    assert path.stat().st_size > 1000
    assert title == "my talk"
    downloading = [m for f, m in events if m.startswith("Downloading")]
    assert downloading and any(" MB of " in m for m in downloading)
    assert any("/s" in m for m in downloading) and any("s left" in m for m in downloading)
    fractions = [f for f, m in events]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 1.0
    assert sorted(p.name for p in dl.iterdir()) == ["source.mp4"]  # no temporary leftovers


def test_the_ingest_stage_takes_a_url(site, tmp_path):
    options = schemas.PipelineOptions(source=site.url("my%20talk.mp4"), allow_private_urls=True)
    info = stages.get_stage("ingest").run(tmp_path / "work", options, lambda f, m="": None)
    assert info.media_file == "source.mp4" and info.title == "my talk"
    assert (tmp_path / "work" / "audio.wav").is_file()


def refused(url: str, tmp_path: Path, **kwargs) -> str:
    dl = tmp_path / "dl"
    with pytest.raises(InputError) as caught:
        fetch(url, dl, **{"allow_private": True, **kwargs})
    assert not dl.exists() or not list(dl.iterdir())  # nothing left behind
    return str(caught.value)


def test_a_404_is_refused(site, tmp_path):
    assert "HTTP 404" in refused(site.url("missing.mp4"), tmp_path)


def test_a_page_without_video_is_refused(site, tmp_path):
    assert "No video found at this link" in refused(site.url("page.html"), tmp_path)


def test_a_playlist_is_refused_with_its_first_links(site, tmp_path):
    message = refused(site.url("two.html"), tmp_path)
    assert "playlist" in message and "'Two talks'" in message and "one video at a time" in message
    assert "my%20talk.mp4" in message


def test_a_download_over_the_size_limit_is_refused(site, tmp_path):
    assert "larger than the 5 kB limit" in refused(site.url("my%20talk.mp4"), tmp_path, max_bytes=5000)


def test_cancelling_from_the_progress_callback_stops_the_download(site, tmp_path):
    def cancel(fraction, message=""):
        if message.startswith("Downloading"):
            raise Cancelled()

    with pytest.raises(Cancelled):
        fetch(site.url("my%20talk.mp4"), tmp_path / "dl", allow_private=True, progress=cancel)
    assert list((tmp_path / "dl").iterdir()) == []


def test_private_and_loopback_addresses_are_refused_unless_allowed(site, tmp_path):
    for url in (
        "http://127.0.0.1:9/x.mp4",
        "http://localhost/x.mp4",
        "http://10.1.2.3/v.mp4",
        "http://192.168.0.10/v",
        "http://169.254.169.254/latest",
        "http://[::1]/v.mp4",
    ):
        with pytest.raises(InputError, match="private or local network address"):
            check_url(url, allow_private=False)
    check_url("http://127.0.0.1:9/x.mp4", allow_private=True)
    assert "private or local" in refused(site.url("my%20talk.mp4"), tmp_path, allow_private=False)


def test_only_http_and_https_are_accepted():
    for url in ("ftp://example.com/v.mp4", "file:///etc/passwd", "javascript:alert(1)", "rtmp://x/y"):
        with pytest.raises(InputError, match="Only http:// and https://"):
            check_url(url, allow_private=True)


def test_an_unknown_host_is_refused():
    with pytest.raises(InputError, match="Could not find the server"):
        check_url("https://no-such-host.invalid/video.mp4")


def test_fetch_cli_prints_the_downloaded_path(site, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "fetch", site.url("my%20talk.mp4"), "-o", str(tmp_path / "dl"),
         "--allow-private"],
        capture_output=True, text=True, cwd=REPO_DIR, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "dl" / "source.mp4")


def test_fetch_cli_explains_a_refusal(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "fetch", "http://10.0.0.1/v.mp4", "-o", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO_DIR, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert "private or local network address" in out.stderr
