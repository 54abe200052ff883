"""limitlab's words in English and Simplified Chinese, from gettext message catalogues.

The catalogues are gettext ``.po`` files inside the package::

    experiments/locale/limitlab.pot                 the template: every English message
    experiments/locale/en/LC_MESSAGES/limitlab.po   English (msgstr = the wording shown)
    experiments/locale/zh/LC_MESSAGES/limitlab.po   Simplified Chinese

They are read at run time with babel (no compiled ``.mo`` file to keep in step):
:func:`gettext_for` returns a standard :class:`gettext.GNUTranslations`, so code marks its
English words the usual gettext way::

    from limitlab.experiments.i18n import gettext_for
    _ = gettext_for("zh").gettext
    heading = _("Default rate (% a year)")          # -> "违约率（年化，%）"

The reports (``limitlab report --lang``, ``limitlab summary --lang``) call the module-level
:func:`_` instead, which translates into the language set by :func:`language` for the block
being built (English outside it), so one ``_()`` per string and no language argument
threaded through the report's functions; :func:`pgettext` gives a word a context when the
same English word needs two translations.

A message missing from a catalogue falls back to its English msgid. Strings kept in tables
(not passed to ``_()`` where they are written) are marked with :func:`N_`, which returns its
argument unchanged but lets the extractor find it.

Adding words (a report, a new page label): mark them with ``_()``/``N_()`` in a module listed
in :data:`SOURCES`, then run ``python -m limitlab.experiments.i18n`` to re-extract the
template and merge it into both catalogues (new English entries are filled in, new Chinese
ones are left empty), translate the empty ``msgstr`` of ``zh``, and run the tests:
``tests/test_i18n.py`` fails on an empty or missing translation and on a template that no
longer matches the code.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import gettext
import io
import string
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

DOMAIN = "limitlab"
LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# Modules whose marked strings make up the template (relative to experiments/).
SOURCES: tuple[str, ...] = (
    "demo/texts.py",
    # the reports and ``limitlab summary``: their words go through :func:`_` (the language
    # set by :func:`language`)
    "outcomes.py", "pages.py", "report.py", "report_scenario.py", "report_studies.py", "report_validation.py",
    "summary.py", "plots.py", "sweep_plots.py", "report_economics.py", "frontier.py",
    "report_calibration.py", "judge.py", "advice.py", "diversification.py", "validation_plots.py",
    "compare.py",
)
KEYWORDS = {"_": None, "N_": None, "gettext": None, "pgettext": ((1, "c"), 2)}


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    """Mark ``message`` for the catalogue without translating it here (returns it as is)."""
    return message


# The language of the report or summary being written (``limitlab report --lang``); the
# report modules' ``_()`` reads it, so one call per string and no language argument threaded
# through every function. Set it with :func:`language`.
_CURRENT = contextvars.ContextVar("limitlab_language", default=DEFAULT_LANGUAGE)


def _(message: str) -> str:
    """``message`` (an English msgid) in the current language (:func:`language`)."""
    lang = _CURRENT.get()
    return message if lang == DEFAULT_LANGUAGE else gettext_for(lang).gettext(message)


def pgettext(context: str, message: str) -> str:
    """:func:`_` for a word whose translation depends on where it stands: the same English
    ``message`` under another ``context`` (a column header "default" is 默认值, the lender's
    action "default" is 违约)."""
    lang = _CURRENT.get()
    return message if lang == DEFAULT_LANGUAGE else gettext_for(lang).pgettext(context, message)


def current_language() -> str:
    """The language :func:`_` translates into ("en" unless inside :func:`language`)."""
    return _CURRENT.get()


@contextlib.contextmanager
def language(lang: str):
    """Within the block, :func:`_` translates into ``lang`` (checked: ``ValueError`` naming
    the choices otherwise)::

        with language("zh"):
            build_report(results_dir)
    """
    token = _CURRENT.set(check_language(lang))
    try:
        yield lang
    finally:
        _CURRENT.reset(token)


def check_language(lang: str) -> str:
    """``lang`` if limitlab has a catalogue for it; ``ValueError`` naming the choices otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"--lang: {lang} — choose one of: {', '.join(LANGUAGES)}")
    return lang


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / check_language(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path, lang: str | None = None) -> Catalog:
    """A ``.po``/``.pot`` file as a babel :class:`Catalog`."""
    with open(path, "rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


@functools.cache
def gettext_for(lang: str = DEFAULT_LANGUAGE) -> gettext.GNUTranslations:
    """The translations of ``lang`` ("en" or "zh"), read once from its catalogue.

    Raises:
        ValueError: a language with no catalogue (the message names the choices).
    """
    catalog = read_catalogue(catalogue_path(lang), lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out: they fall back to English
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(message: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """``message`` (an English msgid) in ``lang``, with ``{name}`` fields filled from ``values``."""
    shown = gettext_for(lang).gettext(message)
    return shown.format(**values) if values else shown


def fields(message: str) -> set[str]:
    """The ``{name}`` fields of a message, format specs included (``{limit:,.0f}``)."""
    return {
        f"{name}:{spec}" if spec else name
        for _, name, spec, _ in string.Formatter().parse(message) if name is not None
    }


def extract(sources: Iterable[str] = SOURCES) -> Catalog:
    """Every marked message of ``sources`` as a template catalogue (in source order)."""
    template = Catalog(domain=DOMAIN, project="limitlab", version="0.1", charset="utf-8",
                       copyright_holder="the limitlab authors", fuzzy=False)
    root = Path(__file__).resolve().parent
    for source in sources:
        for lineno, message, comments, context in extract_from_file(
            "python", root / source, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
        ):
            template.add(message, None, [(f"experiments/{source}", lineno)],
                         auto_comments=comments, context=context)
    return template


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False,
             include_previous=False, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def update_catalogues() -> dict[str, list[str]]:
    """Re-extract the template and merge it into every catalogue.

    English entries get ``msgstr = msgid``; new or changed entries of other languages are left
    for a translator (empty or fuzzy). Returns, per language, the msgids still untranslated.
    """
    template = extract()
    _write(template, TEMPLATE)
    todo: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        path = catalogue_path(lang)
        catalog = read_catalogue(path, lang) if path.exists() else Catalog(
            locale=lang, domain=DOMAIN, project="limitlab", version="0.1",
            copyright_holder="the limitlab authors", fuzzy=False)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)  # entries are shared
        for message in catalog:
            if message.id and lang == "en":
                message.string = message.id
        catalog.obsolete.clear()
        catalog.last_translator = "the limitlab authors"
        catalog.language_team = f"limitlab {LANGUAGES[lang]}"
        catalog.msgid_bugs_address = "the limitlab issue tracker"
        _write(catalog, path)
        todo[lang] = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    return todo


def main() -> int:
    """``python -m limitlab.experiments.i18n``: update the template and the catalogues."""
    todo = update_catalogues()
    for lang, missing in todo.items():
        print(f"{lang}: {len(missing)} message(s) to translate in {catalogue_path(lang)}")
        for message in missing:
            print(f"  {message[:90]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
