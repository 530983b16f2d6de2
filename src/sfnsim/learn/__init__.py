"""Graded exercises in the Amazon States Language, checked locally (``sfnsim learn``).

    from sfnsim import learn

    learn.init_workspace("ex")                      # what `sfnsim learn init ex` writes
    workspace = learn.find_workspace("ex")
    for result in learn.check_workspace(workspace):  # `sfnsim learn check`
        print(learn.render_result(result))

    exercise = learn.find_exercise("06-choice")
    learn.check_definition(exercise, my_definition).passed

Everything speaks the current language of ``sfnsim.i18n`` (``use_language("zh-CN")``).
"""

from __future__ import annotations

from sfnsim.learn.catalog import Case, Exercise, UnknownExercise, all_exercises, find_exercise
from sfnsim.learn.checking import CaseResult, CheckResult, Unmet, check_definition, check_file
from sfnsim.learn.feedback import Difference, first_difference
from sfnsim.learn.render import render_hints, render_list, render_result
from sfnsim.learn.session import check_workspace, next_exercise, reveal_hint, watch
from sfnsim.learn.workspace import Workspace, WorkspaceError, find_workspace, init_workspace

__all__ = [
    "Case", "CaseResult", "CheckResult", "Difference", "Exercise", "UnknownExercise", "Unmet", "Workspace",
    "WorkspaceError", "all_exercises", "check_definition", "check_file", "check_workspace", "find_exercise",
    "find_workspace", "first_difference", "init_workspace", "next_exercise", "render_hints", "render_list",
    "render_result", "reveal_hint", "watch",
]
