"""Texts in gettext catalogues: complete in English and Spanish, placeholders matching, chosen with /language."""
from __future__ import annotations

import os
import shutil

from babel.messages.pofile import read_po

from bot import i18n
from bot.texts import EN, EN_LABELS, EN_PLURAL, LANGUAGES, label, text

from .conftest import Chat, linked


def test_every_text_and_label_exists_in_every_language_with_the_same_placeholders_and_tags():
    assert LANGUAGES == ("en", "es")
    for lang in i18n.TRANSLATED:
        assert i18n.problems(lang) == []


def test_the_checker_finds_a_missing_translation_and_a_wrong_placeholder(tmp_path, monkeypatch):
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy)
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    po = i18n.po_path("es")
    broken = po.read_text(encoding="utf-8").replace("¡Hola, {name}! Estoy aquí para los reembolsos", "¡Hola, {nombre}! Estoy aquí para los reembolsos")
    broken = broken.replace('msgstr "Firma"', 'msgstr ""')
    po.write_text(broken, encoding="utf-8")
    found = i18n.problems("es")
    assert any("text:welcome_buyer: placeholders ['nombre'] differ from the English ['name']" in line for line in found), found
    assert any("text:button_signature: not translated" in line for line in found), found


def test_a_text_with_a_count_takes_each_language_s_plural_form():
    assert text("en", "days_left", count=1) == "1 day left"
    assert text("en", "days_left", count=12) == "12 days left"
    assert text("en", "days_left", count=0) == "0 days left"
    assert text("es", "days_left", count=1) == "queda 1 día"
    assert text("es", "days_left", count=2) == "quedan 2 días"
    one = text("en", "owed_summary", count=1, total="$40.00", deadline="2026-12-02", days_left=text("en", "days_left", count=1),
               refund_id="RF4", product="Rain <Jacket>")
    assert one == ("You can still claim 1 refund for about $40.00. The soonest deadline is 2026-12-02 (1 day left) "
                   "for RF4 (Rain &lt;Jacket&gt;). Send /claim to file.")
    assert text("es", "order_items_closed", count=3) == "(3 artículos más antiguos ya están fuera de su plazo de devolución.)"


def test_the_checker_finds_a_plural_form_left_untranslated(tmp_path, monkeypatch):
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy)
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    po = i18n.po_path("es")
    good = po.read_text(encoding="utf-8")
    po.write_text(good.replace('msgstr[1] "quedan {count} días"', 'msgstr[1] ""'), encoding="utf-8")
    assert any("text:days_left: not translated" in line for line in i18n.problems("es"))
    po.write_text(good.replace('msgstr[0] "queda {count} día"', 'msgstr[0] "queda {n} día"'), encoding="utf-8")
    assert any("text:days_left: placeholders ['count', 'n'] differ from the English ['count']" in line for line in i18n.problems("es"))


def test_the_committed_template_is_what_extraction_writes():
    with i18n.TEMPLATE.open("rb") as handle:
        committed = {(m.context, m.id) for m in read_po(handle) if m.id}
    assert committed == {(m.context, m.id) for m in i18n.template() if m.id}
    assert len(committed) == len(EN) + len(EN_PLURAL) + len(EN_LABELS)


def test_a_fresh_clone_compiles_the_catalogue_in_memory_and_a_fresh_mo_is_used(tmp_path, monkeypatch):
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("es").pgettext("label:defective", "It's faulty") == "Está defectuoso"
        [mo] = i18n.compile_all()
        i18n.translations.cache_clear()
        po = i18n.po_path("es")
        po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Está defectuoso"', 'msgstr "Tiene un defecto"'),
                      encoding="utf-8")
        os.utime(mo, (po.stat().st_mtime - 10, po.stat().st_mtime - 10))  # the .mo is now older than the .po
        assert i18n.translations("es").pgettext("label:defective", "It's faulty") == "Tiene un defecto"
    finally:
        i18n.translations.cache_clear()


def test_unknown_languages_fall_back_to_english():
    assert text("de", "cancelled") == "Okay, cancelled."
    assert label("de", "defective") == "It's faulty" and label("es", "gold") == "gold"


def test_a_spanish_buyer_is_answered_in_spanish_throughout(service):
    ana = linked(service, 777, "buyer", "B1", language="es-MX")
    ana.say("/refund")
    assert ana.text.startswith("¿De qué artículo se trata?\n\nPedido O1 · entregado el 2026-11-15")
    ana.tap("Rain Jacket")
    assert "¿Qué problema tiene Rain Jacket?" in ana.text and "Recibí otro artículo" in ana.buttons
    ana.tap("Recibí otro artículo")
    ana.tap("Sin abrir")
    assert ana.text.startswith("Tu devolución está aprobada.\nReembolso: $40.00")
    assert "Política: Los artículos dentro de su plazo se pueden devolver con una etiqueta prepagada." in ana.text
    assert "Siguiente paso: imprime la etiqueta de devolución prepagada" in ana.text


def test_language_lets_a_person_choose_and_auto_gives_it_back_to_telegram(service):
    alice = linked(service, 101, "buyer", "B1", language="en")
    alice.say("/language")
    assert "Which language should I use? Now: English." in alice.text
    assert alice.buttons == ["English", "Español", "Telegram's language"]
    [reply] = alice.tap("Español")
    assert reply.text == "A partir de ahora te responderé en español. Envía /language para cambiarlo."
    assert reply.menu == ("buyer", "es")  # the command menu follows
    alice.say("/refund")
    assert alice.text.startswith("¿De qué artículo se trata?")
    alice.say("/cancel")
    assert "De acuerdo, cancelado." in alice.text  # the choice outlives flows
    alice.say("/language auto")
    assert alice.text.startswith("I'll answer in your Telegram language (English).")
    alice.say("/cancel")
    assert "There's nothing to cancel." in alice.text


def test_someone_not_linked_yet_can_choose_a_language(service):
    stranger = Chat(service, 4242, language="en")
    stranger.say("/language")
    stranger.tap("Español")
    stranger.say("/help")
    assert stranger.text.startswith("Respondo solicitudes de reembolso")
    stranger.say("/language klingon")
    assert "Aún no hablo \"klingon\"" in stranger.text
