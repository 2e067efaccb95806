"""Entry point of the ``riskbus`` console script: builds the app and maps errors to exits."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from riskbus import __version__
from riskbus.core.errors import BadInputError, OperationalError, RiskbusError, TransientError

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INFRA", "EXIT_OK", "app", "main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INFRA = 0, 1, 2, 3

app = typer.Typer(
    name="riskbus",
    help="Guard, execute and prove trading bots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"riskbus {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Guard, execute and prove trading bots."""


def _register_groups(argv: list[str] | None = None) -> None:
    """Attach the command groups ``argv`` needs (all by default) to ``app``."""
    from riskbus.cli import groups

    groups.register(app, argv)


def _report(error: Exception) -> None:
    # Plain text, never wrapped: messages name files and keys that users copy, and may hold
    # brackets that rich would read as markup.
    err.print(Text("error: ", style="red") + Text(str(error)), soft_wrap=True, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map riskbus errors to exit codes with a one-line message."""
    _register_groups(sys.argv[1:] if argv is None else argv)
    try:
        app(args=argv, prog_name="riskbus")
    except SystemExit as e:  # typer's standalone mode: usage errors exit 2, --help exits 0
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_FAILED)
    except BadInputError as e:
        _report(e)
        return EXIT_BAD_INPUT
    except (TransientError, OperationalError) as e:
        _report(e)
        return EXIT_INFRA
    except RiskbusError as e:
        _report(e)
        return EXIT_INFRA
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
