"""Regenerate the tutorial lessons: each is ``sfnsim walk --markdown`` of a fixture machine.

    python docs/tutorials/generate.py            # rewrite docs/tutorials/*.md
    python docs/tutorials/generate.py --check    # exit 1 if a lesson is stale (tests do this too)

The prose of a lesson is the ``Comment`` of its machine and of its states in
``fixtures/tutorials/``; edit those, never the generated Markdown.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
FIXTURES = "fixtures/tutorials"
MOCKS = f"{FIXTURES}/MockConfigFile.json"

# (fixture stem, title, whether its Task states are answered by the MockConfigFile's "Lesson" case)
LESSONS: tuple[tuple[str, str, bool], ...] = (
    ("01-data-flow", "Lesson 1 — Data flow: InputPath, Parameters, ResultSelector, ResultPath, OutputPath", True),
    ("02-choice", "Lesson 2 — Choice: rules, the values they compare, Default", False),
    ("03-retry-catch", "Lesson 3 — Retry and Catch: back-off, retriers, catchers", True),
    ("04-map", "Lesson 4 — Map: one iteration per item", True),
    ("05-parallel", "Lesson 5 — Parallel: branches side by side", True),
    ("06-jsonata-variables", "Lesson 6 — JSONata and variables: Arguments, Output, Assign", True),
)


def lesson_arguments(stem: str, title: str, mocked: bool, out: Path) -> list[str]:
    """The ``sfnsim walk`` arguments of one lesson, with paths relative to the repository."""
    arguments = [f"{FIXTURES}/{stem}.asl.json", "--input-file", f"{FIXTURES}/{stem}.input.json"]
    if mocked:
        arguments += ["--mock-config", MOCKS, "--test-case", "Lesson"]
    return [*arguments, "--title", title, "--markdown", str(out), "--lang", "en"]


# The exercises (``sfnsim learn``) that practise each lesson, by number.
LESSON_EXERCISES: dict[str, tuple[int, ...]] = {
    "01-data-flow": (1, 2, 3, 4, 5),
    "02-choice": (6, 7),
    "03-retry-catch": (8, 9, 13),
    "04-map": (10, 12),
    "05-parallel": (11,),
    "06-jsonata-variables": (14, 15),
}
EXERCISE_PAGES = {"en": "exercises.md", "zh-CN": "exercises.zh-CN.md"}


def practice_section(stem: str) -> str:
    """The exercises to do after a lesson, appended to its page."""
    from sfnsim.learn import find_exercise

    lines = ["", "## Practise", "",
             "Solve these on your own machine (`sfnsim learn init ex && cd ex && sfnsim learn check`):", ""]
    for number in LESSON_EXERCISES[stem]:
        exercise = find_exercise(str(number))
        lines.append(f"- [{exercise.number}. {exercise.english_title}](exercises.md#{exercise.slug}) — "
                     f"`sfnsim learn check {exercise.slug}`")
    return "\n".join(lines) + "\n"


def exercises_page(language: str) -> str:
    """Every exercise of ``sfnsim learn``: goal, fields, files, in ``language``."""
    from sfnsim.i18n import language as speaking
    from sfnsim.learn.pages import course_page

    other = "zh-CN" if language == "en" else "en"
    with speaking(language):
        return course_page(EXERCISE_PAGES[other], "简体中文" if other == "zh-CN" else "English",
                           "../../src/sfnsim/learn/exercises")


def index_page() -> str:
    lines = [
        "# Learn the Amazon States Language by watching it run",
        "",
        "A short course on a daily ETL pipeline for orders. Each lesson runs a small state machine in sfnsim",
        "(no AWS account; the Lambda calls are answered by a MockConfigFile) and follows the JSON through",
        "every state, stage by stage, with the names AWS's TestState API uses (`afterInputPath`,",
        "`afterParameters`, `result`, `afterResultSelector`, `afterResultPath`, `variables`, `errorDetails`).",
        "",
    ]
    lines += [f"{number}. [{title.split(' — ', 1)[1]}]({stem}.md)" for number, (stem, title, _) in
              enumerate(LESSONS, start=1)]
    lines += ["", "Then practise: [graded exercises](exercises.md) ([简体中文](exercises.zh-CN.md)) that "
              "`sfnsim learn` checks on your machine, each linked after the lesson it follows."]
    lines += [
        "",
        "Every lesson is the output of `sfnsim walk --markdown` on a machine in `fixtures/tutorials/`, so it",
        "always matches what sfnsim does; the test suite regenerates the lessons and fails when one is stale.",
        "To change a lesson, edit the `Comment` fields of its machine, then run",
        "`python docs/tutorials/generate.py`. To follow a lesson in a terminal, one state at a time:",
        "",
        "```console",
        f"$ sfnsim walk {FIXTURES}/03-retry-catch.asl.json --input-file {FIXTURES}/03-retry-catch.input.json \\",
        f"    --mock-config {MOCKS} --test-case Lesson --step",
        "```",
        "",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def _in_repository() -> Iterator[None]:
    before = os.getcwd()
    os.chdir(REPO)
    try:
        yield
    finally:
        os.chdir(before)


def render_lessons() -> dict[str, str]:
    """File name → content of every generated page."""
    from sfnsim.walk.command import walk_command

    pages = {"README.md": index_page(), **{page: exercises_page(lang) for lang, page in EXERCISE_PAGES.items()}}
    # The command reports each file it writes on stderr; here those are scratch files.
    with tempfile.TemporaryDirectory() as scratch, _in_repository(), contextlib.redirect_stderr(io.StringIO()):
        for stem, title, mocked in LESSONS:
            out = Path(scratch) / f"{stem}.md"
            walk_command.main(lesson_arguments(stem, title, mocked, out), prog_name="sfnsim walk",
                              standalone_mode=False)
            pages[f"{stem}.md"] = out.read_text(encoding="utf-8") + practice_section(stem)
    return pages


def stale_pages(directory: Path) -> list[str]:
    """The pages whose committed text differs from what the fixtures generate now."""
    stale = []
    for name, content in render_lessons().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    return stale


def main(argv: list[str]) -> int:
    directory = Path(__file__).resolve().parent
    if "--check" in argv:
        stale = stale_pages(directory)
        for name in stale:
            print(f"stale: docs/tutorials/{name} (run python docs/tutorials/generate.py)", file=sys.stderr)
        return 1 if stale else 0
    for name, content in render_lessons().items():
        (directory / name).write_text(content, encoding="utf-8")
        print(f"wrote docs/tutorials/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
