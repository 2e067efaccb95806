"""The service's settings: environment variables ``RISKBUS_*`` and an optional ``.env`` file.

Every field can be set as ``RISKBUS_<FIELD>`` (case-insensitive), e.g. ``RISKBUS_PORT=8080``,
``RISKBUS_ADMIN_TOKEN=...``; list fields take JSON (``RISKBUS_SCENARIO_DIRS='["a", "b"]'``).
A ``.env`` file in the working directory is read too (the environment wins).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_scenario_dirs"]


def default_scenario_dirs() -> list[Path]:
    """The bundled demo scenario folder, then ``examples/scenarios`` if it exists here."""
    bundled = Path(str(resources.files("riskbus.scenarios") / "data"))
    dirs = [bundled]
    examples = Path("examples/scenarios")
    if examples.is_dir():
        dirs.append(examples.resolve())
    return dirs


class Settings(BaseSettings):
    """What the service is configured with (see the module docstring for the sources)."""

    model_config = SettingsConfigDict(
        env_prefix="RISKBUS_",
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
    )

    app_name: str = "riskbus"
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=5558, ge=0, le=65535)
    log_level: str = "INFO"
    database_url: str = Field(
        default="sqlite:///riskbus.db", description="the store (SQLite file or PostgreSQL URL)"
    )
    admin_token: SecretStr | None = Field(
        default=None, description="the token admin endpoints need (unset: admin refused)"
    )
    min_confidence: float = Field(default=0.70, ge=0.0, le=1.0)
    max_prediction_days: int = Field(default=60, ge=1)
    scenario_dirs: list[Path] = Field(default_factory=default_scenario_dirs)
    recordings_dir: Path = Path("recordings")
    workers: int = Field(default=2, ge=1, le=64, description="scenario runs at once")
    max_runs_kept: int = Field(default=200, ge=1, description="finished runs kept in memory")
    risk_config: Path | None = Field(
        default=None, description="a risk config: the service then hosts the risk guard"
    )
    plan_latency_ms: int = Field(
        default=200, ge=0, le=60_000, description="the simulated venue's order latency"
    )
    plan_settle_ms: int = Field(
        default=2000, ge=0, le=600_000, description="the pause between sells and buys"
    )
