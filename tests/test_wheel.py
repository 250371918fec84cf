"""barapp as a real package: the wheel holds templates/, static/ and migrations/ (mapped into
barapp/ by pyproject.toml), and once installed outside the checkout `barapp serve` serves the
gallery with its CSS and applies the migrations."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import server

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("templates", "static", "migrations")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # hatchling is a dev dependency, so the build needs no network and takes about a second.
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = ["pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run(
        [sys.executable, "-m", *pip_wheel, str(ROOT)],
        check=True,
        timeout=120,
    )
    (built,) = out.glob("barapp-*.whl")
    return built


def test_the_wheel_holds_the_app_and_its_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "barapp/cli.py",
        "barapp/templates/base.html",
        "barapp/templates/gallery.html",
        "barapp/static/css/app.css",
        "barapp/static/vendor/htmx-2.0.11.min.js",
        "barapp/static/vendor/htmx-ext-sse-2.2.4.min.js",
        "barapp/static/img/glass.svg",
        "barapp/translations/fr/LC_MESSAGES/messages.po",
    ):
        assert name in names, name
    for folder in MAPPED:
        in_checkout = {
            f"barapp/{path.relative_to(ROOT).as_posix()}"
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        assert in_checkout, folder
        assert in_checkout <= names, folder
    assert any(re.fullmatch(r"barapp/migrations/barapp_[0-9t_]+\.py", name) for name in names)
    # Everything is inside the package or its metadata: no tests/, bench/, top-level folders.
    tops = {name.split("/")[0] for name in names}
    assert tops == {"barapp", f"{wheel.name.split('-py3')[0]}.dist-info"}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert not [name for name in names if "/tests/" in name or "/bench/" in name]
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    assert "barapp = barapp.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel installed (not editable). Its
    dependencies come from this environment's site-packages through a .pth file: that adds the
    folder to sys.path but runs none of the .pth files in it (so not this environment's
    editable barapp), and the venv's own site-packages comes first."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site) / "barapp-test-deps.pth").write_text("".join(f"{path}\n" for path in ours))
    pip_install = ["pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run(
        [sys.executable, "-m", *pip_install, str(wheel)],
        check=True,
        timeout=120,
    )
    return venv


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SECRET_KEY")}
    env.update(
        {
            # A relative path, as the default: the data folder is made in the working directory
            # (and the secret key generated there).
            "DATABASE_URL": "sqlite:///data/barapp.sqlite3",
            "MEDIA_DIR": str(home / "data" / "media"),
            "OLLAMA_HOST": "http://127.0.0.1:9",
            "IMAGE_GEN_ENABLED": "false",
            "DEFAULT_LANGUAGE": "en",
        }
    )
    return env


@pytest.fixture(scope="module")
def served(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("home")
    with (home / "serve.log").open("w") as log:
        try:
            with server(
                _env(home), log, [installed / "bin" / "barapp", "serve"], cwd=home, start_seconds=60
            ) as (_, url):
                yield url, home
        except RuntimeError as exc:
            log.flush()
            pytest.fail(f"{exc}:\n{(home / 'serve.log').read_text()}")


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path) -> None:
    code = "import barapp, barapp.paths as p; print(barapp.__file__, p.TEMPLATES, p.MIGRATIONS)"
    out = subprocess.run(
        [installed / "bin" / "python", "-c", code],
        cwd=installed,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    assert len(out) == 3
    for path in out:
        assert Path(path).resolve().is_relative_to(installed.resolve()), path
        assert Path(path).exists(), path


def test_barapp_serve_from_the_wheel_serves_the_gallery_and_its_css(
    served: tuple[str, Path],
) -> None:
    url, _ = served
    page = httpx.get(f"{url}/cocktails", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    stylesheets = re.findall(r'<link[^>]* rel="stylesheet"[^>]* href="([^"]+)"', page.text)
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page.text)
    assert stylesheets and any("htmx" in src for src in scripts), page.text[:2000]
    for href in stylesheets:
        css = httpx.get(f"{url}{href}", timeout=10)
        assert css.status_code == 200, href
        assert css.headers["content-type"].startswith("text/css"), href
        # Each stylesheet (app.css, and a feature's own, ratings.css) as in the checkout.
        name = href.split("?")[0].removeprefix("/static/")
        assert css.content == (ROOT / "static" / name).read_bytes(), href
    for src in scripts:
        js = httpx.get(f"{url}{src}", timeout=10)
        assert js.status_code == 200, src
        assert "javascript" in js.headers["content-type"], src


def test_barapp_serve_from_the_wheel_applied_every_migration(served: tuple[str, Path]) -> None:
    _, home = served
    assert (home / "data" / "secret_key").is_file()
    with sqlite3.connect(home / "data" / "barapp.sqlite3") as conn:
        applied = conn.execute("SELECT count(*) FROM migration WHERE app_name = 'barapp'")
        (count,) = applied.fetchone()
        conn.execute("SELECT count(*) FROM cocktail").fetchone()
    assert count == len(list((ROOT / "migrations").glob("barapp_*.py")))
