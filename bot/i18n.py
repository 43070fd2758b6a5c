"""The texts' translations as gettext catalogues, extracted and compiled with Babel.

English is the source: `bot.texts.EN` and `EN_LABELS` (key -> text). The template
`bot/locale/refundbot.pot` holds every English text with its key as the message context
(`text:welcome_buyer`, `label:defective`); each language has `bot/locale/<lang>/LC_MESSAGES/refundbot.po`.
At run time a language's compiled `.mo` is used when it is newer than its `.po`; otherwise the
`.po` is compiled in memory, so a fresh clone works without a build step.

    python -m bot.i18n extract    # write the template from the English texts
    python -m bot.i18n update     # extract, then merge the template into every language's .po
    python -m bot.i18n compile    # write the .mo files (setup, packaging)
    python -m bot.i18n check      # every message translated, placeholders and tags matching
"""
from __future__ import annotations

import gettext
import io
import re
import sys
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

DOMAIN = "refundbot"
LOCALE_DIR = Path(__file__).with_name("locale")
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATED = ("es",)  # languages with a catalogue; English needs none
_FIELDS = re.compile(r"\{(\w+)\}")
_TAGS = re.compile(r"</?\w+>")


def po_path(lang: str) -> Path:
    """Where a language's catalogue lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def context(kind: str, key: str) -> str:
    """The message context of a text (`text:KEY`) or a label (`label:CODE`)."""
    return f"{kind}:{key}"


def template() -> Catalog:
    """The template: every English text and label, keyed by its context."""
    from .texts import EN, EN_LABELS, EN_PLURAL

    catalog = Catalog(project="refundbot", domain=DOMAIN, charset="utf-8")
    for kind, source in (("text", EN), ("text", EN_PLURAL), ("label", EN_LABELS)):
        for key, english in source.items():
            catalog.add(english, context=context(kind, key), flags=("python-brace-format",) if _FIELDS.search(str(english)) else ())
    return catalog


def extract() -> Catalog:
    """Write the template file; returns it."""
    catalog = template()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with TEMPLATE.open("wb") as out:
        write_po(out, catalog, width=100, omit_header=False, sort_output=True)
    return catalog


def update() -> None:
    """Extract, then merge the template into every language's catalogue (new texts untranslated, changed ones fuzzy)."""
    fresh = extract()
    for lang in TRANSLATED:
        path = po_path(lang)
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        catalog.update(fresh, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header: a fuzzy header would be left out of the compiled catalogue
        with path.open("wb") as out:
            write_po(out, catalog, width=100, sort_output=True, ignore_obsolete=True)


def _mo_bytes(lang: str) -> bytes:
    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> list[Path]:
    """Write every language's .mo next to its .po."""
    written = []
    for lang in TRANSLATED:
        target = po_path(lang).with_suffix(".mo")
        target.write_bytes(_mo_bytes(lang))
        written.append(target)
    return written


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The translations of `lang` (none for English or a language without a catalogue)."""
    source = po_path(lang)
    if lang not in TRANSLATED or not source.exists():
        return gettext.NullTranslations()
    compiled = source.with_suffix(".mo")
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    return gettext.GNUTranslations(io.BytesIO(_mo_bytes(lang)))


def problems(lang: str) -> list[str]:
    """What is wrong with a language's catalogue against the template: missing, untranslated or fuzzy
    messages, and translations whose {placeholders} or HTML tags differ from the English."""
    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    found = []
    for message in template():
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        where = f"{po_path(lang).name} [{lang}] {message.context}"
        english = message.id[-1] if message.pluralizable else message.id  # a plural form's placeholders and tags
        forms = _forms(translated.string) if translated is not None else ()
        if not forms or not all(forms):
            found.append(f"{where}: not translated")
        elif translated.fuzzy:
            found.append(f"{where}: fuzzy (the English changed); check and clear the flag")
        elif message.pluralizable and len(forms) != catalog.num_plurals:
            found.append(f"{where}: {len(forms)} plural forms, the language has {catalog.num_plurals}")
        elif any(sorted(_FIELDS.findall(english)) != sorted(_FIELDS.findall(form)) for form in forms):
            found.append(f"{where}: placeholders {sorted({f for form in forms for f in _FIELDS.findall(form)})} "
                         f"differ from the English {sorted(set(_FIELDS.findall(english)))}")
        elif any(sorted(_TAGS.findall(english)) != sorted(_TAGS.findall(form)) for form in forms):
            found.append(f"{where}: HTML tags differ from the English")
    return found


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    """A translation's forms: one for a plain message, one per plural form for a plural one."""
    return string if isinstance(string, tuple) else (string,) if string else ()


def main(argv: list[str]) -> int:
    """The command line (see the module docstring)."""
    command = argv[0] if argv else ""
    if command == "extract":
        extract()
        print(f"wrote {TEMPLATE}")
    elif command == "update":
        update()
        print(f"wrote {TEMPLATE} and merged it into {', '.join(str(po_path(lang)) for lang in TRANSLATED)}")
    elif command == "compile":
        for path in compile_all():
            print(f"wrote {path}")
    elif command == "check":
        found = [line for lang in TRANSLATED for line in problems(lang)]
        print("\n".join(found) or "every catalogue is complete")
        return 1 if found else 0
    else:
        print(__doc__.split("\n\n", 2)[2] if __doc__ else "", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
