"""Configuration from the environment and `.env`: defaults, one-line errors, the secret key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from ollama._client import _parse_host

from barapp.settings import Settings, SettingsError, env_names, load_settings, ollama_base_url

ROOT = Path(__file__).resolve().parents[1]


def load(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **env}, None)


def test_defaults_are_the_embedded_set_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({}, env_file=None)
    assert settings.database_url == "sqlite:///data/barapp.sqlite3"
    assert settings.sqlite_path == Path("data/barapp.sqlite3")
    assert settings.ollama_host == "http://localhost:11434"
    assert settings.default_language == "fr"
    assert settings.effective_image_provider == "illustration"
    # A generated secret, kept beside the database and reused on the next start.
    assert len(settings.secret_key) >= 32
    assert (tmp_path / "data" / "secret_key").read_text().strip() == settings.secret_key
    assert load_settings({}, env_file=None).secret_key == settings.secret_key


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE must be one of fr, en, got 'de'"),
        ({"IMAGE_GEN_ENABLED": "maybe"}, "IMAGE_GEN_ENABLED must be true or false, got 'maybe'"),
        ({"IMAGE_PROVIDER": "dalle"}, "IMAGE_PROVIDER must be one of auto, illustration"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL must start with sqlite:/// or"),
        ({"OLLAMA_HOST": "ftp://box"}, "OLLAMA_HOST must be http:// or https://"),
        ({"OLLAMA_HOST": "box:notaport"}, "OLLAMA_HOST has a bad port"),
        (
            {"OLLAMA_MODELS": "qwen2.5:7b, mistral:7b"},
            "OLLAMA_DEFAULT_MODEL (llama3.1:8b) must be one of OLLAMA_MODELS",
        ),
        ({"STABILITY_API_HOST": "api.stability.ai"}, "STABILITY_API_HOST must be an http(s)://"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 16 characters"),
        ({"BAR_NAME": "x" * 81}, "BAR_NAME must be 1 to 80 characters"),
        ({"TRUSTED_PROXIES": "proxy.lan"}, "TRUSTED_PROXIES must list IP addresses or networks"),
        ({"TRUSTED_PROXIES": "10.0.0.1/8"}, "TRUSTED_PROXIES must list IP addresses or networks"),
        ({"TRUSTED_PROXIES": "*, 10.0.0.1"}, "TRUSTED_PROXIES is either * alone"),
    ],
)
def test_bad_value_names_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load(tmp_path, **env)
    assert str(excinfo.value).startswith(message)
    assert "\n" not in str(excinfo.value)


def test_postgres_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY is required with PostgreSQL"):
        load_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1/test"}, None)
    settings = load_settings(
        {"DATABASE_URL": "postgresql://postgres@127.0.0.1/test", "SECRET_KEY": "k" * 20}, None
    )
    assert settings.is_postgres


def test_values_are_parsed(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        OLLAMA_MODELS=" llama3.1:8b , qwen2.5:7b ,",
        IMAGE_GEN_ENABLED="off",
        IMAGE_PROVIDER="Stability",
        STABILITY_API_KEY="sk-test",
        DEFAULT_LANGUAGE="EN",
        MEDIA_DIR="/srv/media",
    )
    assert settings.ollama_models == ("llama3.1:8b", "qwen2.5:7b")
    assert settings.image_gen_enabled is False
    assert settings.effective_image_provider == "illustration"  # switched off wins
    assert settings.default_language == "en"
    assert settings.media_dir == Path("/srv/media")
    assert load(tmp_path, STABILITY_API_KEY="sk-x").effective_image_provider == "stability"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BAR_NAME=Le Zinc\nDEFAULT_LANGUAGE=en\n")
    settings = load_settings(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "DEFAULT_LANGUAGE": "fr"}, env_file
    )
    assert settings.bar_name == "Le Zinc"
    assert settings.default_language == "fr"


@pytest.mark.parametrize(
    "host",
    [
        "",
        "1.2.3.4",
        ":56789",
        "1.2.3.4:56789",
        "http://1.2.3.4",
        "https://example.com",
        "https://example.com:56789/path/",
        "example.com/path",
        "[0001:002:003:0004::1]:56789",
        "http://localhost:11434",
    ],
)
def test_ollama_host_is_read_like_the_official_client(host: str) -> None:
    assert ollama_base_url(host) == _parse_host(host)


def test_bad_configuration_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "barapp", "migrate"],
        env={"DEFAULT_LANGUAGE": "de", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "barapp: configuration error: DEFAULT_LANGUAGE must be one of fr, en, got 'de'"
    ]


def test_env_demo_and_readme_document_every_variable() -> None:
    demo = (ROOT / ".env.demo").read_text()
    documented = re.findall(r"^([A-Z_]+)=", demo, flags=re.MULTILINE)
    assert documented == env_names()
    readme = (ROOT / "README.md").read_text()
    for name in env_names():
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's table"


def test_env_demo_values_are_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from_demo = load_settings({}, env_file=ROOT / ".env.demo")
    defaults = load_settings({}, env_file=None)
    assert from_demo == defaults
