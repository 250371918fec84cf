"""Configuration: one typed object read from the environment and an optional `.env` file.

Every field is named after its environment variable (field `ollama_host` <- `OLLAMA_HOST`).
`.env.demo` and the README's table list the same variables; a test keeps the three in step.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

LANGUAGES = ("fr", "en")
UNIT_SYSTEMS = ("cl", "ml", "oz")
SHELF_MODES = ("free", "prefer", "strict")
IMAGE_PROVIDERS = ("auto", "illustration", "stability", "automatic1111", "openai")
SDXL_SIZES = (
    "1024x1024",
    "1152x896",
    "1216x832",
    "1344x768",
    "1536x640",
    "640x1536",
    "768x1344",
    "832x1216",
    "896x1152",
)
DEFAULT_SQLITE_PATH = "data/barapp.sqlite3"


class SettingsError(ValueError):
    """A bad configuration value; its message is the one line shown at start-up."""


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    """Where cocktails are stored: `sqlite:///relative/or//absolute/path` (the embedded default,
    a file under ./data/) or `postgresql://user:password@host:5432/dbname` for production."""

    ollama_host: str = "http://localhost:11434"
    """Address of the Ollama server, in Ollama's own syntax (`host`, `host:port`,
    `http://host:port`). Without a scheme the port defaults to 11434."""

    ollama_default_model: str = "llama3.1:8b"
    """The model preselected for wishes (must be pulled in Ollama: `ollama pull llama3.1:8b`)."""

    ollama_models: tuple[str, ...] = ()
    """Optional comma-separated allow-list of models guests may pick; empty means every model
    Ollama has installed."""

    ollama_concurrency: int = field(default=1, metadata={"min": 1, "max": 10_000})
    """How many wishes talk to Ollama at once (Ollama's own OLLAMA_NUM_PARALLEL defaults to 1);
    the others wait in order and see their place in the queue."""

    ollama_max_queue: int = field(default=20, metadata={"min": 1, "max": 10_000})
    """How many wishes may wait; past that a guest is asked to try again in a moment."""

    ollama_first_token_timeout: float = field(default=300.0, metadata={"min": 1, "max": 3600})
    """Seconds to wait for the first word, long enough for a cold model to load."""

    ollama_stall_timeout: float = field(default=60.0, metadata={"min": 1, "max": 3600})
    """Seconds without a new word before a generation is given up as stalled."""

    ollama_keep_alive: str = "30m"
    """How long Ollama keeps the model loaded after a wish (`30m`, `1h`, `-1` for ever); the
    first wish after an unload waits for the model to load again."""

    ollama_num_predict: int = field(default=1200, metadata={"min": 100, "max": 32_000})
    """Cap on the tokens of one answer: a runaway model stops there (and the wish fails
    cleanly)."""

    ollama_warm_up: bool = False
    """`true`: load the default model when barapp starts, so the first guest does not wait."""

    image_gen_enabled: bool = True
    """`false` turns network image generation off: every cocktail gets the built-in
    illustration."""

    image_provider: str = field(default="auto", metadata={"choices": IMAGE_PROVIDERS})
    """Who draws the pictures: `stability` (SDXL via Stability AI), `automatic1111`, `openai`
    (any OpenAI-compatible image server), `illustration` (built-in drawing), or `auto`: the
    first of Stability (a key is set), AUTOMATIC1111 (SD_WEBUI_URL), OpenAI-compatible
    (OPENAI_IMAGES_URL), else the illustration."""

    stability_api_key: str = field(default="", repr=False)
    """Stability AI API key (`sk-...`), needed for `stability`."""

    stability_api_host: str = "https://api.stability.ai"
    """Base URL of the Stability AI API."""

    stability_engine: str = "stable-diffusion-xl-1024-v1-0"
    """The Stability v1 engine that draws (SDXL 1.0 by default)."""

    sd_webui_url: str = ""
    """Address of a local AUTOMATIC1111 or Forge server started with `--api`
    (e.g. `http://127.0.0.1:7860`), for `automatic1111`."""

    openai_images_url: str = ""
    """Base URL of an OpenAI-compatible image server, up to `/v1`
    (e.g. LocalAI: `http://127.0.0.1:8080/v1`), for `openai`."""

    openai_images_model: str = "stablediffusion"
    """The model name the OpenAI-compatible image server knows."""

    openai_images_api_key: str = field(default="", repr=False)
    """API key for the OpenAI-compatible image server, if it wants one."""

    image_size: str = field(default="1152x896", metadata={"choices": SDXL_SIZES})
    """Picture size, one SDXL accepts (`1152x896` is close to the cards' 4:3)."""

    image_timeout: float = field(default=120.0, metadata={"min": 5, "max": 1800})
    """Seconds one picture may take before it is retried or given up."""

    image_retries: int = field(default=2, metadata={"min": 0, "max": 10})
    """Retries after a busy (429), server (5xx) or timed-out answer, with growing waits; a bad
    key, no credits or a filtered picture is never retried."""

    image_concurrency: int = field(default=2, metadata={"min": 1, "max": 1000})
    """How many pictures are drawn at once (new drinks' and redrawn ones); the others wait
    their turn. Pictures are drawn outside Ollama's line: a slow image service never delays
    the next guest's recipe."""

    media_dir: Path = Path("data/media")
    """Folder where pictures of the drinks are kept."""

    secret_key: str = field(default="", repr=False)
    """Key that signs cookies. Leave empty on the embedded default: one is generated and kept in
    the data folder. Required with PostgreSQL (all app processes must share it)."""

    public_url: str = ""
    """The address guests' phones reach the bar at, e.g. `https://bar.example` or
    `http://192.168.1.20:8000` (the tablet's `localhost` is no use to a phone). Cocktail pages
    show a QR code to their public page built from it, and shared links (Open Graph) use it;
    empty hides the QR codes, and the settings page says why."""

    barapp_https: bool = False
    """`true` when guests reach the bar over HTTPS (a proxy in front ends TLS): browsers are told
    to always use HTTPS (Strict-Transport-Security). Requests a trusted proxy (TRUSTED_PROXIES)
    marks with `X-Forwarded-Proto: https` get it anyway."""

    trusted_proxies: tuple[str, ...] = ()
    """Comma-separated addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`) of the reverse
    proxies in front of barapp, or `*` for any. Only a connection from one of them may say who
    the guest is (`X-Forwarded-For`) and that they came over HTTPS (`X-Forwarded-Proto`).
    Empty: no forwarded header is believed, and limits count the connection's own address."""

    bar_name: str = "barapp"
    """The bar's name, shown in the header and the page titles."""

    default_language: str = field(default="fr", metadata={"choices": LANGUAGES})
    """UI language when neither the language switch nor the browser decides: `fr` or `en`."""

    unit_system: str = field(default="cl", metadata={"choices": UNIT_SYSTEMS})
    """How recipes show volumes: `cl` (European bars, the IBA), `ml` or `oz` (1 oz = 3 cl).
    Counts (dashes, leaves, bar spoons...) do not convert: they are shown in the reader's
    language, a unit barapp does not know as written."""

    standard_drink_grams: int = field(default=0, metadata={"min": 0, "max": 20})
    """Grams of alcohol in one standard drink, for the count shown beside a drink's strength:
    10 (France, most of Europe, Australia), 14 (the United States), 8 (a UK unit); 0 takes
    it from the bar's language (10 in French, 14 in English)."""

    shelf_mode: str = field(default="free", metadata={"choices": SHELF_MODES})
    """What the model may pour: `free` (anything), `prefer` (the prompt lists what is in stock
    on the bar's shelf and asks for it), `strict` (the answer's grammar only admits in-stock
    ingredients: every new drink can be poured)."""

    guests_may_generate: bool = True
    """`false`: only a logged-in bartender can make wishes; guests browse the gallery."""

    guest_wishes_per_hour: int = field(default=10, metadata={"min": 0, "max": 10_000})
    """Wishes one guest (one browser) may make per hour; 0 means no limit. Bartenders have none."""

    ip_wishes_per_hour: int = field(default=60, metadata={"min": 0, "max": 100_000})
    """Wishes per hour from one network address (all the tablets behind one bar's router count
    together: keep it well above the guests' quota); 0 means no limit."""

    premoderation: bool = False
    """`true`: new cocktails reach the gallery only after a bartender approves them."""

    wish_seconds: int = field(default=180, metadata={"min": 20, "max": 3600})
    """The most time the model may spend on one wish, its one retry included (the wait in the
    line does not count). Past it the answer is cut: kept if it is a drink the bar can pour
    (a name, two ingredients, a step), else the wish fails as too slow and is kept for a retry."""

    kiosk_idle_seconds: int = field(default=90, metadata={"min": 0, "max": 24 * 3600})
    """Seconds without a touch, a key or a scroll after which a guest's tablet goes back to the
    bar's home, in the bar's language, the last guest's wish and drink off the screen; 0 turns
    it off. Never while a bartender is logged in."""

    bartender_session_hours: int = field(default=12, metadata={"min": 1, "max": 24 * 30})
    """How long a bartender stays logged in on a tablet."""

    lease_seconds: float = field(default=30.0, metadata={"min": 1, "max": 3600})
    """How long a process's claim on the wishes and pictures it runs lasts unrenewed (it renews
    it three times as often). When processes share a database, the wishes of one that died are
    marked interrupted by the others this long after; a process stalled longer than this is
    taken for dead."""

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file; `sqlite:///data/x.db` is relative, `sqlite:////abs/x.db` absolute."""
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def data_dir(self) -> Path:
        return self.sqlite_path.parent if not self.is_postgres else Path("data")

    @property
    def effective_image_provider(self) -> str:
        if not self.image_gen_enabled:
            return "illustration"
        if self.image_provider != "auto":
            return self.image_provider
        if self.stability_api_key:
            return "stability"
        if self.sd_webui_url:
            return "automatic1111"
        if self.openai_images_url:
            return "openai"
        return "illustration"

    @property
    def ollama_base_url(self) -> str:
        return ollama_base_url(self.ollama_host)


def env_name(field_name: str) -> str:
    return field_name.upper()


def env_names() -> list[str]:
    return [env_name(f.name) for f in dataclasses.fields(Settings)]


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    name = env_name(f.name)
    choices = f.metadata.get("choices")
    if choices:
        value = raw.strip().lower()
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value
    if f.type == "bool":
        return _parse_bool(name, raw)
    if f.type in ("int", "float"):
        low, high = f.metadata["min"], f.metadata["max"]
        try:
            number = int(raw) if f.type == "int" else float(raw)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            kind = "a whole number" if f.type == "int" else "a number"
            raise SettingsError(f"{name} must be {kind} from {low} to {high}, got {raw!r}")
        return number
    if f.type == "tuple[str, ...]":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if f.type == "Path":
        return Path(raw.strip())
    return raw.strip()


def _check(settings: Settings) -> None:
    url = settings.database_url
    if not (url.startswith("sqlite:///") or settings.is_postgres):
        raise SettingsError(
            f"DATABASE_URL must start with sqlite:/// or postgresql://, got {url.split('@')[-1]!r}"
        )
    if settings.is_postgres and not urlsplit(url).hostname and "host=" not in url:
        raise SettingsError("DATABASE_URL for PostgreSQL needs a host: postgresql://user@host/db")
    try:
        ollama_base_url(settings.ollama_host)
    except ValueError as exc:
        raise SettingsError(f"OLLAMA_HOST {exc}") from None
    if not settings.ollama_default_model:
        raise SettingsError("OLLAMA_DEFAULT_MODEL must name a model, e.g. llama3.1:8b")
    if settings.ollama_models and settings.ollama_default_model not in settings.ollama_models:
        raise SettingsError(
            f"OLLAMA_DEFAULT_MODEL ({settings.ollama_default_model}) must be one of "
            f"OLLAMA_MODELS ({', '.join(settings.ollama_models)})"
        )
    public = urlsplit(settings.public_url)
    if settings.public_url and (public.scheme not in ("http", "https") or not public.hostname):
        raise SettingsError(
            f"PUBLIC_URL must be an http(s):// address with a host, got {settings.public_url!r}"
        )
    for name in ("stability_api_host", "sd_webui_url", "openai_images_url"):
        url = getattr(settings, name)
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise SettingsError(f"{env_name(name)} must be an http(s):// URL, got {url!r}")
    needs = {"stability": "stability_api_key", "automatic1111": "sd_webui_url"}
    needs["openai"] = "openai_images_url"
    wanted = needs.get(settings.effective_image_provider)
    if wanted and not getattr(settings, wanted):
        raise SettingsError(
            f"IMAGE_PROVIDER={settings.image_provider} needs {env_name(wanted)} "
            "(or IMAGE_PROVIDER=illustration)"
        )
    if not settings.bar_name.strip() or len(settings.bar_name) > 80:
        raise SettingsError("BAR_NAME must be 1 to 80 characters")
    _check_proxies(settings.trusted_proxies)


def _check_proxies(proxies: tuple[str, ...]) -> None:
    # Checked here because uvicorn takes a name it cannot read as a literal host that never
    # matches: a typo would quietly trust nothing, or "*, 10.0.0.1" nothing instead of all.
    if "*" in proxies:
        if len(proxies) > 1:
            raise SettingsError("TRUSTED_PROXIES is either * alone or a list of addresses")
        return
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy)
        except ValueError:
            raise SettingsError(
                "TRUSTED_PROXIES must list IP addresses or networks (10.0.0.0/8), "
                f"or be *, got {proxy!r}"
            ) from None


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        if len(settings.secret_key) < 16:
            raise SettingsError("SECRET_KEY must be at least 16 characters")
        return settings.secret_key
    if settings.is_postgres:
        raise SettingsError(
            "SECRET_KEY is required with PostgreSQL; generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    # The embedded default is one process on one machine: a key kept beside the database
    # survives restarts, so sessions do too, without asking the bar owner for anything.
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> Settings:
    """Settings from `environ` (default: the process environment) over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = values.get(env_name(f.name))
        if raw is not None and raw.strip() != "":
            kwargs[f.name] = _parse(f, raw)
    settings = Settings(**kwargs)
    _check(settings)
    return dataclasses.replace(settings, secret_key=_secret_key(settings))


def ollama_base_url(host: str) -> str:
    """The URL the official client derives from OLLAMA_HOST (same rules as ollama._parse_host)."""
    host = host.strip() or "127.0.0.1:11434"
    scheme, sep, rest = host.partition("://")
    if not sep:
        scheme, rest = "http", host
    if scheme not in ("http", "https"):
        raise ValueError(f"must be http:// or https://, got {host!r}")
    default_port = {"http": 80, "https": 443}[scheme] if sep else 11434
    parts = urlsplit(f"{scheme}://{rest}")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError(f"has a bad port: {host!r}") from None
    hostname = parts.hostname or "127.0.0.1"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    path = parts.path.rstrip("/")
    return f"{scheme}://{hostname}:{port}{path}"
