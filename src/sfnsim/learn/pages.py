"""The Markdown a learner reads: the workspace's README, each exercise's goal page, and the course
page of docs/tutorials (``course_page``), all in the current language."""

from __future__ import annotations

from sfnsim.i18n import _, current_language
from sfnsim.learn.catalog import Exercise, all_exercises
from sfnsim.learn.docs_pages import docs_url
from sfnsim.walk.markdown import escape

EXERCISES_DIR = "exercises"


def exercise_page(exercise: Exercise) -> str:
    """The goal of one exercise, as Markdown, in the current language."""
    lines = [f"# {exercise.number}. {escape(exercise.title())}", "", escape(exercise.goal()), ""]
    lines += [_("Edit `{file}` until `sfnsim learn check {name}` passes.").format(file=exercise.file_name,
                                                                                  name=exercise.slug), ""]
    lines += [_("Fields this exercise is about:"), ""]
    for field_name in exercise.fields:
        url = docs_url(field_name)
        lines.append(f"- [`{field_name}`]({url})" if url else f"- `{field_name}`")
    return "\n".join(lines) + "\n"


def readme() -> str:
    lines = [
        "# " + _("Amazon States Language exercises"), "",
        _("Each file in `exercises/` is a state machine definition that is incomplete or wrong. Fix them one "
          "by one; sfnsim runs each on a virtual clock, with mocked tasks, and tells you where the data first "
          "goes astray."), "",
        "```console",
        "sfnsim learn check        # " + _("check the first exercise not done yet"),
        "sfnsim learn hint         # " + _("a hint for it (ask again for a stronger one)"),
        "sfnsim learn list         # " + _("every exercise, done or not"),
        "sfnsim learn watch        # " + _("check again on every save"),
        "sfnsim walk exercises/01-input-path-parameters.asl.json --input '{...}'   # " + _("narrate a run"),
        "```", "",
        "## " + _("Exercises"), "",
    ]
    for exercise in all_exercises():
        lines.append(f"{exercise.number}. [{exercise.title()}]({EXERCISES_DIR}/{exercise.slug}.md)")
    lines += ["", _("Language: {language}. Use `--lang en` or `--lang zh-CN` to change it.").format(
        language=current_language())]
    return "\n".join(lines) + "\n"


def course_page(other_page: str, other_language: str, folder_prefix: str) -> str:
    """Every exercise with its goal, fields and files; ``folder_prefix`` leads to the exercise folders."""
    lines = ["# " + _("Amazon States Language exercises"), "", f"[{other_language}]({other_page})", "",
             _("Each exercise is a state machine definition that is incomplete or wrong. Start them with "
               "`sfnsim learn init ex && cd ex && sfnsim learn check`; `sfnsim learn hint` gives graded hints."), ""]
    for exercise in all_exercises():
        folder = f"{folder_prefix}/{exercise.slug}"
        fields = ", ".join(f"[`{f}`]({docs_url(f)})" if docs_url(f) else f"`{f}`" for f in exercise.fields)
        lines += [f'<a id="{exercise.slug}"></a>', "", f"## {exercise.number}. {escape(exercise.title())}", "",
                  escape(exercise.goal()), "",
                  "- " + _("Fields this exercise is about:") + " " + fields,
                  f"- [start.asl.json]({folder}/start.asl.json) · [exercise.json]({folder}/exercise.json) · "
                  f"`sfnsim learn check {exercise.slug}`", ""]
    return "\n".join(lines)
