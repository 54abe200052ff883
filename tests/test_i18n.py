"""The message catalogues: complete in every language, in step with the code, and the only
source of the words the classroom page shows (rendered headless, no browser)."""

from __future__ import annotations

import html
import json
import re

import ipywidgets
import pytest
import solara
from limitlab.agents.codes import Action, Reason, detail_text
from limitlab.experiments.cli import main
from limitlab.experiments.demo.app import DemoPage
from limitlab.experiments.demo.components import EchartsArrays, _plain, timeline_html
from limitlab.experiments.demo.controls import LEVERS
from limitlab.experiments.demo.lessons import DEFAULT_LESSON, LESSONS
from limitlab.experiments.demo.session import DemoModel, borrower_timeline, pick_borrower
from limitlab.experiments.demo.texts import LEVER_HINT, event_words, text
from limitlab.experiments.i18n import (
    LANGUAGES,
    TEMPLATE,
    catalogue_path,
    extract,
    fields,
    gettext_for,
    read_catalogue,
)
from limitlab.model.config import field_info

# (context, msgid): a word translated by where it stands (i18n.pgettext) has a context
TEMPLATE_KEYS = [(m.context, m.id) for m in read_catalogue(TEMPLATE) if m.id]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_message_of_the_template_has_a_translation(lang):
    catalog = read_catalogue(catalogue_path(lang), lang)
    problems = []
    for context, msgid in TEMPLATE_KEYS:
        message = catalog.get(msgid, context=context)
        if message is None:
            problems.append(f"missing: {msgid[:60]!r}")
        elif not message.string.strip():
            problems.append(f"empty: {msgid[:60]!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid[:60]!r}")
        elif fields(message.string) != fields(msgid):
            problems.append(f"fields {fields(message.string)} != {fields(msgid)}: {msgid[:60]!r}")
    assert not problems, f"{lang}: " + "; ".join(problems)


def test_the_template_holds_every_marked_string_of_the_code():
    extracted = {(m.context, m.id) for m in extract() if m.id}
    assert extracted == set(TEMPLATE_KEYS), (
        "the template is out of step with the code: run `python -m limitlab.experiments.i18n` "
        f"(new: {sorted(extracted - set(TEMPLATE_KEYS), key=str)[:5]}, "
        f"gone: {sorted(set(TEMPLATE_KEYS) - extracted, key=str)[:5]})"
    )


def test_chinese_uses_the_articles_terms():
    zh = gettext_for("zh").gettext
    assert zh("multi-lender") == "多头借贷型"
    assert zh("early repayer") == "提前还款型"
    assert zh("system review") == "系统调整"
    assert zh("appealed") == "提出申诉"
    assert "额度不足" in zh("2. Closed, reopened, limit too low")
    assert "信用额度" in zh("limit (yuan)")


def test_an_unknown_language_names_the_choices():
    with pytest.raises(ValueError, match="en, zh"):
        gettext_for("fr")


def test_demo_refuses_an_unknown_language_in_one_line(capsys):
    assert main(["demo", "--lang", "fr", "--port", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["limitlab: error: --lang: fr — choose one of: en, zh"]


def test_english_event_words_agree_with_the_models_plain_words():
    for action in Action:
        for reason in Reason:
            for value in (0.1234, 3.0, 17.5):
                assert event_words(action, reason, value) == detail_text(action, reason, value)


def test_slider_help_lines_are_the_schema_descriptions():
    for key in [lever.key for lever in LEVERS]:
        description = field_info(key)[0].description
        assert LEVER_HINT[key].lower() == description.lower(), key
    assert LEVER_HINT["recession_depth"].lower() == field_info(
        "economy.shocks.depth")[0].description.lower()
    assert LEVER_HINT["recession_start"].lower() == field_info(
        "economy.shocks.start_month")[0].description.lower()


# --------------------------------------------------------------- the page in Chinese
# Words a Chinese page may show in Latin letters: the product's name, the scenario file and
# name, abbreviations of the model (PD, Z) and the language switch's "English".
ALLOWED = {"limitlab", "english", "pd", "z", "experiments", "scenarios", "toml"}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def widgets_under(root) -> list[ipywidgets.Widget]:
    """Every widget of the tree under ``root`` (children, slots and other widget traits)."""
    seen: dict[int, ipywidgets.Widget] = {}
    todo = [root]
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen[id(widget)] = widget
        for name in widget.trait_names():
            if name.startswith("_") or name in ("comm", "keys", "layout", "style"):
                continue
            value = getattr(widget, name, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                if isinstance(item, dict):  # vuetify slots: {"name": ..., "children": [...]}
                    values = [*values, *item.values()]
                    continue
                if isinstance(item, ipywidgets.Widget):
                    todo.append(item)
                elif isinstance(item, list):
                    todo += [w for w in item if isinstance(w, ipywidgets.Widget)]
    return list(seen.values())


def shown_words(root) -> list[str]:
    """Every piece of text the page shows: labels, button texts, HTML text and its
    tooltips, select items, chart titles, axis names and legends."""
    shown: list[str] = []
    for widget in widgets_under(root):
        if isinstance(widget, EchartsArrays):
            option = json.loads(json.dumps(_plain(widget.option)))
            shown += [t["text"] for t in option.get("title", [])]
            shown += [a.get("name") or "" for a in option["xAxis"] + option["yAxis"]]
            shown += option["legend"]["data"] + [s["name"] for s in option["series"]]
            continue
        for trait in ("children", "label", "items", "hint", "placeholder", "title"):
            if widget.has_trait(trait):
                shown += _strings(getattr(widget, trait))
        if widget.has_trait("unsafe_innerHTML"):
            inner = widget.unsafe_innerHTML
            shown += re.findall(r'title="([^"]*)"', inner)
            shown.append(html.unescape(re.sub(r"<[^>]+>", " ", inner)))
    return shown


def english_words(pieces: list[str], scenario: str) -> set[str]:
    words = set()
    for piece in pieces:
        piece = piece.replace(scenario, " ")
        words |= {w for w in re.findall(r"[A-Za-z][A-Za-z_'-]*", piece) if w.lower() not in ALLOWED}
    return words


@pytest.fixture(scope="module")
def stepped_model():
    model = DemoModel(lesson=DEFAULT_LESSON, population__borrowers=300)
    for _ in range(4):
        model.step()
    return model


def test_a_chinese_page_shows_no_word_outside_the_catalogue(stepped_model):
    page_model = solara.reactive(stepped_model)
    root, _ = solara.render(solara.AppLayout(children=[DemoPage(page_model, lang="zh")]),
                            handle_error=False)
    pieces = shown_words(root)
    assert text("lesson", "zh") in pieces and "课程" in pieces
    assert {"重置", "▶", "下一个月"} <= set(pieces)  # the run buttons
    assert english_words(pieces, stepped_model.config.name) == set()
    # a chosen borrower's story, the lender's reasons included, is Chinese as well
    row = pick_borrower(stepped_model, "tester")
    frame = borrower_timeline(stepped_model, row, "zh")
    story = html.unescape(re.sub(r"<[^>]+>", " ", timeline_html(frame, "zh")))
    assert english_words([story], stepped_model.config.name) == set(), story
    assert any(frame["what_happened"]), "the tester's story has events"


@pytest.mark.parametrize("key", list(LESSONS))
def test_every_lesson_has_a_chinese_title_and_text(key):
    lesson = LESSONS[key]
    assert lesson.title_in("zh") != lesson.title and re.search(r"[\u4e00-\u9fff]", lesson.title_in("zh"))
    assert len(re.findall(r"[\u4e00-\u9fff]", lesson.watch_in("zh"))) >= 40


def test_the_language_switch_changes_every_word_and_keeps_the_model(stepped_model):
    import ipyvuetify as v

    page_model = solara.reactive(stepped_model)
    root, rc = solara.render(solara.AppLayout(children=[DemoPage(page_model, lang="en")]),
                             handle_error=False)
    rc.find(v.Select, label="Lesson").assert_single()
    switch = rc.find(v.BtnToggle).widget
    switch.v_model = list(LANGUAGES).index("zh")
    rc.find(v.Select, label="课程").assert_single()
    assert english_words(shown_words(root), stepped_model.config.name) == set()
    assert page_model.value is stepped_model and stepped_model.month == 4
    switch.v_model = list(LANGUAGES).index("en")
    rc.find(v.Select, label="Lesson").assert_single()


def test_a_rejected_seed_is_one_line_on_the_page_and_the_model_is_kept(stepped_model):
    import ipyvuetify as v

    page_model = solara.reactive(stepped_model)
    _, rc = solara.render(solara.AppLayout(children=[DemoPage(page_model, lang="zh")]),
                          handle_error=False)
    seed = rc.find(v.TextField, label=text("seed", "zh")).widget
    seed.v_model = "abc"
    seed.fire_event("keyup.enter", None)
    rc.find(v.Btn, children=[text("reset", "zh")]).widget.click()
    alert = rc.find(v.Alert).widget
    assert "seed = 'abc': must be a whole number" in str(alert.children)
    assert page_model.value is stepped_model and stepped_model.month == 4
