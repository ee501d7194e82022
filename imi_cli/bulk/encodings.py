"""Which code page a file that is not UTF-8 was most likely saved in (Excel's CSV is).

A spreadsheet saves "CSV" in the Windows code page of its language: cp1250 in Hungary,
Poland, Czechia, Slovakia, Slovenia, Croatia and Romania; cp1252 in the West; cp1251 for
Bulgarian, cp1253 for Greek, cp1257 in the Baltic states. The guess is told to the user
(``--encoding cp1250``) with a line as it would read; nothing is decoded on a guess.

General detectors (charset-normalizer, chardet) need more text than a short directory file
has: on a two-line Polish file charset-normalizer said cp1252 ("G³ówny Urz¹d"), on a French
one cp1250 ("Ministčre"). Here each candidate's decoding is scored on what European names
look like: letters of the EU languages score, a symbol inside a word (³ in G³ówny) or a
word that mixes scripts or has a capital inside costs; the country codes the file names (HU,
PL-..., name:pl) add a little (enough to decide a short file), then the order below decides.
"""

from __future__ import annotations

import re
import unicodedata

CANDIDATES = ("cp1250", "cp1252", "cp1257", "cp1251", "cp1253")
# the countries (as their codes appear in the file: HU, HU-EPK, name:hu) that save in each
_COUNTRIES = {
    "cp1250": ("HU", "PL", "CZ", "SK", "SI", "HR", "RO", "CS", "SL"),
    "cp1252": ("AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "LU", "MT", "NL", "PT", "SE", "IS",
               "LI", "NO", "DA", "SV", "NB"),
    "cp1257": ("LT", "LV", "EE", "ET"),
    "cp1251": ("BG",),
    "cp1253": ("EL", "GR", "CY"),
}
# Letters of the languages written in these code pages: common ones score 2, rare ones 1
_COMMON = set("áéíóöőúüűąćęłńśźżčďěňřšťůýžľĺŕôäăâîșțşţđàçèêëïùûœñãõìòåøæßāēīūģķļņėįų")
_RARE = set("ŕĺďťľňìòùûïëœÿýðþ")
_TOKEN = re.compile(r"[^\s0-9!-/:-@\[-`{-~]+")  # a word, with any non-ASCII symbol glued to it


def guess(data: bytes) -> str | None:
    """The most likely of the candidate code pages for ``data``, or None if none decodes it."""
    best: tuple[int, int] | None = None
    choice = None
    for rank, encoding in enumerate(CANDIDATES):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        key = (score(text) + 2 * min(_named(text, encoding), 5), -rank)
        if best is None or key > best:
            best, choice = key, encoding
    return choice


def score(text: str) -> int:
    """How much ``text`` looks like names and words of European languages."""
    total = 0
    for token in _TOKEN.findall(text):
        letters = [c for c in token if c.isalpha()]
        foreign = [c for c in letters if ord(c) > 127]
        if not foreign and len(letters) == len(token):
            continue
        if letters and len(letters) < len(token):  # "G³ówny", "Urz¹d"
            total -= 5 * (len(token) - len(letters))
        if len({_script(c) for c in letters}) > 1:  # "MagyarЙ": a page of another alphabet
            total -= 5 * len(foreign)
            continue
        if _script(letters[0] if letters else "a") == "LATIN" and len(letters) > 2 and len(foreign) * 2 > len(letters):
            total -= 3 * len(foreign)  # "Ęŕěŕđŕ": Cyrillic read as Latin
            continue
        total += sum(_weight(c) for c in foreign)
        # a capital inside a word: "ЕпимелзтЮсйо" is Greek read as Cyrillic
        total -= 3 * sum(1 for a, b in zip(token, token[1:], strict=False) if a.islower() and b.isupper())
    return total


def _weight(letter: str) -> int:
    lower = letter.lower()
    if _script(letter) in ("CYRILLIC", "GREEK"):
        return 2
    return 1 if lower in _RARE else 2 if lower in _COMMON else 0


def _script(letter: str) -> str:
    return unicodedata.name(letter, "UNKNOWN").split(" ")[0]


def _named(text: str, encoding: str) -> int:
    """How often the file names a country (or language) that saves in ``encoding``."""
    codes = "|".join(_COUNTRIES[encoding])
    return len(re.findall(rf"(?<![A-Za-z])(?:{codes})(?![A-Za-z])", text)) + \
        len(re.findall(rf"(?<=name:)(?:{codes.lower()})(?![a-z])", text))
