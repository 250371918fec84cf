"""The docs say what the code does: the README's commands and the architecture's modules."""

from __future__ import annotations

import re
from pathlib import Path

from barapp.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n")[1].split("```")[0]
    assert [line.split()[:2] for line in first_block.splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert readme.index("## Ollama") < readme.index("## Configuration")


def test_readme_documents_every_cli_command() -> None:
    readme = (ROOT / "README.md").read_text()
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in subcommands:
        assert f"`barapp {name}" in readme, name


def test_architecture_names_only_modules_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`((?:[a-z]+/)?[a-z0-9_]+\.py)`", text))
    package = ROOT / "src" / "barapp"
    modules = {
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    for test_file in {name for name in named if name.startswith("tests/")}:
        assert (ROOT / test_file).exists(), test_file
        named.discard(test_file)
    assert named - modules == set()
    # ...and every module has its line in the table.
    assert modules - named == set()
    for template in re.findall(r"`(_?[a-z_]+\.html)`", text):
        assert (ROOT / "templates" / template).exists(), template


def test_architecture_has_a_section_per_package_and_names_every_table() -> None:
    from barapp.store.tables import TABLES

    text = (ROOT / "docs" / "architecture.md").read_text()
    packages = {p.parent.name for p in (ROOT / "src" / "barapp").glob("*/__init__.py")}
    sections = set(re.findall(r"^## `([a-z]+)/`$", text, re.MULTILINE))
    assert sections == packages
    # Each package's modules are in its own section's table.
    for package in packages:
        section = text.split(f"## `{package}/`", 1)[1].split("\n## ", 1)[0]
        listed = set(re.findall(rf"^\| `{package}/([a-z0-9_]+\.py)`", section, re.MULTILINE))
        on_disk = {p.name for p in (ROOT / "src" / "barapp" / package).glob("*.py")}
        assert listed | {"__init__.py"} >= on_disk, package
    tables = set(re.findall(r"^\| `([A-Z][A-Za-z]+)` \|", text, re.MULTILINE))
    assert tables == {table.__name__ for table in TABLES}


def test_vendored_files_match_their_readme() -> None:
    import hashlib

    readme = (ROOT / "static" / "vendor" / "README.md").read_text()
    for name, digest in re.findall(r"\| `([^`]+\.js)` \|.*\| `([0-9a-f]{64})` \|", readme):
        data = (ROOT / "static" / "vendor" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
    assert "htmx-2.0.11.min.js" in readme and "htmx-ext-sse-2.2.4.min.js" in readme
