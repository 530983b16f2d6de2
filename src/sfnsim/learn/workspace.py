"""A learner's workspace: a folder with one definition file per exercise and a small state file.

    ex/
      README.md                         how to work, the list of exercises
      exercises/01-input-path-parameters.asl.json   the definition to fix
      exercises/01-input-path-parameters.md         its goal
      .sfnsim-learn.json                the language chosen at init and the hints already shown

The expectations and reference solutions stay inside sfnsim, so a learner edits only definitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sfnsim.errors import SfnSimError
from sfnsim.i18n import _
from sfnsim.learn.catalog import Exercise, all_exercises
from sfnsim.learn.pages import EXERCISES_DIR, exercise_page, readme

STATE_FILE = ".sfnsim-learn.json"


class WorkspaceError(SfnSimError):
    """No workspace where one is needed, or one where a new one would go."""


@dataclass
class Workspace:
    root: Path
    language: str | None = None  # the language chosen at init; None: the locale's
    hints_shown: dict[str, int] = field(default_factory=dict)  # exercise slug -> hints revealed

    def definition_path(self, exercise: Exercise) -> Path:
        return self.root / EXERCISES_DIR / exercise.file_name

    def relative(self, exercise: Exercise) -> str:
        return f"{EXERCISES_DIR}/{exercise.file_name}"

    def save(self) -> None:
        state = {"language": self.language, "hints": self.hints_shown}
        (self.root / STATE_FILE).write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def find_workspace(start: Path | None = None) -> Workspace:
    """The workspace holding ``start`` (default: the current directory), searching upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        state_file = folder / STATE_FILE
        if state_file.is_file():
            return _read(folder, state_file)
    raise WorkspaceError(_("{place} is not inside a learning workspace; create one with `sfnsim learn init DIR`")
                         .format(place=here))


def _read(folder: Path, state_file: Path) -> Workspace:
    try:
        state: Any = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(_("{path} is damaged ({reason}); delete it and run `sfnsim learn init` again")
                             .format(path=state_file, reason=exc)) from None
    hints = state.get("hints") if isinstance(state, dict) else None
    language = state.get("language") if isinstance(state, dict) else None
    return Workspace(folder, language if isinstance(language, str) else None,
                     {k: v for k, v in (hints or {}).items() if isinstance(v, int)})


def init_workspace(root: Path, *, language: str | None = None) -> Workspace:
    """Write a fresh workspace into ``root`` (which must not exist yet or be empty)."""
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise WorkspaceError(_("{path} already exists and is not an empty folder; choose a new one").format(path=root))
    (root / EXERCISES_DIR).mkdir(parents=True, exist_ok=True)
    workspace = Workspace(root, language)
    for exercise in all_exercises():
        workspace.definition_path(exercise).write_text(
            json.dumps(exercise.start, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (root / EXERCISES_DIR / f"{exercise.slug}.md").write_text(exercise_page(exercise), encoding="utf-8")
    (root / "README.md").write_text(readme(), encoding="utf-8")
    workspace.save()
    return workspace
