"""The `riskbus` command: version, usage errors, and error-to-exit-code mapping."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator

import pytest
import typer

from riskbus import __version__
from riskbus.cli import groups
from riskbus.cli import main as cli
from riskbus.core.errors import (
    ConfigError,
    OperationalError,
    RiskbusError,
    StrategyError,
    TransientError,
)


@pytest.fixture
def failing_command() -> Iterator[list[Exception]]:
    """Register a hidden command that raises whatever the test puts in the list."""
    to_raise: list[Exception] = []

    @cli.app.command("raise-for-test", hidden=True)
    def raise_for_test() -> None:
        if to_raise:
            raise to_raise[0]
        raise typer.Exit(code=1)

    yield to_raise
    cli.app.registered_commands[:] = [
        c for c in cli.app.registered_commands if c.name != "raise-for-test"
    ]


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"riskbus {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    assert cli.main(["no-such-command"]) == cli.EXIT_BAD_INPUT


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("limit must be negative", source="risk.yaml", field="daily", line=4), 2),
        (TransientError("venue busy"), 3),
        (OperationalError("halted"), 3),
        (StrategyError("user code failed"), 3),
        (RiskbusError("other"), 3),
    ],
)
def test_errors_map_to_exit_codes_with_a_one_line_message(
    failing_command: list[Exception],
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    code: int,
) -> None:
    failing_command.append(error)
    assert cli.main(["raise-for-test"]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(error) in err.replace("\n", "")


def test_typer_exit_code_passes_through(failing_command: list[Exception]) -> None:
    assert cli.main(["raise-for-test"]) == 1


def test_console_script_runs_in_a_fresh_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "riskbus.cli.main", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == f"riskbus {__version__}"


def test_groups_are_registered_once_however_often_main_runs() -> None:
    for _ in range(3):
        assert cli.main(["--version"]) == 0
    names = [group.name for group in cli.app.registered_groups]
    assert len(names) == len(set(names))
    assert {"market", "risk", "admin"} <= set(names)
    commands = [command.name for command in cli.app.registered_commands]
    assert len(commands) == len(set(commands))
    assert {"rebalance", "liquidate"} <= set(commands)


def _names(app: typer.Typer) -> set[str]:
    groups = {group.name for group in app.registered_groups if group.name}
    commands = {command.name for command in app.registered_commands if command.name}
    return groups | commands


@pytest.mark.parametrize("module", groups.GROUPS)
def test_the_command_table_lists_exactly_what_each_module_registers(module: str) -> None:
    fresh = typer.Typer()
    importlib.import_module(f"riskbus.cli.{module}").register(fresh)
    assert _names(fresh) == {name for name, owner in groups.COMMANDS.items() if owner == module}


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        (["smoke", "--json"], ["guard"]),
        (["run", "a.scenario.yaml", "--seed", "3"], ["scenario"]),
        (["admin", "config", "validate", "x.yaml"], ["admin"]),
        (["--help"], groups.GROUPS),
        ([], groups.GROUPS),
        (["no-such-command"], groups.GROUPS),
    ],
)
def test_a_command_line_needs_only_the_module_of_its_command(
    argv: list[str], modules: list[str]
) -> None:
    assert groups.needed(argv) == modules


def test_a_guard_command_does_not_import_the_other_groups() -> None:
    code = (
        "import sys\n"
        "from riskbus.cli import main\n"
        "main.main(['smoke', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('riskbus.cli.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == "['riskbus.cli.groups', 'riskbus.cli.guard', 'riskbus.cli.main']"


def test_commands_registered_lazily_still_run_after_one_another() -> None:
    app = typer.Typer()
    groups.register(app, ["market", "preview"])
    assert _names(app) == {"market"}
    groups.register(app, ["smoke"])
    groups.register(app, ["market"])  # already there: not added twice
    assert _names(app) == {"market", "guard", "smoke"}
