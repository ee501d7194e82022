"""Turning what a user typed (--answer Q=V, or a YAML/JSON file) into answer values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imi_cli.errors import InvalidInput
from imi_cli.i18n import t


def collect(request: dict[str, Any], typed: dict[str, str], file: Path | None) -> dict[str, Any]:
    from imi_cli.questionnaires.catalog import find_set

    values: dict[str, Any] = _read(file) if file else {}
    record = request["record"]
    kinds = {q.id: q.type for q in find_set(record["questionnaire"], record["qversion"]).questions}
    for qid, text in typed.items():
        values[qid] = [v.strip() for v in text.split(",") if v.strip()] if kinds.get(qid) == "multiple_choice" else text
    return values


def _read(path: Path) -> dict[str, Any]:
    from imi_cli.bulk.readers import read_text

    text = read_text(path)
    if path.suffix.lower() == ".json":
        data = _read_json(path, text)
    else:
        from imi_cli.bulk.yaml_loader import load

        data = load(text, str(path))
    if not isinstance(data, dict):
        raise InvalidInput(t("{path}: expected a mapping of question id -> answer", path=str(path)))
    return data


def _read_json(path: Path, text: str) -> Any:
    import json

    from imi_cli.bulk.json_depth import check_depth

    check_depth(text, str(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        # Translators: {detail} is the JSON parser's own words, in English
        raise InvalidInput(t("{where}: not valid JSON: {detail}", where=where, detail=exc.msg)) from None
