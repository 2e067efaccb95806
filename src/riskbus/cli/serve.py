"""``riskbus serve [--host 127.0.0.1] [--port 5558]``: the HTTP service and dashboard.

Runs :func:`riskbus.service.create_app` under uvicorn. Options override the ``RISKBUS_*``
settings (``.env`` is read too); ``--port 0`` takes a free port. Once listening it prints
``riskbus serving on http://HOST:PORT`` (the real port). Exit 0 after a clean stop (Ctrl-C),
2 for a bad setting (named), 3 when the address is taken or the service fails to start.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from riskbus.core.errors import BadInputError, OperationalError

__all__ = ["register", "serve"]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""
    app.command("serve")(serve)


def _settings(overrides: dict[str, Any]) -> Any:
    from riskbus.service.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise BadInputError(first["msg"], field=f"--{field.replace('_', '-')}") from None


def serve(  # noqa: PLR0917 - typer maps the parameters to options
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port, 0 for a free one (default 5558).", show_default=False)
    ] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="Store URL [RISKBUS_DATABASE_URL].")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Scenario runs at once.")] = None,
    risk_config: Annotated[
        Path | None, typer.Option("--risk-config", help="Host the risk guard for this file.")
    ] = None,
    recordings: Annotated[
        Path | None, typer.Option("--recordings", help="Folder of scenario recordings.")
    ] = None,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
) -> None:
    """Serve the API and the dashboard (OpenAPI docs at /api/docs)."""
    import uvicorn

    from riskbus.service.app import create_app

    settings = _settings(
        {
            "host": host,
            "port": port,
            "database_url": database,
            "workers": workers,
            "risk_config": risk_config,
            "recordings_dir": recordings,
            "log_level": log_level.upper(),
        }
    )
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        sock = socket.create_server((settings.host, settings.port))
    except OSError as e:
        raise OperationalError(
            f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}"
        ) from None
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=bound,
        log_level=log_level.lower(),
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original(sockets=sockets)
        if server.started:
            typer.echo(f"riskbus serving on http://{settings.host}:{bound}")

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    except SystemExit:  # uvicorn exits this way when the lifespan fails to start
        if server.started:
            raise
    finally:
        sock.close()
    if not server.started:
        raise OperationalError("the service failed to start (see the log above)")
