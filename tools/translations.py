"""Keep sfnsim's message catalogues in step with the code and the exercises (needs Babel).

    python tools/translations.py update    # collect messages, merge them into every .po
    python tools/translations.py compile   # write each .mo from its .po
    python tools/translations.py check     # exit 1 if a .mo is stale or a message is untranslated

Messages are the English strings passed to ``_()``, ``ngettext()`` and ``N_()`` in
``src/sfnsim`` and the titles, goals, hints and case names of the exercises in ``src/sfnsim/learn/exercises``.
The test suite runs ``check``'s two tests, so a stale catalogue fails CI.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "sfnsim"
LOCALE = PACKAGE / "locale"
EXERCISES = PACKAGE / "learn" / "exercises"
DOMAIN = "sfnsim"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def collect() -> Catalog:
    """Every message of the code and the exercises, with where it comes from."""
    catalog = Catalog(project="sfnsim", domain=DOMAIN, charset="utf-8")
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "sfnsim.i18n import" not in source:
            continue
        relative = path.relative_to(REPO).as_posix()
        for line, message, comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            catalog.add(message, locations=[(relative, line)], auto_comments=comments)
    for folder in sorted(p for p in EXERCISES.iterdir() if p.is_dir()):
        meta = json.loads((folder / "exercise.json").read_text(encoding="utf-8"))
        relative = (folder / "exercise.json").relative_to(REPO).as_posix()
        for text in (meta["title"], meta["goal"], *meta["hints"], *(case["name"] for case in meta["cases"])):
            catalog.add(text, locations=[(relative, 0)])
    return catalog


def po_files() -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, charset="utf-8")


def compiled(po: Path) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read(po), use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    template = collect()
    for po in po_files():
        catalog = read(po)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
        print(f"updated {po.relative_to(REPO)}")


def compile_all() -> None:
    for po in po_files():
        po.with_suffix(".mo").write_bytes(compiled(po))
        print(f"wrote {po.with_suffix('.mo').relative_to(REPO)}")


def stale_mo_files() -> list[Path]:
    return [po.with_suffix(".mo") for po in po_files()
            if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").read_bytes() != compiled(po)]


def untranslated() -> dict[Path, list[str]]:
    """Per catalogue: messages of the code or exercises it lacks or leaves untranslated (or fuzzy)."""
    wanted = {message.id for message in collect() if message.id}
    missing: dict[Path, list[str]] = {}
    for po in po_files():
        catalog = read(po)
        gaps = []
        for message_id in sorted(wanted, key=str):
            message = catalog.get(message_id)
            strings = message.string if message is not None else None
            if message is None or message.fuzzy or not (all(strings) if isinstance(strings, tuple) else strings):
                gaps.append(message_id if isinstance(message_id, str) else message_id[0])
        if gaps:
            missing[po] = gaps
    return missing


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        stale = stale_mo_files()
        gaps = untranslated()
        for path in stale:
            print(f"stale: {path.relative_to(REPO)} (run: python tools/translations.py compile)")
        for path, messages in gaps.items():
            print(f"{path.relative_to(REPO)}: {len(messages)} untranslated, e.g. {messages[0]!r}")
        return 1 if stale or gaps else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
