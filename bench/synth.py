"""Synthetic authorities for the benchmarks: deterministic, names in all 26 IMI languages,
with each language's own letters (diacritics, Greek, Cyrillic) so search has real work."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from imi_cli.reference.countries import COUNTRIES
from imi_cli.reference.languages import LANGUAGES

# A word for "office/chamber/authority" per language, and letters that language uses.
INSTITUTION = {
    "bg": "Камара", "cs": "Komora", "da": "Kammer", "de": "Kammer", "el": "Επιμελητήριο",
    "en": "Chamber", "es": "Cámara", "et": "Koda", "fi": "Kamari", "fr": "Chambre", "ga": "Cumann",
    "hr": "Komora", "hu": "Kamara", "it": "Camera", "lt": "Rūmai", "lv": "Kamera", "mt": "Kamra",
    "nl": "Kamer", "pl": "Izba", "pt": "Câmara", "ro": "Camera", "sk": "Komora", "sl": "Zbornica",
    "sv": "Kammare", "is": "Ráð", "no": "Kammer",
}
LETTERS = {
    "bg": "абвгдежзиклмнопрстуфхцчшщъюя", "el": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ",
    "cs": "abcdeěfhijklmnoprsštuůvyýzžčř", "hu": "abcdeéfghiíjklmnoóöőprstuúüűvz",
    "pl": "abcćdeęfghijklłmnńoóprsśtuwyzźż", "de": "abcdefghiklmnoöprstuüvwzß",
    "fr": "abcdeéèêfghijlmnoprstuvzç", "is": "aábdðeéfghiíjklmnoóprstuúvxyýþæö",
    "ro": "abcdefghiîjlmnoprsștțuvzăâ", "lt": "aąbcčdeęėfghiįjklmnoprsštuųūvzž",
}
DEFAULT_LETTERS = "abcdefghijklmnoprstuvz"
AREAS = ("professional-qualifications", "services", "euro-cash-in-transit", "public-procurement",
         "posting-of-workers", "patients-rights")
COMPETENCES = ("architect", "doctor", "nurse", "pharmacist", "dentist", "veterinary", "lawyer",
               "engineer", "midwife", "teacher", "licensing", "inspection", "registration")
COLUMNS = ["id", "country", "name", "languages", "areas", "competences", "email"]


def _word(rng: random.Random, lang: str) -> str:
    letters = LETTERS.get(lang, DEFAULT_LETTERS)
    return "".join(rng.choice(letters) for _ in range(rng.randint(4, 10))).capitalize()


def authority(i: int, rng: random.Random) -> dict[str, str]:
    """One authority as a CSV row: 1-3 working languages, a name in each."""
    langs = rng.sample(LANGUAGES, rng.randint(1, 3))
    areas = rng.sample(AREAS, rng.randint(1, 2))
    row = {"id": f"SYN-{i:06d}", "country": rng.choice(COUNTRIES),
           "name": f"{_word(rng, langs[0])} {_word(rng, langs[0])} {INSTITUTION[langs[0]]}",
           "languages": ";".join(langs), "areas": ";".join(areas),
           "competences": ";".join(f"{rng.choice(areas)}:{c}" for c in rng.sample(COMPETENCES, 2)),
           "email": f"office{i}@example.eu"}
    for lang in langs[1:]:
        row[f"name:{lang}"] = f"{_word(rng, lang)} {INSTITUTION[lang]}"
    return row


def authorities(count: int, seed: int = 2026) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [authority(i, rng) for i in range(count)]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    extra = sorted({k for row in rows for k in row if k.startswith("name:")})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS + extra, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def machine() -> str:
    import os
    import platform

    return (f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
            f"{platform.machine()}")


def ensure_bytecode() -> None:
    """Whole-process figures are for an installed imi, its modules compiled once. An editable
    install run under PYTHONDONTWRITEBYTECODE=1 (as on these machines) would otherwise compile
    every module on every run: about 25 ms more per command."""
    import compileall

    import imi_cli

    compileall.compile_dir(str(Path(imi_cli.__file__).parent), quiet=1)


def messages(store: Any, to: str, n: int) -> list[dict[str, Any]]:
    """n signed `message.sent` events of ``store``'s user to ``to``, as its node would push them
    (and the hub serve them): what bench_hub, bench_catchup and bench_hub_pg push and pull."""
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import make_event, uuid7

    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    signer = Signer(me["user"], store.meta("private_key"))
    out = []
    for i in range(n):
        ident = uuid7()
        out.append(signer.sign_event(make_event(
            "message.sent", actor=me, audience=[me["authority"], to],
            payload={"from": me["authority"], "to": to, "subject": f"bench {i}", "text": "x" * 200, "lang": "en"},
            subject={"entity": f"message/{ident}", "version": 0})))
    return out
