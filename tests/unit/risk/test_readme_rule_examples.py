"""The README's risk-rule reference stays true to the code.

Every registered rule has a section (``#### CODE `name`: ...``) in the README's "Risk rules"
part; its YAML example loads with the real config loader and configures that rule; its
"Parameters:" paragraph names every field of the rule's config, says "required" for the
required ones and gives the real default of the others.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from riskbus.risk.config import RiskConfigError, parse_config
from riskbus.risk.rules import RULES, Rule, RuleConfig

README = Path(__file__).resolve().parents[3] / "README.md"
HEADING = re.compile(r"^#### (\w+) `(\w+)`", flags=re.MULTILINE)
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", flags=re.DOTALL)
PARAMETER = re.compile(r"`(\w+)`\s+\(([^)]*)\)")
#: Settings every rule has; documented once, at the top of the section.
COMMON = {"enabled", "admin_unlock"}


def rules_part() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Risk rules\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def sections() -> dict[str, tuple[str, str]]:
    """Rule name → (its code as written, the text of its section)."""
    part = rules_part()
    found: dict[str, tuple[str, str]] = {}
    matches = list(HEADING.finditer(part))
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(part)
        found[match.group(2)] = (match.group(1), part[match.start() : end])
    return found


def rule_classes() -> list[type[Rule[Any]]]:
    return sorted({cls for cls in RULES.values()}, key=lambda cls: cls.code)


def parameters(section: str) -> dict[str, str]:
    """Parameter name → its description (whitespace collapsed), from "Parameters: ..."."""
    start = section.index("Parameters:")
    end = section.find("\n\n", start)
    paragraph = " ".join(section[start : end if end >= 0 else None].split())
    return {name: text for name, text in PARAMETER.findall(paragraph)}


def shown(value: object) -> str | None:
    """How the README writes a simple default, or ``None`` for a composite one."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str | Decimal):
        return str(value)
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    return None


def documented_fields(config: type[RuleConfig]) -> dict[str, FieldInfo]:
    """The fields a rule's "Parameters:" must name: its own, plus a common one it changes."""
    base = RuleConfig.model_fields
    return {
        name: field
        for name, field in config.model_fields.items()
        if name not in COMMON or field.default != base[name].default
    }


def test_every_registered_rule_has_a_section_with_its_code() -> None:
    found = sections()
    classes = rule_classes()
    assert len(classes) == 18  # the 13 original rules and the 5 account rules
    assert sorted(found) == sorted(cls.name for cls in classes)
    for cls in classes:
        assert found[cls.name][0] == cls.code, cls.name


@pytest.mark.parametrize("cls", rule_classes(), ids=lambda cls: cls.name)
def test_the_rule_example_loads_and_configures_that_rule(cls: type[Rule[Any]]) -> None:
    _, section = sections()[cls.name]
    [example] = YAML_BLOCK.findall(section)
    config = parse_config(example, source=f"README {cls.name}")
    assert list(config.rules) == [cls.name]
    assert isinstance(config.rules[cls.name], cls.config_type)
    [rule] = config.build_rules()
    assert rule.code == cls.code and rule.enabled


@pytest.mark.parametrize("cls", rule_classes(), ids=lambda cls: cls.name)
def test_the_parameters_name_every_field_with_its_default(cls: type[Rule[Any]]) -> None:
    _, section = sections()[cls.name]
    described = parameters(section)
    for name, field in documented_fields(cls.config_type).items():
        assert name in described, f"{cls.name}: parameter {name} is not documented"
        text = described[name]
        if field.is_required():
            assert "required" in text, f"{cls.name}.{name}: say it is required"
            continue
        default = field.get_default(call_default_factory=True)
        simple = shown(default)
        if default is None:
            assert "optional" in text, f"{cls.name}.{name}: say it is optional"
        elif simple is not None:
            assert f"default `{simple}`" in text, f"{cls.name}.{name}: default is {simple}"
        else:
            assert "default" in text, f"{cls.name}.{name}: give its default"
    unknown = set(described) - set(cls.config_type.model_fields)
    assert not unknown, f"{cls.name}: documents parameters it does not have: {unknown}"


def test_a_broken_example_would_be_caught() -> None:
    """The checks above can fail: the loader refuses a wrong key and a wrong value."""
    with pytest.raises(RiskConfigError, match=r"rules\.max_contracts\.limt"):
        parse_config("rules:\n  max_contracts:\n    limt: 5\n")
    with pytest.raises(RiskConfigError, match=r"README:3 rules\.daily_realized_loss\.limit"):
        parse_config("rules:\n  daily_realized_loss:\n    limit: 500\n", source="README")
    assert parameters("Parameters: `limit` (required, < 0).\n\nnext") == {"limit": "required, < 0"}
