"""``sfnsim learn``: graded exercises a learner solves in a local workspace.

    sfnsim learn init ex && cd ex && sfnsim learn check

Exit codes: ``check`` exits 1 while the exercise it reports on does not pass; 2 for unusable
input (no workspace here, an unknown exercise, an unknown language).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sfnsim.cli import EXIT_FAILED, UsageProblem, echo_json

if TYPE_CHECKING:
    from sfnsim.learn.checking import CheckResult
    from sfnsim.learn.workspace import Workspace

_LANG_HELP = "Language of the text: en or zh-CN (default: the workspace's, else the locale's)."


def _speak(lang: str | None, workspace_language: str | None = None) -> None:
    from sfnsim.i18n import UnknownLanguage, use_language

    try:
        use_language(lang or workspace_language)
    except UnknownLanguage as exc:
        raise UsageProblem(str(exc)) from None


def _workspace(path: Path | None, lang: str | None) -> "Workspace":
    from sfnsim.learn.workspace import find_workspace

    workspace = find_workspace(path)
    _speak(lang, workspace.language)
    return workspace


lang_option = click.option("--lang", metavar="LANG", help=_LANG_HELP)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
workspace_option = click.option("--workspace", "workspace_path", type=click.Path(path_type=Path, file_okay=False),
                                help="The workspace folder (default: the one holding the current directory).")


@click.group("learn", short_help="Graded exercises in the States Language, checked locally.")
def learn_command() -> None:
    """Graded exercises: fix a state machine definition until its checks pass.

    Start with `sfnsim learn init DIR`, then run `sfnsim learn check` inside DIR.
    """


@learn_command.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@lang_option
def init_command(directory: Path, lang: str | None) -> None:
    """Write a workspace of exercises into DIRECTORY (a new or empty folder)."""
    from sfnsim.i18n import _, current_language
    from sfnsim.learn.catalog import all_exercises
    from sfnsim.learn.workspace import init_workspace

    _speak(lang)
    init_workspace(directory, language=current_language() if lang else None)
    click.echo(_("Wrote {count} exercises to {path}.").format(count=len(all_exercises()), path=directory))
    click.echo(_("Next: cd {path} && sfnsim learn check").format(path=directory))


@learn_command.command("list")
@workspace_option
@lang_option
@json_option
def list_command(workspace_path: Path | None, lang: str | None, as_json: bool) -> None:
    """List the exercises, each done or not done yet."""
    from sfnsim.learn.render import render_list
    from sfnsim.learn.session import check_workspace

    workspace = _workspace(workspace_path, lang)
    results = check_workspace(workspace, every=True)
    if as_json:
        echo_json({"done": sum(r.passed for r in results), "total": len(results),
                   "exercises": [{"name": r.exercise.slug, "title": r.exercise.title(), "done": r.passed,
                                  "file": workspace.relative(r.exercise)} for r in results]})
        return
    click.echo(render_list([(result.exercise, result.passed) for result in results]), nl=False)


@learn_command.command("check")
@click.argument("name", required=False)
@click.option("--all", "every", is_flag=True, help="Check every exercise, not only up to the first not done.")
@workspace_option
@lang_option
@json_option
def check_command(name: str | None, every: bool, workspace_path: Path | None, lang: str | None,
                  as_json: bool) -> None:
    """Check exercise NAME, or the exercises in order up to the first one not done yet.

    A failing check shows the first state and data-flow stage where your run differs from the
    reference solution's, both values side by side, and the AWS documentation page for that field.
    Exits 1 when an exercise checked does not pass.
    """
    from sfnsim.i18n import _
    from sfnsim.learn.render import headline, render_result, result_json
    from sfnsim.learn.session import check_workspace

    workspace = _workspace(workspace_path, lang)
    results = check_workspace(workspace, name, every=every)
    if as_json:
        echo_json({"passed": all(r.passed for r in results), "exercises": [result_json(r) for r in results]})
        sys.exit(0 if all(r.passed for r in results) else EXIT_FAILED)
    for result in results:
        if result.passed:
            click.echo(headline(result.exercise, True))
        else:
            click.echo(render_result(result, workspace.relative(result.exercise)), nl=False)
    if all(result.passed for result in results):
        if name is None:
            click.echo(_("All exercises done. Well done!"))
        return
    sys.exit(EXIT_FAILED)


@learn_command.command("hint")
@click.argument("name", required=False)
@workspace_option
@lang_option
def hint_command(name: str | None, workspace_path: Path | None, lang: str | None) -> None:
    """Show the next hint for exercise NAME (default: the first exercise not done yet).

    Hints are graded: each time you ask, one more is revealed, the last saying what to write.
    """
    from sfnsim.i18n import _
    from sfnsim.learn.catalog import find_exercise
    from sfnsim.learn.render import render_hints
    from sfnsim.learn.session import next_exercise, reveal_hint

    workspace = _workspace(workspace_path, lang)
    exercise = find_exercise(name) if name is not None else next_exercise(workspace)
    if exercise is None:
        click.echo(_("All exercises done: no hints needed."))
        return
    click.echo(render_hints(exercise, reveal_hint(workspace, exercise)), nl=False)


@learn_command.command("watch")
@click.option("--interval", type=click.FloatRange(min=0.1), default=0.5, show_default=True,
              help="Seconds between looks at the files.")
@workspace_option
@lang_option
def watch_command(interval: float, workspace_path: Path | None, lang: str | None) -> None:
    """Check again every time an exercise file is saved (Ctrl-C stops)."""
    from sfnsim.i18n import _
    from sfnsim.learn.render import headline, render_result
    from sfnsim.learn.session import watch

    workspace = _workspace(workspace_path, lang)

    def show(results: list[CheckResult]) -> None:
        click.echo("")
        for result in results:
            click.echo(headline(result.exercise, True) if result.passed
                       else render_result(result, workspace.relative(result.exercise)), nl=result.passed)
        click.echo(_("Watching {path} for changes (Ctrl-C stops)…").format(path=workspace.root))

    try:
        watch(workspace, show, interval=interval)
    except KeyboardInterrupt:
        click.echo("")
