"""JSON for every message, exact both ways, and JSON-lines recordings.

A message encodes as one JSON object whose ``type`` key is its class name, followed by its
fields (``ts`` included). Decimals are written as strings, so ``Decimal("0.10")`` comes back
as ``Decimal("0.10")``, not as a float. Decoding looks the type up in the message registry
(:mod:`riskbus.core.messages`) and rebuilds the typed object.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Union

import msgspec

from riskbus.core.errors import BadInputError
from riskbus.core.messages import Message, message_types

__all__ = [
    "JsonlReader",
    "JsonlWriter",
    "from_json",
    "read_jsonl",
    "to_builtins",
    "to_json",
    "write_jsonl",
]

_encoder = msgspec.json.Encoder(decimal_format="string")
_decoder_cache: tuple[int, msgspec.json.Decoder[Any]] | None = None


def _decoder() -> msgspec.json.Decoder[Any]:
    global _decoder_cache
    types = message_types()
    if _decoder_cache is None or _decoder_cache[0] != len(types):
        union = Union[tuple(types.values())]  # type: ignore[valid-type]  # noqa: UP007
        _decoder_cache = (len(types), msgspec.json.Decoder(union))
    return _decoder_cache[1]


def to_json(message: Message) -> bytes:
    """Encode ``message`` as compact JSON bytes (``type`` first, Decimals as strings)."""
    return _encoder.encode(message)


def from_json(data: bytes | str) -> Message:
    """Decode one message encoded by :func:`to_json` back into its typed object.

    Raises:
        BadInputError: the data is not valid JSON, names an unknown type, or a field is wrong.
    """
    try:
        return _decoder().decode(data)  # type: ignore[no-any-return]
    except msgspec.ValidationError as e:
        raise BadInputError(f"invalid message: {e}") from e
    except msgspec.DecodeError as e:
        raise BadInputError(f"malformed message JSON: {e}") from e


def to_builtins(message: Message) -> dict[str, Any]:
    """Return the message as plain JSON-compatible Python values (Decimals as strings)."""
    result: dict[str, Any] = msgspec.to_builtins(message)
    return result


class JsonlWriter:
    """Append messages to a JSON-lines file, one message per line.

    The file is opened on construction (parent folders created) and flushed on ``close``;
    use it as a context manager. ``fsync=True`` makes every ``flush`` durable.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = open(self.path, "ab")  # noqa: SIM115  # closed in close()
        self._fsync = fsync
        self.count = 0

    def write(self, message: Message) -> None:
        """Write one message as a line."""
        self._file.write(_encoder.encode(message) + b"\n")
        self.count += 1

    def write_all(self, messages: Iterable[Message]) -> None:
        """Write each message in order."""
        for message in messages:
            self.write(message)

    def flush(self) -> None:
        """Flush to the OS (and to disk when ``fsync`` was asked)."""
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush and close the file."""
        if not self._file.closed:
            self.flush()
            self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlReader:
    """Iterate typed messages from a JSON-lines file; errors name the file and line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __iter__(self) -> Iterator[Message]:
        decoder = _decoder()
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield decoder.decode(line)
                except (msgspec.ValidationError, msgspec.DecodeError) as e:
                    raise BadInputError(str(e), source=str(self.path), line=number) from e


def write_jsonl(path: str | os.PathLike[str], messages: Iterable[Message]) -> int:
    """Write ``messages`` to a new file at ``path`` atomically; return how many were written.

    The lines go to a temporary file that replaces ``path`` only when all are written, so a
    failure never leaves a half-written recording behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    buffer = io.BytesIO()
    count = 0
    for message in messages:
        buffer.write(_encoder.encode(message) + b"\n")
        count += 1
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, target)
    return count


def read_jsonl(path: str | os.PathLike[str]) -> list[Message]:
    """Read every message of a JSON-lines file."""
    return list(JsonlReader(path))
