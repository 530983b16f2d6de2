"""The exercises that ship with sfnsim: each a folder of data under ``learn/exercises/``.

A folder ``NN-slug`` holds ``exercise.json`` (title, the ASL fields it teaches, the goal, graded
hints and the cases the learner's definition is checked against), ``start.asl.json`` (the
incomplete or wrong definition a learner starts from) and ``solution.asl.json`` (a reference
solution; the test suite checks that it passes and that the start fails).

The English text of titles, goals, hints and case names is the gettext message id: ``title()``, ``goal()`` and
``hints()`` give it in the current language.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sfnsim.errors import SfnSimError
from sfnsim.i18n import _


class UnknownExercise(SfnSimError):
    """A name that is not one of the exercises."""


@dataclass(frozen=True)
class Case:
    """One run a definition must get right: an input, how tasks answer, what must come out."""

    name: str
    input: Any
    expect: dict[str, Any]
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # state name -> answers in order
    s3: dict[str, str] = field(default_factory=dict)  # "bucket/key" -> object body (ItemReader input)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # answers to pending task tokens, in order


@dataclass(frozen=True)
class Exercise:
    slug: str  # "01-input-path-parameters": the folder name, and the name learners type
    number: int
    fields: tuple[str, ...]  # the ASL fields (or concepts) it teaches, as AWS spells them
    english_title: str
    english_goal: str
    english_hints: tuple[str, ...]
    cases: tuple[Case, ...]
    start: dict[str, Any]
    solution: dict[str, Any]

    @property
    def file_name(self) -> str:
        """The learner's definition file in a workspace."""
        return f"{self.slug}.asl.json"

    def title(self) -> str:
        return _(self.english_title)

    def goal(self) -> str:
        return _(self.english_goal)

    def hints(self) -> list[str]:
        return [_(hint) for hint in self.english_hints]


@functools.lru_cache(maxsize=1)
def all_exercises() -> tuple[Exercise, ...]:
    """Every exercise, in the order a learner meets them."""
    root = resources.files("sfnsim.learn") / "exercises"
    folders = sorted(entry.name for entry in root.iterdir() if entry.is_dir() and entry.name[:2].isdigit())
    return tuple(_load(root / name, name) for name in folders)


def find_exercise(name: str) -> Exercise:
    """By slug (``06-choice``), number (``6``, ``06``) or the slug without its number (``choice``)."""
    wanted = name.strip().removesuffix(".asl.json").rstrip("/").rsplit("/", 1)[-1]
    for exercise in all_exercises():
        if wanted in (exercise.slug, exercise.slug.split("-", 1)[1]) or (wanted.isdigit() and int(wanted) == exercise.number):
            return exercise
    known = ", ".join(e.slug for e in all_exercises())
    raise UnknownExercise(_("no exercise named {name!r}; the exercises are: {known}").format(name=name, known=known))


def _load(folder: Any, slug: str) -> Exercise:
    meta = json.loads((folder / "exercise.json").read_text(encoding="utf-8"))
    cases = tuple(Case(name=c["name"], input=c.get("input", {}), expect=c["expect"], tasks=c.get("tasks", {}),
                       s3=c.get("s3", {}), callbacks=c.get("callbacks", [])) for c in meta["cases"])
    return Exercise(
        slug=slug, number=int(slug.split("-", 1)[0]), fields=tuple(meta["fields"]),
        english_title=meta["title"], english_goal=meta["goal"], english_hints=tuple(meta["hints"]), cases=cases,
        start=json.loads((folder / "start.asl.json").read_text(encoding="utf-8")),
        solution=json.loads((folder / "solution.asl.json").read_text(encoding="utf-8")),
    )
