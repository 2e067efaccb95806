"""The scenario catalogue: the YAML scenario files of the configured folders.

A scenario is named by its file name (``flash_crash_recovery.scenario.yaml``); a lookup also
accepts the name without ``.scenario.yaml`` / ``.yaml``. When two folders hold the same
name, the first folder wins. Parsed files are cached by path, size and modification time,
so listing is cheap and an edited file is seen at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from riskbus.scenarios.schema import LoadedScenario, ScenarioFileError, load_scenario

__all__ = ["ScenarioCatalog", "ScenarioEntry"]

_SUFFIXES = (".scenario.yaml", ".scenario.yml", ".yaml", ".yml")


@dataclass(frozen=True)
class ScenarioEntry:
    """One scenario file: its name, where it is, and its title (or why it is invalid)."""

    name: str
    path: Path
    folder: Path
    title: str
    description: str
    error: str | None
    loaded: LoadedScenario | None


class ScenarioCatalog:
    """Finds and parses the scenario files of ``folders`` (see the module docstring)."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self._cache: dict[Path, tuple[tuple[int, int], ScenarioEntry]] = {}

    def _files(self) -> dict[str, tuple[Path, Path]]:
        found: dict[str, tuple[Path, Path]] = {}
        for folder in self.folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.name.endswith((".yaml", ".yml")):
                    found.setdefault(path.name, (path, folder))
        return found

    def _entry(self, name: str, path: Path, folder: Path) -> ScenarioEntry:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            loaded = load_scenario(path)
        except ScenarioFileError as e:
            entry = ScenarioEntry(name, path, folder, name, "", str(e), None)
        else:
            scenario = loaded.scenario
            entry = ScenarioEntry(
                name, path, folder, scenario.name, scenario.description, None, loaded
            )
        self._cache[path] = (key, entry)
        return entry

    def entries(self) -> list[ScenarioEntry]:
        """Every scenario file, by name."""
        return [self._entry(name, *where) for name, where in sorted(self._files().items())]

    def find(self, name: str) -> ScenarioEntry | None:
        """The scenario called ``name`` (with or without its suffix), or None."""
        files = self._files()
        for candidate in (name, *(name + suffix for suffix in _SUFFIXES)):
            where = files.get(candidate)
            if where is not None:
                return self._entry(candidate, *where)
        return None
