"""The `barapp` command: serve, migrate, import, export, bartender, shelf."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from barapp.cocktails import derived, transfer
from barapp.settings import Settings, SettingsError, load_settings
from barapp.shelf import transfer as shelf_transfer
from barapp.staff import accounts
from barapp.store import db

T = TypeVar("T")


def _fail(message: str, code: int = 2) -> None:
    print(f"barapp: {message}", file=sys.stderr)
    raise SystemExit(code)


async def _with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    engine = db.make_engine(settings)
    db.use_engine(engine)
    derived.keep_in_step()
    await db.start(engine)
    try:
        return await work()
    finally:
        await db.stop(engine)


async def _migrate_quietly() -> None:
    # Piccolo prints a banner per app; keep it for when something goes wrong.
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            await db.migrate()
    except Exception:
        print(output.getvalue(), file=sys.stderr)
        raise
    # Rows derived by another barapp's knowledge base (or none yet) are derived again.
    rederived = await derived.rederive()
    if rederived:
        print(f"barapp: {rederived} cocktails' strength and allergens derived again")


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_with_database(settings, _migrate_quietly))
    print("barapp: database is up to date")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    if not settings.is_postgres:
        # The embedded default is one process: migrating here is safe. With PostgreSQL several
        # workers may start at once, so migrations are a deploy step (`barapp migrate`).
        asyncio.run(_with_database(settings, _migrate_quietly))
    print(f"barapp: serving {settings.bar_name} on http://{args.host}:{args.port}")
    uvicorn.run(
        "barapp.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        log_level="info",
        # uvicorn's own default believes X-Forwarded-For from 127.0.0.1 (or its
        # FORWARDED_ALLOW_IPS): anything on the machine could choose the address limits count
        # by. Only TRUSTED_PROXIES decides; empty, no forwarded header is read at all.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    path = Path(args.file)
    refused = f"{path} was not imported, nothing changed"
    try:
        # Bytes: the import says which line is not UTF-8, and skips a BOM (parse_file).
        data = path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    try:
        entries = transfer.parse_file(data)
    except transfer.ImportRejected as exc:
        _fail(f"{refused}: {exc}", 1)

    async def work() -> transfer.ImportSummary:
        await _migrate_quietly()
        return await transfer.import_entries(entries)

    try:
        summary = asyncio.run(_with_database(settings, work))
    except transfer.ImportRejected as exc:
        _fail(f"{refused}: {exc}", 1)
    print(f"barapp: imported {path}: {summary.created} added, {summary.updated} updated")


def cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    async def work() -> str:
        await _migrate_quietly()  # a fresh install exports an empty list, not an error
        return await transfer.export_text()

    _write_out(asyncio.run(_with_database(settings, work)), args.file, "exported")


def _write_out(text: str, file: str | None, done: str) -> None:
    """An export to standard output (no file, or "-") or to the file, saying so on stderr."""
    if file in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(file).write_text(text, encoding="utf-8")
        print(f"barapp: {done} to {file}", file=sys.stderr)


def cmd_shelf(settings: Settings, args: argparse.Namespace) -> None:
    if args.action == "export":
        _shelf_export(settings, args)
    else:
        _shelf_import(settings, args)


def _shelf_export(settings: Settings, args: argparse.Namespace) -> None:
    async def work() -> str:
        await _migrate_quietly()
        return await shelf_transfer.export_text()

    _write_out(asyncio.run(_with_database(settings, work)), args.file, "shelf exported")


def _shelf_import(settings: Settings, args: argparse.Namespace) -> None:
    path = Path(args.file)
    refused = f"{path} was not imported, the shelf is unchanged"
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    try:
        shelf = shelf_transfer.parse_file(data)
    except shelf_transfer.ShelfImportRejected as exc:
        _fail(f"{refused}: {exc}", 1)

    async def work() -> None:
        await _migrate_quietly()
        await shelf_transfer.import_file(shelf, only=args.replace)

    asyncio.run(_with_database(settings, work))
    count = len(shelf.known) + len(shelf.customs)
    removed = ", every other item removed" if args.replace else ""
    print(f"barapp: shelf imported from {path}: {count} items{removed}")


def read_password(name: str) -> str:
    """Asked twice at a terminal; from a script, the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        _fail("the two passwords differ; nothing changed")
    return first


def cmd_bartender(settings: Settings, args: argparse.Namespace) -> None:
    async def work() -> list[str]:
        await _migrate_quietly()
        if args.action == "list":
            return await accounts.names()
        if args.action == "add":
            await accounts.add(args.name, args.password)
        elif args.action == "set-password":
            await accounts.set_password(args.name, args.password)
        else:
            await accounts.remove(args.name)
        return []

    if args.action in ("add", "set-password"):
        args.password = read_password(args.name)
    try:
        names = asyncio.run(_with_database(settings, work))
    except accounts.AccountError as exc:
        _fail(str(exc), 1)
    if args.action == "list":
        print("\n".join(names) if names else "barapp: no bartender yet (barapp bartender add NAME)")
    else:
        done = {"add": "added", "set-password": "has a new password", "remove": "removed"}
        print(f"barapp: bartender {args.name.strip().lower()} {done[args.action]}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="barapp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app (migrates the embedded SQLite first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    imp = sub.add_parser("import", help="load cocktails from a JSON file (all or nothing)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)
    exp = sub.add_parser("export", help="write every cocktail as JSON (stdout by default)")
    exp.add_argument("file", nargs="?")
    exp.set_defaults(func=cmd_export)
    bartender = sub.add_parser("bartender", help="accounts: add, list, remove, set-password")
    actions = bartender.add_subparsers(dest="action", required=True)
    for action, text in (
        ("add", "create an account (asks the password twice, or reads it from stdin)"),
        ("set-password", "change a password (logs that bartender out everywhere)"),
        ("remove", "delete an account"),
    ):
        actions.add_parser(action, help=text).add_argument("name")
    actions.add_parser("list", help="the accounts' names")
    bartender.set_defaults(func=cmd_bartender)
    shelf = sub.add_parser("shelf", help="the bar's shelf: export, import (JSON)")
    shelf_actions = shelf.add_subparsers(dest="action", required=True)
    shelf_exp = shelf_actions.add_parser(
        "export", help="write the shelf as JSON (stdout by default)"
    )
    shelf_exp.add_argument("file", nargs="?")
    shelf_imp = shelf_actions.add_parser(
        "import", help="load a shelf file (all or nothing; items it does not name are kept)"
    )
    shelf_imp.add_argument("file")
    shelf_imp.add_argument(
        "--replace", action="store_true", help="remove the items the file does not name"
    )
    shelf.set_defaults(func=cmd_shelf)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")
    args.func(settings, args)


if __name__ == "__main__":
    main()
