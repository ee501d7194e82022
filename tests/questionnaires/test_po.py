"""PO round trip: export, translate, import back into the YAML (comments kept)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from imi_cli.errors import InvalidInput
from imi_cli.questionnaires.catalog import check_file, load_set
from imi_cli.questionnaires.po import export_po, import_po, load_for_translation

FRENCH = {  # real French, for the small two-language set
    "title": "Vérifier une qualification",
    "description": "Questions pour vérifier un diplôme (directive 2005/36/CE).",
    "document_authentic.text": "Le diplôme de {applicant_name} est-il authentique ?",
    "document_authentic.help": "Comparez avec votre registre.",
    "person_established.text": "La personne est-elle établie dans votre pays ?",
    "years_experience.text": "Depuis combien de temps la personne travaille-t-elle ?",
    "remarks.text": "Remarques",
    "authenticity.authentic.label": "Authentique",
    "authenticity.not_authentic.label": "Non authentique",
    "years_experience.unit.one": "an", "years_experience.unit.many": "d’années",
    "years_experience.unit.other": "ans",
}


@pytest.fixture
def catalog(tmp_path: Path, small_valid: Path) -> Path:
    return Path(shutil.copy(small_valid, tmp_path / small_valid.name))


def export(catalog: Path, lang: str, previous: Path | None = None) -> Path:
    _, doc, _ = load_for_translation(catalog)
    out = catalog.with_name(f"{lang}.po")
    out.write_bytes(export_po(doc, lang, previous))
    return out


def translate(po: Path, texts: dict[str, str], **changes: str) -> Path:
    with po.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.context:
            message.string = changes.get(message.context.replace(".", "_"), texts.get(message.context, ""))
    with po.open("wb") as handle:
        write_po(handle, catalog)
    return po


def test_export_names_every_text_by_context(catalog: Path) -> None:
    with export(catalog, "pl").open("rb") as handle:
        po = read_po(handle)
    contexts = [m.context for m in po if m.context]
    assert contexts[:3] == ["title", "description", "document_authentic.text"]
    assert [c for c in contexts if ".unit." in c] == [  # Polish plural categories, from Babel
        "years_experience.unit.few", "years_experience.unit.many",
        "years_experience.unit.one", "years_experience.unit.other"]
    assert (po.project, po.version, str(po.locale)) == ("small-valid", "1.0", "pl")


def test_round_trip_adds_a_language_and_keeps_comments(catalog: Path) -> None:
    plan = import_po(translate(export(catalog, "fr"), FRENCH), catalog)
    assert (plan.updated, plan.lang) == (12, "fr")
    text = catalog.read_text()
    assert "languages: [en, de, fr]" in text
    assert text.startswith("# A small valid question set")  # comments survive
    assert check_file(catalog)[1] == []
    qset = load_set(catalog)
    assert qset.question("years_experience").unit["fr"] == {"one": "an", "many": "d’années",
                                                           "other": "ans"}
    assert qset.title["fr"] == "Vérifier une qualification"


def test_import_that_would_break_a_check_is_refused(catalog: Path) -> None:
    before = catalog.read_text()
    po = translate(export(catalog, "fr"), FRENCH,
                   document_authentic_text="Le diplôme de {demandeur} est-il authentique ?")
    with pytest.raises(InvalidInput) as refused:
        import_po(po, catalog)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("P001", "document_authentic.text.fr lacks {applicant_name} and has {demandeur} not in the source")]
    assert catalog.read_text() == before


def test_partial_import_of_a_new_language_is_refused(catalog: Path) -> None:
    po = translate(export(catalog, "fr"), {"title": "Vérifier une qualification"})
    with pytest.raises(InvalidInput) as refused:
        import_po(po, catalog)
    assert {p.field for p in refused.value.problems} == {"L002"}


def test_changed_source_is_fuzzy_on_re_export(catalog: Path) -> None:
    po = export(catalog, "de")  # German is already translated
    catalog.write_text(catalog.read_text().replace("text: {en: Remarks,", "text: {en: Remarks or notes,"))
    po = export(catalog, "de", previous=po)
    assert ('#, fuzzy\n#| msgid "Remarks"\nmsgctxt "remarks.text"\nmsgid "Remarks or notes"\n'
            'msgstr "Bemerkungen"\n') in po.read_text()
    with po.open("rb") as handle:  # Babel reads no #| lines back; the flag is what counts
        entries = {m.context: m for m in read_po(handle) if m.context}
    assert entries["remarks.text"].fuzzy and not entries["title"].fuzzy


def test_fuzzy_entries_are_not_imported(catalog: Path) -> None:
    po = export(catalog, "de")
    catalog.write_text(catalog.read_text().replace("text: {en: Remarks,", "text: {en: Remarks or notes,"))
    po = export(catalog, "de", previous=po)
    plan = import_po(po, catalog)
    assert (plan.updated, plan.skipped_fuzzy) == (0, 1)


def test_translation_from_an_outdated_source_is_refused(catalog: Path) -> None:
    po = translate(export(catalog, "de"), {}, remarks_text="Anmerkungen")
    catalog.write_text(catalog.read_text().replace("text: {en: Remarks,", "text: {en: Remarks or notes,"))
    with pytest.raises(InvalidInput) as refused:
        import_po(po, catalog)
    assert [p.field for p in refused.value.problems] == ["remarks.text"]
    assert "source text has changed since this file was exported" in refused.value.problems[0].message


def test_update_of_block_scalars_and_no_key(tmp_path: Path) -> None:
    from imi_cli.questionnaires.loader import parse
    from imi_cli.questionnaires.yaml_edit import apply

    text = "a:\n  en: hi  # note\n  de: |\n    lang\n    text\nb: {en: x}\n"
    new = apply(text, parse(text, "t"), {("a", "de"): "neu: Text", ("a", "no"): "hei",
                                          ("b", "no"): "ja"}, {})
    assert new == 'a:\n  en: hi  # note\n  de: "neu: Text"\n  "no": hei\nb: {en: x, "no": ja}\n'


def test_fuzzy_survives_a_second_re_export(catalog: Path) -> None:
    po = export(catalog, "de")
    catalog.write_text(catalog.read_text().replace("text: {en: Remarks,", "text: {en: Remarks or notes,"))
    po = export(catalog, "de", previous=po)
    po = export(catalog, "de", previous=po)  # nobody reviewed it in between
    with po.open("rb") as handle:
        entries = {m.context: m for m in read_po(handle) if m.context}
    assert entries["remarks.text"].fuzzy and not entries["title"].fuzzy
