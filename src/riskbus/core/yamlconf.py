"""YAML input files validated by pydantic models, with errors that name file, key and line.

:func:`read_yaml` reads YAML with the line of every key (YAML 1.1 without its traps:
``17:00`` stays a string, floats are exact ``Decimal`` s, a duplicate key is an error);
:func:`problems_from` turns a pydantic ``ValidationError`` into :class:`ConfigProblem` s with
the dotted key path and the line; :func:`load_model` does both for one file and one model.
Every problem is reported, one per line: ``FILE:LINE KEY.PATH: message``.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from riskbus.core.errors import ConfigError

__all__ = [
    "ConfigProblem",
    "YamlInputError",
    "compose_yaml",
    "line_of",
    "load_model",
    "parse_model",
    "problems_from",
    "read_yaml",
]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a config file: the dotted key path, the 1-based line, what is wrong."""

    key: str | None
    line: int | None
    message: str


class YamlInputError(ConfigError):
    """A YAML input file is invalid; :attr:`problems` lists every problem found.

    ``str()`` gives one line per problem: ``FILE:LINE KEY.PATH: message``.
    """

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.message, source=source, field=first.key, line=first.line)

    def _render(self) -> str:
        rendered = []
        for problem in self.problems:
            where = (self.source or "") + (f":{problem.line}" if problem.line is not None else "")
            if problem.key:
                where += f" {problem.key}"
            rendered.append(f"{where}: {problem.message}")
        return "\n".join(rendered)


_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_Path = tuple[str, ...]


class _Loader(yaml.SafeLoader):
    """YAML 1.1 without its traps: ``17:00`` stays a string, floats are exact ``Decimal``s,
    an impossible date stays a string (so validation names its key)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and _SEXAGESIMAL.match(value):
            return "tag:yaml.org,2002:str"
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    def construct_decimal(self, node: yaml.ScalarNode) -> object:
        try:
            number = Decimal(str(node.value).replace("_", ""))
        except InvalidOperation:
            return self.construct_yaml_float(node)  # .inf / .nan: left for validation
        return number if number.is_finite() else self.construct_yaml_float(node)

    def construct_timestamp(self, node: yaml.ScalarNode) -> object:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:  # 2026-13-01: left as text for validation to name its key
            return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_timestamp)


def compose_yaml(text: str) -> yaml.Node | None:
    """Return the node tree of ``text`` as this module reads it (marks give positions)."""
    return yaml.compose(text, Loader=_Loader)


def _index(node: yaml.Node, path: _Path, lines: dict[_Path, int], out: list[ConfigProblem]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            here = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if here in lines:
                key = ".".join(here)
                out.append(ConfigProblem(key, line, f"duplicate key (first at line {lines[here]})"))
                continue
            lines[here] = line
            _index(value, here, lines, out)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            lines[(*path, str(position))] = item.start_mark.line + 1
            _index(item, (*path, str(position)), lines, out)


def read_yaml(
    text: str, source: str, error: type[YamlInputError] = YamlInputError
) -> tuple[object, dict[_Path, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise error(source, [ConfigProblem(None, 1, "the file is empty")])
        problems: list[ConfigProblem] = []
        lines: dict[_Path, int] = {(): node.start_mark.line + 1}
        _index(node, (), lines, problems)
        if problems:
            raise error(source, problems)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = None if mark is None else mark.line + 1
        message = " ".join(filter(None, [e.context, e.problem])) or "invalid YAML"
        raise error(source, [ConfigProblem(None, line, message)]) from None
    except yaml.YAMLError as e:
        raise error(source, [ConfigProblem(None, None, str(e))]) from None
    finally:
        loader.dispose()


def _unwrap(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside ``annotation`` (through ``X | None``) and whether a key or index
    comes first (a mapping or a sequence of models)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _unwrap(arg)
            if found[0] is not None:
                return found
        return None, False
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (dict, Mapping):
        return _unwrap(get_args(annotation)[1])[0], True
    if origin in (list, tuple, Sequence):
        return _unwrap(get_args(annotation)[0])[0], True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _model_at(model: type[BaseModel] | None, path: _Path) -> type[BaseModel] | None:
    parts = list(path)
    while parts and model is not None:
        field = model.model_fields.get(parts.pop(0))
        if field is None:
            return None
        model, mapping = _unwrap(field.annotation)
        if mapping and parts:
            parts.pop(0)
    return model


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return "unknown key"
    valid = list(model.model_fields)
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r}; {hint}valid keys: {', '.join(valid)}"


def problems_from(
    error: ValidationError, prefix: _Path, model: type[BaseModel], lines: dict[_Path, int]
) -> list[ConfigProblem]:
    found = []
    for detail in error.errors(include_url=False):
        loc = tuple(str(part) for part in detail["loc"] if not str(part).startswith("["))
        path = (*prefix, *loc)
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = _unknown_key(loc[-1], _model_at(model, loc[:-1]))
        elif _shows_input(detail) and repr(detail["input"]) not in message:
            message += f" (got {detail['input']!r})"
        found.append(ConfigProblem(".".join(path) or None, line_of(path, lines), message))
    return found


def _shows_input(detail: Mapping[str, Any]) -> bool:
    return detail["type"] != "missing" and isinstance(detail.get("input"), str | int | Decimal)


def line_of(path: _Path, lines: dict[_Path, int]) -> int | None:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def parse_model(
    text: str,
    model: type[M],
    *,
    source: str = "<string>",
    error: type[YamlInputError] = YamlInputError,
) -> M:
    """Parse YAML ``text`` into ``model``; raise ``error`` listing every problem."""
    data, lines = read_yaml(text, source, error)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = problems_from(e, (), model, lines)
        problems.sort(key=lambda problem: problem.line or 0)
        raise error(source, problems) from None


def load_model(
    path: str | Path, model: type[M], *, error: type[YamlInputError] = YamlInputError
) -> M:
    """Read the YAML file at ``path`` into ``model``; raise ``error`` naming file/key/line."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise error(source, [ConfigProblem(None, None, f"cannot read: {reason}")]) from e
    return parse_model(text, model, source=source, error=error)
