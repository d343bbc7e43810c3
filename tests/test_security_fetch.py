"""SSRF attacks on URL ingest. Two loopback addresses play the internet: 127.0.0.2 is treated
as public and 127.0.0.1 as the private network (blocked_networks=["127.0.0.1/32"]). A page on
the public one tries every way to make the server fetch from the private one; each must be
refused with nothing downloaded and, where it matters, no request reaching the private server."""

import functools
import http.server
import socket
import threading
from pathlib import Path

import pytest

from pipeline import schemas, stages
from pipeline.errors import InputError
from pipeline.fetch import check_url, fetch
from pipeline.netguard import AddressPolicy
from tests.ingest_support import lavfi_video

BLOCK_PRIVATE_ONLY = ["127.0.0.1/32"]


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, requests, redirects, **kwargs):
        self.requests, self.redirects = requests, redirects
        super().__init__(*args, **kwargs)

    def do_GET(self):
        self.requests.append(self.path)
        if self.path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[self.path])
            self.end_headers()
            return
        super().do_GET()

    def do_HEAD(self):
        self.requests.append(self.path)
        super().do_HEAD()

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server:
    """http.server on a given loopback address that records every path requested."""

    def __init__(self, host: str, directory: Path):
        self.requests: list[str] = []
        self.redirects: dict[str, str] = {}
        handler = functools.partial(
            _Handler, directory=str(directory), requests=self.requests, redirects=self.redirects
        )
        self.server = http.server.ThreadingHTTPServer((host, 0), handler)
        self.host = host
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server.server_port}/{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    private_dir, public_dir = tmp_path_factory.mktemp("private"), tmp_path_factory.mktemp("public")
    lavfi_video(private_dir / "secret.mp4", seconds=6)
    lavfi_video(public_dir / "talk.mp4", seconds=6)
    private = Server("127.0.0.1", private_dir)
    public = Server("127.0.0.2", public_dir)
    secret = private.url("secret.mp4")
    (public_dir / "embed.html").write_text(
        f'<html><title>Talk</title><body><video src="{secret}"></video></body></html>'
    )
    (public_dir / "jsonld.html").write_text(
        '<html><head><title>Long</title><script type="application/ld+json">{"@context": "https://schema.org", '
        f'"@type": "VideoObject", "name": "A long talk", "contentUrl": "{public.url("talk.mp4")}", '
        '"duration": "PT20H", "uploadDate": "2026-01-01"}</script></head><body></body></html>'
    )
    (public_dir / "list.m3u8").write_text(
        f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n{secret}\n#EXT-X-ENDLIST\n"
    )
    public.redirects["/go.mp4"] = secret
    public.redirects["/hop.mp4"] = public.url("go.mp4")  # a redirect chain ending in private
    yield public, private
    public.close()
    private.close()


def refused(url, tmp_path, **kwargs) -> str:
    dl = tmp_path / "dl"
    with pytest.raises(InputError) as caught:
        fetch(url, dl, blocked_networks=BLOCK_PRIVATE_ONLY, **kwargs)
    assert not dl.exists() or list(dl.iterdir()) == []  # nothing downloaded, no leftovers
    return str(caught.value)


def test_a_video_on_the_public_address_downloads(servers, tmp_path):
    public, _ = servers
    path, _title = fetch(public.url("talk.mp4"), tmp_path / "dl", blocked_networks=BLOCK_PRIVATE_ONLY)
    assert path.stat().st_size > 1000


def test_a_public_page_embedding_a_private_video_is_refused(servers, tmp_path):
    public, private = servers
    before = len(private.requests)
    message = refused(public.url("embed.html"), tmp_path)
    assert "private or local network address (127.0.0.1)" in message
    assert private.requests[before:] == []  # not one request reached the private server


def test_a_redirect_to_a_private_address_is_refused(servers, tmp_path):
    public, private = servers
    before = len(private.requests)
    for path in ("go.mp4", "hop.mp4"):
        assert "private or local network address (127.0.0.1)" in refused(public.url(path), tmp_path)
    assert private.requests[before:] == []


def test_an_hls_playlist_with_private_segments_is_refused(servers, tmp_path):
    public, private = servers
    before = len(private.requests)
    assert "private or local network address" in refused(public.url("list.m3u8"), tmp_path)
    assert private.requests[before:] == []


def test_dns_rebinding_is_caught_at_connect_time(servers, tmp_path, monkeypatch):
    """The name answers with the public address while the link is checked (by the form, then
    by fetch), then with the private one when the download connects."""
    public, private = servers
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.2", "127.0.0.2"])
    asked = []

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            host = next(answers, "127.0.0.1")
            asked.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    before = len(private.requests)
    url = f"http://rebind.test:{private.server.server_port}/secret.mp4"
    check_url(url, blocked_networks=BLOCK_PRIVATE_ONLY)  # the first answer looks public
    assert "private or local network address (127.0.0.1)" in refused(url, tmp_path)
    assert asked[:2] == ["127.0.0.2", "127.0.0.2"] and "127.0.0.1" in asked[2:]  # refused when connecting
    assert private.requests[before:] == []


def test_the_duration_in_the_metadata_is_checked_before_downloading(servers, tmp_path):
    public, _ = servers
    before = len(public.requests)
    message = refused(public.url("jsonld.html"), tmp_path, max_duration_s=3600)
    assert "lasts 20 h 00 min" in message and "Nothing was downloaded" in message
    assert "/talk.mp4" not in public.requests[before:]


def test_the_ingest_stage_applies_the_configured_networks(servers, tmp_path):
    public, private = servers
    options = schemas.PipelineOptions(source=public.url("go.mp4"), blocked_networks=BLOCK_PRIVATE_ONLY)
    with pytest.raises(InputError, match="private or local network"):
        stages.get_stage("ingest").run(tmp_path / "work", options, lambda f, m="": None)
    assert not any(p.name.startswith("source.") for p in (tmp_path / "work").iterdir())


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
        "::ffff:169.254.169.254",  # IPv4-mapped metadata service
        "::127.0.0.1",  # IPv4-compatible
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fd00::1",
        "100.64.0.1",
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(address):
    with pytest.raises(InputError, match="private or local network address"):
        check_url(f"http://[{address}]/v.mp4" if ":" in address else f"http://{address}/v.mp4")


def test_ipv6_forms_of_public_addresses_are_allowed():
    policy = AddressPolicy.from_networks()
    for address in ("64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "8.8.8.8", "2606:4700::1111"):
        policy.check(address)


def test_the_policy_allows_everything_when_private_urls_are_allowed(servers, tmp_path):
    _, private = servers
    path, _ = fetch(private.url("secret.mp4"), tmp_path / "dl", allow_private=True)
    assert path.is_file()
