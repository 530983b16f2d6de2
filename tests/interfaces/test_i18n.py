"""Languages: gettext catalogues (English source, Simplified Chinese), chosen by --lang or the locale.

Field names, state names and values are never translated; the sentences around them are. The
compiled ``.mo`` must be exactly what the ``.po`` compiles to, and every message of the code and of
the exercises must have a translation with the same placeholders.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from sfnsim import StateMachine
from sfnsim.cli import main
from sfnsim.i18n import UnknownLanguage, current_language, from_environment, language, normalise, use_language
from sfnsim.learn import check_definition, find_exercise, init_workspace, render_result
from sfnsim.walk import build_walkthrough
from sfnsim.walk.html import render_walkthrough_html
from sfnsim.walk.markdown import render_markdown
from sfnsim.walk.narrate import narrate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def english_afterwards():
    """Commands switch the process's language; the tests after these speak English again."""
    yield
    use_language("en")
FLOW = {"StartAt": "Extract", "States": {
    "Extract": {"Type": "Pass", "InputPath": "$.run", "Result": {"rows": 3}, "ResultPath": "$.extracted",
                "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.extracted.rows", "NumericGreaterThan": 0, "Next": "Done"}],
              "Default": "Done"},
    "Done": {"Type": "Succeed"}}}


def translations_tool() -> ModuleType:
    pytest.importorskip("babel")
    spec = importlib.util.spec_from_file_location("translations_tool", ROOT / "tools" / "translations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compiled_catalogues_are_up_to_date_with_the_po_files() -> None:
    tool = translations_tool()
    assert tool.po_files(), "no .po file found"
    assert tool.stale_mo_files() == [], "run: python tools/translations.py compile"


def test_every_message_of_the_code_and_the_exercises_is_translated() -> None:
    assert translations_tool().untranslated() == {}, "run: python tools/translations.py update, then translate"


def test_translations_keep_placeholders_and_code() -> None:
    tool = translations_tool()
    fields = re.compile(r"\{(\w*)(?:![rs])?\}")
    for po in tool.po_files():
        for message in tool.read(po):
            if not message.id:
                continue
            source = message.id[0] if isinstance(message.id, tuple) else message.id
            for text in message.string if isinstance(message.string, tuple) else (message.string,):
                assert sorted(fields.findall(text)) == sorted(fields.findall(source)), source
                assert text.count("`") == source.count("`"), source


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh-CN", "zh-CN"), ("zh_CN.UTF-8", "zh-CN"), ("zh", "zh-CN"), ("zh-Hans", "zh-CN"),
    ("en", "en"), ("en_GB.UTF-8", "en"), ("C", "en"), ("POSIX", "en"),
])
def test_language_tags_are_understood(tag: str, expected: str) -> None:
    assert normalise(tag) == expected


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(UnknownLanguage, match="en, zh-CN"):
        normalise("fr")


def test_the_locale_chooses_the_language_as_the_c_library_does(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert from_environment() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert from_environment() == "zh-CN"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")  # LC_ALL overrides LANG
    assert from_environment() == "en"
    monkeypatch.setenv("LANGUAGE", "fr:zh_CN")  # GNU LANGUAGE: a list, the first one sfnsim speaks wins
    assert from_environment() == "zh-CN"


def test_language_blocks_restore_the_previous_language() -> None:
    before = current_language()
    with language("zh-CN"):
        assert current_language() == "zh-CN"
    assert current_language() == before


def walkthrough():
    return build_walkthrough(StateMachine.from_dict(FLOW, name="Orders").run(
        {"run": {"day": "2024-06-01"}}, inspect=True))


def test_walk_text_in_chinese_keeps_names_and_values() -> None:
    with language("zh-CN"):
        text = narrate(walkthrough())
    assert "Orders 的运行讲解" in text
    assert "afterInputPath" in text and '{"day": "2024-06-01"}' in text
    assert "没有 `Parameters`：保持不变" in text
    assert "规则 0（→ `Done`）匹配。" in text  # the state name stays as written
    assert "`$.extracted.rows` 为 `3`；`NumericGreaterThan` `0` → true。" in text
    assert "执行在 0s 虚拟时间后以 SUCCEEDED 结束。" in text  # the status is AWS's word, untranslated


def test_walk_markdown_and_html_in_chinese() -> None:
    run = walkthrough()
    with language("zh-CN"):
        markdown = render_markdown(run)
        page = render_walkthrough_html(run)
    assert "## 逐步讲解" in markdown and "## 运行结果" in markdown
    assert "### 1. `Extract` · Pass 状态" in markdown
    assert '<html lang="zh-CN">' in page and "<h2>逐个状态</h2>" in page and "afterInputPath" in page
    english = render_walkthrough_html(run)
    assert '<html lang="en">' in english and "<h2>State by state</h2>" in english


def test_walk_command_takes_lang() -> None:
    path = ROOT / "fixtures" / "tutorials" / "02-choice.asl.json"
    source = ROOT / "fixtures" / "tutorials" / "02-choice.input.json"
    result = CliRunner().invoke(main, ["walk", str(path), "--input-file", str(source), "--lang", "zh-CN"])
    assert result.exit_code == 0, result.output
    assert "的运行讲解" in result.output and "RouteByFile" in result.output
    bad = CliRunner().invoke(main, ["walk", str(path), "--input-file", str(source), "--lang", "xx"])
    assert bad.exit_code == 2 and "en, zh-CN" in bad.output


def test_learn_feedback_in_chinese_names_the_stage() -> None:
    exercise = find_exercise("03")
    with language("zh-CN"):
        text = render_result(check_definition(exercise, exercise.start))
    assert "ResultPath：保留输入，加入结果" in text
    assert "状态 Extract · 阶段 afterResultPath（由 ResultPath 产生）" in text
    assert "https://docs.aws.amazon.com/zh_cn/step-functions/latest/dg/input-output-resultpath.html" in text


def test_a_workspace_remembers_its_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["learn", "init", str(tmp_path / "ex"), "--lang", "zh-CN"]).exit_code == 0
    assert json.loads((tmp_path / "ex" / ".sfnsim-learn.json").read_text())["language"] == "zh-CN"
    assert (tmp_path / "ex" / "README.md").read_text(encoding="utf-8").startswith("# Amazon States Language 练习")
    checked = runner.invoke(main, ["learn", "check", "--workspace", str(tmp_path / "ex")])
    assert checked.exit_code == 1 and "你的运行与参考答案最先出现差异的地方" in checked.output
    english = runner.invoke(main, ["learn", "check", "--workspace", str(tmp_path / "ex"), "--lang", "en"])
    assert "Where your run first differs from the reference solution" in english.output


def test_the_locale_speaks_when_nothing_else_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    init_workspace(tmp_path / "ex")
    result = CliRunner().invoke(main, ["learn", "list", "--workspace", str(tmp_path / "ex")])
    assert result.output.splitlines()[-1] == "已完成 0/15 个练习。"


def test_chinese_prose_wraps_to_terminal_columns() -> None:
    from sfnsim.walk.narrate import display_width, wrap

    text = "第 1 次尝试失败，错误为 `Warehouse.Busy`。重试器 0（`ErrorEquals` `[\"Warehouse.Busy\"]`）接手：这是该重试器的第 1 次重试。"
    lines = wrap(text, 40, "  ", "  ")
    assert all(display_width(line) <= 40 for line in lines) and len(lines) > 2
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.strip().startswith(("，", "。", "）")) for line in lines)  # punctuation stays attached
    assert wrap("plain English words", 10, "", "") == ["plain", "English", "words"]  # as textwrap does
