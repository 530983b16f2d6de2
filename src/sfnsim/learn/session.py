"""What the ``learn`` commands do, as functions: check a workspace, reveal hints, watch for saves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from sfnsim.learn.catalog import Exercise, all_exercises, find_exercise
from sfnsim.learn.checking import CheckResult, check_file
from sfnsim.learn.workspace import Workspace


def check_workspace(workspace: Workspace, name: str | None = None, *, every: bool = False) -> list[CheckResult]:
    """Check one exercise (``name``), every exercise (``every``), or, by default, the exercises in
    order up to and including the first one that does not pass yet."""
    if name is not None:
        exercise = find_exercise(name)
        return [check_file(exercise, workspace.definition_path(exercise))]
    results: list[CheckResult] = []
    for exercise in all_exercises():
        result = check_file(exercise, workspace.definition_path(exercise))
        results.append(result)
        if not result.passed and not every:
            break
    return results


def next_exercise(workspace: Workspace) -> Exercise | None:
    """The first exercise that does not pass yet (``None`` when all do)."""
    for exercise in all_exercises():
        if not check_file(exercise, workspace.definition_path(exercise)).passed:
            return exercise
    return None


def reveal_hint(workspace: Workspace, exercise: Exercise) -> int:
    """Reveal one more hint of ``exercise`` (up to the last) and return how many are now shown."""
    shown = min(workspace.hints_shown.get(exercise.slug, 0) + 1, len(exercise.english_hints))
    workspace.hints_shown[exercise.slug] = shown
    workspace.save()
    return shown


def watch(workspace: Workspace, on_change: Callable[[list[CheckResult]], None], *, interval: float = 0.5,
          rounds: int | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Check now, then again whenever a definition file is saved (polling modification times).

    ``on_change`` receives each round's results: the changed exercise's, or the default ones at the
    start. ``rounds`` bounds the number of polls (for tests); ``None`` watches until interrupted.
    """
    seen = _stamps(workspace)
    on_change(check_workspace(workspace))
    polls = 0
    while rounds is None or polls < rounds:
        sleep(interval)
        polls += 1
        now = _stamps(workspace)
        changed = [path for path, stamp in now.items() if seen.get(path) != stamp]
        seen = now
        for path in changed:
            on_change(check_workspace(workspace, path.name))


def _stamps(workspace: Workspace) -> dict[Path, float]:
    paths: Iterable[Path] = (workspace.definition_path(exercise) for exercise in all_exercises())
    return {path: path.stat().st_mtime_ns if path.exists() else -1.0 for path in paths}
