"""--against GIT_REF: compare a catalog with its version at a git revision (V001, V002).

Answers already given refer to question ids and choice codes, so a published
set must bump its version when its questions change, and an id once used must
keep meaning the same question.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from imi_cli.errors import UsageError
from imi_cli.i18n import _, t
from imi_cli.questionnaires.fields import questions
from imi_cli.questionnaires.findings import Finding
from imi_cli.questionnaires.loader import Document, parse


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          encoding="utf-8")


@cache
def _repo_root(folder: Path) -> Path:
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageError(t("--against needs a git repository; {folder} is not in one", folder=str(folder)))
    return Path(done.stdout.strip())


@cache
def _check_ref(root: Path, ref: str) -> None:
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(t("--against {ref!r} is not a git revision of {root}", ref=ref, root=str(root)),
                         hint=_("use a branch, tag or commit, e.g. --against origin/main"))


def require_ref(path: Path, ref: str) -> None:
    _check_ref(_repo_root(path.resolve().parent), ref)


def old_text(path: Path, ref: str) -> str | None:
    """The file's text at ``ref``, or None if it did not exist there."""
    root = _repo_root(path.resolve().parent)
    _check_ref(root, ref)
    relative = path.resolve().relative_to(root).as_posix()
    done = _git(root, "show", f"{ref}:{relative}")
    return done.stdout if done.returncode == 0 else None


def compare_with(path: Path, doc: Document, ref: str) -> list[Finding]:
    text = old_text(path, ref)
    old = parse(text, doc.file).data if text is not None else None
    if not isinstance(old, dict) or not isinstance(doc.data, dict):
        return []  # a new file (or one that did not parse then): nothing to keep stable
    return _version_kept(doc, old, ref) + _ids_reused(doc, old, ref)


def _version_kept(doc: Document, old: dict, ref: str) -> list[Finding]:
    new = doc.data
    if new.get("status") != "published" or old.get("status") != "published":
        return []
    if old.get("version") != new.get("version") or _signature(old) == _signature(new):
        return []
    return [doc.finding(("version",), "V001", t(
        "the questions changed since {ref} but version is still {version!r}; bump it",
        ref=ref, version=new.get("version")))]


def _signature(data: dict) -> list[Any]:
    """What answers depend on: question ids, types, rules, source texts, choice codes."""
    source = data.get("source_language")
    return [({key: value for key, value in q.items() if key not in ("text", "help")},
             q.get("text", {}).get(source), _codes(data, q)) for _, q in questions(data)]


def _codes(data: dict, question: dict) -> list[str]:
    entries = (data.get("choice_lists") or {}).get(question.get("choices"), [])
    return [c["code"] for c in entries if isinstance(c, dict) and isinstance(c.get("code"), str)]


def _ids_reused(doc: Document, old: dict, ref: str) -> list[Finding]:
    before = {q.get("id"): q for _, q in questions(old)}
    out = []
    for index, question in questions(doc.data):
        previous = before.get(question.get("id"))
        message = _difference(doc.data, question, old, previous, ref) if previous else ""
        if message:
            out.append(doc.finding(("questions", index, "id"), "V002", message))
    return out


def _difference(data: dict, question: dict, old: dict, previous: dict, ref: str) -> str:
    """What makes a reused id mean another question, as a whole sentence ("" if nothing)."""
    if question.get("type") != previous.get("type"):
        # Translators: {old} and {new} are question types as the catalog writes them (yes_no, date, ...)
        return t("question id {id!r} was {old} at {ref} and is now {new}; a changed question needs a new id",
                 id=question["id"], old=previous.get("type"), ref=ref, new=question.get("type"))
    dropped = [c for c in _codes(old, previous) if c not in _codes(data, question)]
    if dropped:
        # Translators: {codes} are answer codes as the catalog writes them, separated by commas
        return t("question id {id!r} no longer offers the answers {codes} it had at {ref}; "
                 "a changed question needs a new id", id=question["id"], codes=", ".join(dropped), ref=ref)
    return ""
