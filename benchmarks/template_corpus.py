"""Load every template file of the public workflow corpus and compare each machine with the corpus.

    python benchmarks/template_corpus.py [--mirrors /work/.mirror] [--verbose]

``../shared/corpora/workflow_sources.jsonl`` names each file by repository, commit, path and blob.
The repositories must have been mirrored first (``MIRRORS/OWNER+NAME/repo``, a bare git directory):
the script extracts each file's folder at the listed commit into a temporary directory (so a SAM
``DefinitionUri`` can be followed), loads it with sfnsim, and compares every machine it holds with
the corpus ``definition`` of that id, whose ``${...}`` placeholders are first resolved in the same
template (a ``DefinitionSubstitutions`` value, ``Ref``, ``Fn::GetAtt`` or ``AWS::...``). Values only a
deployment knows (a parameter without a default) are given as substitutions, as a user would, and
counted. Nothing fetched is written inside the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sfnsim.asl.definition import read_any_template as read_template
from sfnsim.asl.loading import parse_text
from sfnsim.asl.templates import Template
from sfnsim.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"
_MISSING = re.compile(r"give it with substitutions=\{'([^']+)'")
_PLACEHOLDER = re.compile(r"\$\{(Fn::\w+\(.*?\)|[^}]+)\}", re.S)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--corpus", type=Path, default=SHARED)
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)

    sources = [json.loads(line) for line in (args.corpus / "workflow_sources.jsonl").open() if line.strip()]
    records = {r["id"]: r for r in map(json.loads, (args.corpus / "workflows.jsonl").open())}
    tally: Counter[str] = Counter()
    failures: list[str] = []
    given: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as scratch:
        for source in sources:
            tally["files"] += 1
            try:
                path = _extract(args.mirrors, source, Path(scratch))
            except RuntimeError as exc:
                tally["files not fetched"] += 1
                failures.append(f"{source['repo']}:{source['path']}: {exc}")
                continue
            own_ids = [i for i in source["definition_ids"] if i.split(":", 1)[1].split("#", 1)[0] == source["path"]]
            for definition_id in own_ids:
                record = records.get(definition_id)
                tally["machines"] += 1
                if record is None or record.get("definition") is None:
                    tally["machines without a corpus definition"] += 1
                    continue
                verdict, needed = _compare(path, source, record)
                given.update(needed)
                tally["machines needing substitutions"] += bool(needed)
                if verdict is None:
                    tally["machines equal"] += 1
                else:
                    failures.append(f"{definition_id}: {verdict}")
    print(json.dumps(dict(tally), indent=2))
    if given:
        print("substitutions given (values only a deployment knows):", ", ".join(sorted(given)))
    for failure in failures if args.verbose else failures[:20]:
        print("  -", failure)
    return 0 if not failures else 1


def _extract(mirrors: Path, source: dict[str, Any], scratch: Path) -> Path:
    """The file's folder at the listed commit, written under ``scratch``; returns the file's path.

    Files are read one by one: a mirror may lack large binary blobs, which no template needs."""
    git_dir = mirrors / source["repo"].replace("/", "+") / "repo"
    if not git_dir.exists():
        raise RuntimeError(f"no mirror at {git_dir} (fetch github:{source['repo']} first)")
    top = source["path"].split("/", 1)[0] if "/" in source["path"] else ""
    target = scratch / source["repo"].replace("/", "+") / source["commit"]
    marker = target / (top or ".") / ".extracted"
    if not marker.exists():
        listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-l", source["commit"],
                                  *([top] if top else [])], capture_output=True, text=True, check=False)
        if listing.returncode != 0:
            raise RuntimeError(listing.stderr.strip())
        for line in listing.stdout.splitlines():
            meta, name = line.split("\t", 1)
            _, kind, blob_id, size = meta.split()
            if kind != "blob" or not size.isdigit() or int(size) > 2_000_000:
                continue
            content = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "-p", blob_id],
                                     capture_output=True, check=False)
            if content.returncode == 0:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(content.stdout)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    blob = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "-p", source["blob"]], capture_output=True, check=False)
    path = target / source["path"]
    if blob.returncode == 0:
        path.write_bytes(blob.stdout)
    return path


def _compare(path: Path, source: dict[str, Any], record: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(None if sfnsim's machine equals the corpus definition else why not, the substitutions given)."""
    logical_id = record["id"].split("#", 1)[1] if "#" in record["id"] else None
    substitutions: dict[str, str] = {}
    for _ in range(20):
        try:
            if logical_id is None:
                text = path.read_text(encoding="utf-8-sig")
                mine, _ = parse_text(text, source=str(path))
                expected = record["definition"]
            else:
                template = read_template(path, substitutions=substitutions)
                if logical_id.startswith("tf:"):  # the corpus names a Terraform machine by its label
                    labels = {m.logical_id for m in template.resources}
                    logical_id = logical_id[3:] if logical_id[3:] in labels else None
                mine = template.machine(logical_id).definition
                expected = _resolved_corpus_definition(template, logical_id, record)
            break
        except DefinitionError as error:
            missing = {m.group(1) for p in error.problems if (m := _MISSING.search(p.message))}
            if not missing or missing <= substitutions.keys():
                return "; ".join(str(p) for p in error.problems[:3]), sorted(substitutions)
            substitutions.update({name: f"<{name}>" for name in missing})
    if mine == expected:
        return None, sorted(substitutions)
    return f"differs: {_first_difference(mine, expected)}", sorted(substitutions)


def _resolved_corpus_definition(template: Template, logical_id: str | None, record: dict[str, Any]) -> Any:
    """The corpus definition with each placeholder resolved in the template (as a deployment would)."""
    if not isinstance(template, Template):  # Terraform: the corpus keeps ${...} interpolations as written
        return _terraform_resolved(template, record["definition"])
    resolver = template._resolver()
    known = {name: value for name, value in (record.get("definition_substitutions") or {}).items()}

    def value_of(name: str, substituted: bool = True) -> str:
        if name in template.substitutions:
            return str(template.substitutions[name])
        if name in known and substituted:
            value = known[name]
            inner = _PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
            # the corpus shows an intrinsic value as a placeholder: !Ref X is ${X}, !GetAtt F.Arn ${F.Arn}
            return value_of(inner.group(1), substituted=False) if inner else walk(_text(value))
        function = re.fullmatch(r"(Fn::\w+)\((.*)\)", name, re.S)
        if function:
            return _text(resolver.evaluate({function.group(1): json.loads(function.group(2))}, ""))
        logical, dot, attribute = name.partition(".")
        if dot and logical in resolver.resources:
            return _text(resolver.get_att([logical, attribute], ""))
        return _text(resolver.ref(name, ""))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: value_of(m.group(1)), value)
        return value

    return walk(record["definition"])


def _terraform_resolved(tf: Any, definition: Any) -> Any:
    if isinstance(definition, dict):
        return {k: _terraform_resolved(tf, v) for k, v in definition.items()}
    if isinstance(definition, list):
        return [_terraform_resolved(tf, v) for v in definition]
    if isinstance(definition, str):
        return _PLACEHOLDER.sub(lambda m: _text(tf._value(m.group(1).strip(), 0)), definition)
    return definition


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _first_difference(mine: Any, theirs: Any, where: str = "") -> str:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in sorted(set(mine) | set(theirs)):
            if mine.get(key, "<missing>") != theirs.get(key, "<missing>"):
                return _first_difference(mine.get(key, "<missing>"), theirs.get(key, "<missing>"), f"{where}/{key}")
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        for index, (a, b) in enumerate(zip(mine, theirs)):
            if a != b:
                return _first_difference(a, b, f"{where}/{index}")
    return f"at {where or '/'}: sfnsim {json.dumps(mine)[:120]} vs corpus {json.dumps(theirs)[:120]}"


if __name__ == "__main__":
    sys.exit(main())
