"""Settings: one object, read from the environment (and CLI options), validated at start."""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lotty.errors import LottyError


class SettingsError(LottyError):
    """A setting has a value Lotty cannot use; raised at start with the variable's name."""

    code = "INVALID_SETTING"


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_ORIGIN = re.compile(r"https?://[^/\s,]+")


def _env(name: str, doc: str) -> dict[str, str]:
    return {"env": name, "doc": doc}


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting Lotty reads. Each field names its environment variable and default."""

    data_dir: Path = field(
        default=Path("data"),
        metadata=_env("LOTTY_DATA_DIR", "Directory holding lotty.duckdb, the lake and the secret."),
    )
    admin_key: str | None = field(
        default=None,
        metadata=_env("LOTTY_ADMIN_KEY", "Key given to the first admin by `lotty init` (random when unset)."),
    )
    secret: str | None = field(
        default=None,
        metadata=_env(
            "LOTTY_SECRET", "Signs decision ids; generated once and kept in the data dir when unset."
        ),
    )
    runtime_auth: bool = field(
        default=True,
        metadata=_env("LOTTY_RUNTIME_AUTH", "on|off: whether decide, events and OFREP need an API key."),
    )
    decision_log: str = field(
        default="async",
        metadata=_env(
            "LOTTY_DECISION_LOG", "sync|async|off: how decisions are written to the decisions table."
        ),
    )
    guardrail_interval_seconds: int = field(
        default=60, metadata=_env("LOTTY_GUARDRAIL_INTERVAL_SECONDS", "Seconds between guardrail checks.")
    )
    flush_interval_seconds: int = field(
        default=5,
        metadata=_env("LOTTY_FLUSH_INTERVAL_SECONDS", "Seconds between moves of the hot tail to the lake."),
    )
    notification_interval_seconds: int = field(
        default=10,
        metadata=_env(
            "LOTTY_NOTIFICATION_INTERVAL_SECONDS", "Seconds between runs of the notification outbox."
        ),
    )
    notification_max_attempts: int = field(
        default=6,
        metadata=_env(
            "LOTTY_NOTIFICATION_MAX_ATTEMPTS", "Attempts at one delivery before it is marked failed."
        ),
    )
    notification_retry_seconds: int = field(
        default=30,
        metadata=_env(
            "LOTTY_NOTIFICATION_RETRY_SECONDS", "Wait before the first retry; doubled at each further one."
        ),
    )
    max_active_experiments: int = field(
        default=3,
        metadata=_env(
            "LOTTY_MAX_ACTIVE_EXPERIMENTS", "Running experiments a subject may be enrolled in at once."
        ),
    )
    cooldown_after_enrolments: int = field(
        default=10,
        metadata=_env(
            "LOTTY_COOLDOWN_AFTER_ENROLMENTS", "New enrolments within the window that start a cooldown."
        ),
    )
    cooldown_window_hours: int = field(
        default=24,
        metadata=_env(
            "LOTTY_COOLDOWN_WINDOW_HOURS", "Window in which new enrolments are counted for the cooldown."
        ),
    )
    cooldown_hours: int = field(
        default=1,
        metadata=_env("LOTTY_COOLDOWN_HOURS", "Hours without new enrolments once the cooldown starts."),
    )
    host: str = field(default="127.0.0.1", metadata=_env("LOTTY_HOST", "Address `lotty serve` binds."))
    port: int = field(default=8000, metadata=_env("LOTTY_PORT", "Port `lotty serve` listens on."))
    max_body_bytes: int = field(
        default=1024 * 1024,
        metadata=_env("LOTTY_MAX_BODY_BYTES", "Largest request body accepted by admin routes (413 above)."),
    )
    log_level: str = field(
        default="info",
        metadata=_env("LOTTY_LOG_LEVEL", "debug|info|warning|error|critical: the least severe line logged."),
    )
    access_log: bool = field(
        default=True,
        metadata=_env("LOTTY_ACCESS_LOG", "on|off: one JSON line per request (route, method, status, ms)."),
    )
    cors_origins: str | None = field(
        default=None,
        metadata=_env(
            "LOTTY_CORS_ORIGINS", "Comma-separated origins allowed by CORS (`*` for any); unset: CORS off."
        ),
    )

    @property
    def database_path(self) -> Path:
        return self.data_dir / "lotty.duckdb"

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "journal"

    @property
    def secret_path(self) -> Path:
        return self.data_dir / "secret"

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in (self.cors_origins or "").split(",") if o.strip())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read every field from `env` (default: os.environ); `overrides` (CLI options) win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            name = f.metadata["env"]
            if overrides.get(f.name) is not None:
                values[f.name] = _coerce(f, name, overrides[f.name])
            elif env.get(name, "") != "":
                values[f.name] = _coerce(f, name, env[name])
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.decision_log not in ("sync", "async", "off"):
            raise SettingsError(f"LOTTY_DECISION_LOG must be sync, async or off, not {self.decision_log!r}")
        positive = (
            "guardrail_interval_seconds",
            "flush_interval_seconds",
            "notification_interval_seconds",
            "notification_max_attempts",
            "notification_retry_seconds",
            "cooldown_window_hours",
            "max_body_bytes",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{_env_name(name)} must be a positive integer")
        non_negative = ("max_active_experiments", "cooldown_after_enrolments", "cooldown_hours")
        for name in non_negative:
            if getattr(self, name) < 0:
                raise SettingsError(f"{_env_name(name)} must be zero or a positive integer")
        if not 0 < self.port < 65536:
            raise SettingsError("LOTTY_PORT must be between 1 and 65535")
        if self.admin_key is not None and len(self.admin_key) < 16:
            raise SettingsError("LOTTY_ADMIN_KEY must be at least 16 characters")
        if self.secret is not None and len(self.secret) < 16:
            raise SettingsError("LOTTY_SECRET must be at least 16 characters")
        if self.log_level.lower() not in LOG_LEVELS:
            levels = ", ".join(LOG_LEVELS)
            raise SettingsError(f"LOTTY_LOG_LEVEL must be one of {levels}, not {self.log_level!r}")
        for origin in self.cors_origin_list:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise SettingsError(
                    f"LOTTY_CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port], no path; or *)"
                )

    def load_or_create_secret(self) -> bytes:
        """The decision-id signing key: LOTTY_SECRET, else the data dir's secret file (made once)."""
        if self.secret is not None:
            return self.secret.encode()
        path = self.secret_path
        if path.exists():
            return path.read_text().strip().encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        return value.encode()


def _env_name(field_name: str) -> str:
    return next(f.metadata["env"] for f in dataclasses.fields(Settings) if f.name == field_name)


def _coerce(f: dataclasses.Field[object], env_name: str, raw: object) -> object:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if not isinstance(raw, str):
        return Path(str(raw)) if kind == "Path" and not isinstance(raw, Path) else raw
    if kind == "Path":
        return Path(raw)
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("on", "true", "1", "yes"):
            return True
        if lowered in ("off", "false", "0", "no"):
            return False
        raise SettingsError(f"{env_name} must be on or off, not {raw!r}")
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{env_name} must be an integer, not {raw!r}") from None
    return raw


def documented_settings() -> list[tuple[str, object, str]]:
    """(environment variable, default, description) for every setting; the docs test reads this."""
    return [(f.metadata["env"], f.default, f.metadata["doc"]) for f in dataclasses.fields(Settings)]
