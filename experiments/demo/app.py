"""The classroom page: a credit market, one model per browser, readable on a projector.

Run it with ``limitlab demo`` (or ``solara run experiments/demo/app.py``). Each browser
session gets its own :class:`~experiments.demo.session.DemoModel`, created inside the page
component (a model created at import would be shared by the whole class).

The page is built from Mesa's pieces, not Mesa's whole ``SolaraViz`` page: run buttons that
work as Mesa's ``ModelController`` does but are labelled in the page's language (Reset,
play/pause, Step; Reset rebuilds ``type(model)(**values)``), Mesa's ``update_counter``
(every view redraws when it moves), the page's own settings panel (sliders full width, value
and unit always shown) and layout (charts that fill their column; "presentation mode", on by
default, for a projector). Choosing a lesson sets every
control to that lesson's settings and says so; "back to the lesson's settings" does the
same for the current lesson. Every word comes from :mod:`.texts`, in the language the page
shows (English or Simplified Chinese, switched on the page; ``limitlab demo --lang zh`` sets
the language a new page starts in through ``LIMITLAB_LANG``).
"""

from __future__ import annotations

import html
import os
import time
import traceback
from typing import Any

import solara
from limitlab.experiments.demo.components import Views
from limitlab.experiments.demo.controls import default_values, model_params
from limitlab.experiments.demo.lessons import DEFAULT_LESSON, LESSONS, get_lesson
from limitlab.experiments.demo.server import LANG_ENV
from limitlab.experiments.demo.session import DemoModel, model_class
from limitlab.experiments.demo.texts import LANGUAGES, LEVER_TEXT, article, text
from limitlab.experiments.fonts import WEB_FONT_CSS, WEB_FONT_FAMILY, WEB_FONT_NAME
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, check_language
from limitlab.model.config import ConfigError
from mesa.visualization.utils import force_update

PLAY_INTERVAL_MS = 150  # a month every ~0.15 s while playing (plus the step and redraw)


PAGE_CSS = """
.limitlab-page {font-family:FONT_FAMILY;display:grid;grid-template-columns:minmax(300px,340px) minmax(0,1fr);
  gap:14px;align-items:start;}
.limitlab-side, .limitlab-main {display:flex;flex-direction:column;gap:12px;min-width:0;}
.limitlab-charts {display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px;}
.limitlab-chart {min-width:0;width:100%;height:400px;background:#fff;border:1px solid #e0e0e0;
  border-radius:4px;}
.limitlab-monitors {display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:6px;}
.limitlab-monitors .monitor {border:1px solid #ccc;border-radius:4px;padding:2px 8px;min-width:0;}
.limitlab-monitors .monitor-name {font-size:12px;color:#555;}
.limitlab-monitors .monitor-value {font-size:20px;font-weight:600;white-space:nowrap;}
.monitor-scenario, .funding-hint, .scenario-file {font-size:12px;color:#666;}
.lever {padding:2px 0 4px 0;}
.lever-head {display:flex;justify-content:space-between;align-items:baseline;gap:8px;}
.lever-label {font-size:14px;color:#333;}
.lever-value {font-size:15px;font-weight:600;white-space:nowrap;color:#1565c0;}
.lever .v-input {margin-top:0;padding-top:0;}
.lesson-note {font-size:13px;color:#2e7d32;margin:4px 0;}
.lesson-watch {font-size:14px;line-height:1.45;}
.limitlab-inspector {max-height:360px;overflow-y:auto;}
.limitlab-inspector table {border-collapse:collapse;font-size:13px;width:100%;}
.limitlab-inspector td, .limitlab-inspector th {border-bottom:1px solid #ddd;padding:1px 4px;}
.limitlab-inspector tr.changed {background:#fff3e0;}
.presentation .limitlab-charts {grid-template-columns:minmax(0,1fr);}
.presentation .limitlab-chart {height:480px;}
.presentation .limitlab-monitors {grid-template-columns:repeat(4,minmax(0,1fr));}
.presentation .limitlab-monitors .monitor-name {font-size:16px;}
.presentation .limitlab-monitors .monitor-value {font-size:32px;}
.presentation .lesson-watch {font-size:16px;}
.presentation .limitlab-inspector table {font-size:16px;}
@media (min-width:1600px) {
  .presentation .limitlab-charts {grid-template-columns:repeat(2,minmax(0,1fr));}
  .presentation .limitlab-monitors {grid-template-columns:repeat(6,minmax(0,1fr));}
}
@media (max-width:900px) {.limitlab-page {grid-template-columns:minmax(0,1fr);}}
.limitlab-page .v-btn, .limitlab-page .v-label, .limitlab-page .v-select__selection,
.limitlab-page .v-card__title {font-family:FONT_FAMILY;}
.run-help, .article-name {font-size:12px;color:#555;}
.article-summary {font-size:13px;line-height:1.45;}
.presentation .article-summary {font-size:15px;}
""".replace("FONT_FAMILY", WEB_FONT_FAMILY)


def start_language() -> str:
    """The language a new page starts in: ``LIMITLAB_LANG`` if set (and known), else English."""
    try:
        return check_language(os.environ.get(LANG_ENV, DEFAULT_LANGUAGE))
    except ValueError:
        return DEFAULT_LANGUAGE


def new_model(lesson: str) -> DemoModel:
    """A fresh model for ``lesson`` with its scenario's values (what Reset would build)."""
    return model_class(lesson)(**default_values(lesson))


@solara.component
def Lever(name: str, spec: dict[str, Any], value, on_value, lang: str = DEFAULT_LANGUAGE):
    """One slider, full width, its label and value (with unit) always shown above it."""
    shown = LEVER_TEXT[spec["text"]]
    is_int = spec["type"] == "SliderInt"

    def changed(v) -> None:
        on_value(int(round(v)) if is_int else round(float(v), 10))

    with solara.Div(classes=["lever", f"lever-{name}"]):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f'<span class="lever-label" title="{html.escape(spec["help"])}">'
                f"{html.escape(shown.label_in(lang))}</span>"
                f'<span class="lever-value">{html.escape(shown.show(value, lang))}</span>'
            ),
            classes=["lever-head"],
        )
        solara.v.Slider(
            v_model=value, on_v_model=changed, min=spec["min"], max=spec["max"],
            step=spec["step"], hide_details=True, dense=True, class_=f"lever-slider {name}",
        )


@solara.component
def Settings(lesson: str, values: solara.Reactive[dict[str, Any]], lang: str = DEFAULT_LANGUAGE):
    """Every control of the lesson: the seed, the sliders and the recession."""
    params = solara.use_memo(lambda: model_params(lesson, lang), [lesson, lang])

    def setter(name: str):
        return lambda v: values.set({**values.value, name: v})

    with solara.Card(text("controls", lang), margin=0, elevation=1, classes=["limitlab-settings"]):
        for name, spec in params.items():
            if not isinstance(spec, dict):
                continue
            current = values.value.get(name, spec["value"])
            if spec["type"] == "InputText":
                solara.InputText(spec["label"], value=str(current), on_value=setter(name),
                                 continuous_update=False)
            elif spec["type"] == "Checkbox":
                solara.Checkbox(label=spec["label"], value=bool(current), on_value=setter(name))
            else:
                Lever(name, spec, current, setter(name), lang)


@solara.component
def LessonPicker(lesson: str, on_lesson, note: str, on_restore, lang: str = DEFAULT_LANGUAGE):
    """The lesson selector, what the class should watch, and the way back to its settings."""
    titles = {lsn.title_in(lang): key for key, lsn in LESSONS.items()}
    current = get_lesson(lesson)
    with solara.Card(text("lesson", lang), margin=0, elevation=1):
        solara.Select(
            label=text("lesson", lang), value=current.title_in(lang), values=list(titles),
            on_value=lambda title: on_lesson(titles[title]),
        )
        if note:
            solara.Text(note, classes=["lesson-note"])
        solara.HTML(tag="p", unsafe_innerHTML=html.escape(current.watch_in(lang)),
                    classes=["lesson-watch"])
        with solara.Row():
            solara.Button(text("back_to_lesson", lang), on_click=on_restore, outlined=True, small=True,
                          classes=["back-to-lesson"])
        solara.Text(text("scenario_file", lang, file=current.scenario), classes=["scenario-file"])


@solara.component
def RunButtons(model: solara.Reactive[DemoModel], values: solara.Reactive[dict[str, Any]],
               lang: str = DEFAULT_LANGUAGE, play_interval_ms: int = PLAY_INTERVAL_MS):
    """Reset, play/pause and Step, as Mesa's ``ModelController`` (labels in ``lang``).

    Reset builds ``type(model)(**values)`` (the lesson's class with the controls' values);
    Step runs one month; play steps every ``play_interval_ms`` in a background task. Every
    change moves Mesa's ``update_counter`` (``force_update``), which redraws the views. A
    control value the schema rejects is shown as one line instead of a new model.
    """
    playing = solara.use_reactive(False)
    running = solara.use_reactive(True)
    error = solara.use_reactive(None)

    def advance() -> None:
        model.value.step()
        running.value = model.value.running
        force_update()

    def play() -> None:
        try:
            while running.value and playing.value:
                time.sleep(play_interval_ms / 1000)
                advance()
        except Exception as exc:  # shown on the page; the traceback goes to the terminal
            error.value = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()

    solara.lab.use_task(play, dependencies=[playing.value, running.value], prefer_threaded=True)

    def reset() -> None:
        playing.value = False
        try:
            fresh = type(model.value)(**values.value)
        except ConfigError as exc:
            error.value = str(exc)
            return
        error.value = None
        running.value = True
        model.value = fresh
        force_update()

    with solara.Row(justify="space-between"):
        solara.Button(label=text("reset", lang), color="primary", on_click=reset)
        solara.Button(label="❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value), disabled=not running.value)
        solara.Button(label=text("step", lang), color="primary", on_click=advance,
                      disabled=playing.value or not running.value)
    if error.value:
        solara.Error(label=error.value)


@solara.component
def LanguageSwitch(lang: solara.Reactive[str]):
    """English / 简体中文: every word of the page follows at once (the model is kept)."""
    names = list(LANGUAGES.values())
    codes = dict(zip(names, LANGUAGES, strict=True))
    with solara.Div(classes=["language-switch"]):
        solara.ToggleButtonsSingle(
            value=LANGUAGES[lang.value], values=names,
            on_value=lambda name: lang.set(codes[name]), dense=True,
        )


@solara.component
def SourceArticle(lang: str = DEFAULT_LANGUAGE):
    """The article the model is built from: its name and a few lines of what it says."""
    with solara.Card(article("heading", lang), margin=0, elevation=1, classes=["source-article"]):
        solara.HTML(tag="p", unsafe_innerHTML=html.escape(article("name", lang)),
                    classes=["article-name"])
        solara.HTML(tag="p", unsafe_innerHTML=html.escape(article("summary", lang)),
                    classes=["article-summary"])


@solara.component
def DemoPage(model: solara.Reactive[DemoModel] | None = None, lang: str | None = None):
    """The lesson picker, Mesa's run buttons, the settings and the views around one model.

    Args:
        model: the model to show; by default the page creates its own (one per browser
            session). Tests pass a reactive to look at the model behind the page.
        lang: the language the page starts in ("en" or "zh"; default: :func:`start_language`).
    """
    start = DEFAULT_LESSON if model is None else model.value.lesson
    lesson, set_lesson = solara.use_state(start)
    first = solara.use_memo(lambda: new_model(DEFAULT_LESSON) if model is None else None, [])
    model = solara.use_reactive(model if model is not None else first)
    values = solara.use_reactive(solara.use_memo(lambda: default_values(start), []))
    note, set_note = solara.use_state(("", ""))  # (message key, lesson key): shown in any language
    language = solara.use_reactive(lang or start_language())
    presentation = solara.use_reactive(True)
    shown = language.value

    def load(key: str, message: str) -> None:
        """Every control back to lesson ``key``'s settings, and a fresh model built from them."""
        values.set(default_values(key))
        model.value = new_model(key)
        set_lesson(key)
        set_note((message, key))

    note_text = text(note[0], shown, title=get_lesson(note[1]).title_in(shown)) if note[0] else ""
    solara.Title(text("title", shown))
    solara.Style(PAGE_CSS + WEB_FONT_CSS)
    mode = "presentation" if presentation.value else "desk"
    with solara.Div(classes=["limitlab-page", mode, f"lang-{shown}"]):
        # starts the web font's download at once: charts draw on a canvas, which does not
        # redraw when a font arrives later
        solara.HTML(tag="span", unsafe_innerHTML="借呗额度",
                    style=f"font-family:'{WEB_FONT_NAME}';position:absolute;opacity:0;"
                          "pointer-events:none;", classes=["font-warmup"])
        with solara.Div(classes=["limitlab-side"]):
            LanguageSwitch(language)
            LessonPicker(lesson, lambda key: load(key, "lesson_loaded"), note_text,
                         lambda: load(lesson, "lesson_restored"), shown)
            with solara.Card(text("run", shown), margin=0, elevation=1, classes=["limitlab-run"]):
                RunButtons(model, values, shown)
                solara.Text(text("run_help", shown), classes=["run-help"])
                solara.Switch(label=text("presentation", shown), value=presentation)
            Settings(lesson, values, shown)
            SourceArticle(shown)
        with solara.Div(classes=["limitlab-main"]):
            Views(model.value, shown)


@solara.component
def Page():
    """What ``solara run`` serves: a page with its own model for each browser session."""
    DemoPage()
