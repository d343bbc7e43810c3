"""compose.yaml cannot be started here (no Docker): check what can be checked without it, that
its environment is what the settings read and does what the README's scale-out section says."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO_DIR / "compose.yaml").read_text())


def _resolved(value: str) -> str:
    """${NAME:-default} -> default, ${NAME:?message} -> a stand-in value, as compose would with an .env."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
    return re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "compose-test-secret-" + "k" * 40, value)


def _names_the_settings_read() -> set[str]:
    """Environment variable names read by cliper_site/settings.py and by the pipeline's settings."""
    names = set()
    sources = [REPO_DIR / "cliper_site" / "settings.py", *sorted((REPO_DIR / "pipeline").rglob("*.py"))]
    for path in sources:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.value)
            ):
                names.add(node.value)
    config = REPO_DIR / "pipeline" / "config.py"
    if config.exists():  # pydantic-settings fields read CLIPER_<FIELD>
        for node in ast.walk(ast.parse(config.read_text())):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add("CLIPER_" + node.target.id.upper())
    return names


def test_every_variable_compose_sets_is_one_the_settings_read(compose):
    read = _names_the_settings_read()
    for service in APP_SERVICES:
        unknown = set(compose["services"][service]["environment"]) - read
        assert not unknown, f"{service} sets variables nothing reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_web_and_workers_get_the_shared_database_broker_media_and_key(compose, service, tmp_path):
    spec = compose["services"][service]
    env = {name: _resolved(value) for name, value in spec["environment"].items()}
    env["CLIPER_MEDIA_ROOT"] = str(tmp_path / "media")  # the container's /media, here
    probe = (
        "import json; from django.conf import settings as s; "
        "db = s.DATABASES['default']; "
        "print(json.dumps({'engine': db['ENGINE'], 'host': db['HOST'], 'name': db['NAME'], "
        "'broker': s.Q_CLUSTER.get('redis'), 'orm': s.Q_CLUSTER.get('orm'), 'workers': s.Q_CLUSTER['workers'], "
        "'media': str(s.MEDIA_ROOT), 'key': s.SECRET_KEY, 'hosts': s.ALLOWED_HOSTS}))"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='cliper_site.settings'; django.setup(); {probe}",
        ],
        cwd=REPO_DIR,
        env={"PATH": "/usr/bin:/bin", "CLIPER_DATA_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["engine"].endswith("postgresql") and (seen["host"], seen["name"]) == ("db", "cliper")
    assert seen["broker"] == "redis://redis:6379/0" and seen["orm"] is None
    assert seen["media"] == str(tmp_path / "media") and seen["key"].startswith("compose-test-secret-")
    assert "localhost" in seen["hosts"] and "*" not in seen["hosts"]
    if service == "worker":
        assert seen["workers"] == 1


def test_every_app_container_mounts_the_one_media_volume_where_settings_look(compose):
    for service in APP_SERVICES:
        spec = compose["services"][service]
        media_root = spec["environment"]["CLIPER_MEDIA_ROOT"]
        assert f"media:{media_root}" in spec["volumes"], service
        assert spec["build"] == "." and spec["image"] == "cliper"  # one image, built from the Dockerfile
        assert {"db", "redis"} <= set(spec["depends_on"])
    assert "media" in compose["volumes"] and compose["services"]["worker"]["deploy"]["replicas"] >= 2


def test_the_commands_exist_in_the_image_the_dockerfile_builds(compose):
    dockerfile = (REPO_DIR / "Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile and "scripts/setup.sh" in dockerfile  # .venv/ lands in /app
    commands = " ".join(
        " ".join(spec["command"]) if isinstance(spec["command"], list) else spec["command"]
        for spec in (compose["services"][s] for s in APP_SERVICES)
    )
    for name in re.findall(r"manage\.py (\w+)", commands):
        if name != "migrate":
            assert (REPO_DIR / "clips" / "management" / "commands" / f"{name}.py").exists(), name
    assert "gunicorn cliper_site.wsgi" in commands and (REPO_DIR / "cliper_site" / "wsgi.py").exists()
    assert re.search(r"^gunicorn==", (REPO_DIR / "requirements.lock").read_text(), re.M)
