"""The classroom page: Mesa's SolaraViz over a credit market, one model per browser.

Run it with ``limitlab demo`` (or ``solara run experiments/demo/app.py``). Each browser
session gets its own :class:`~experiments.demo.session.DemoModel`, created inside the page
component (a model created at import would be shared by the whole class). Choosing a
lesson builds that lesson's model and re-mounts Mesa's SolaraViz so its sliders start at
the lesson's values; Mesa's Reset then rebuilds ``type(model)(**slider_values)``, and the
model's class (:func:`~experiments.demo.session.model_class`) carries its lesson.
"""

from __future__ import annotations

import solara
from limitlab.experiments.demo.components import VIEWS, LessonPicker
from limitlab.experiments.demo.controls import default_values, model_params
from limitlab.experiments.demo.lessons import DEFAULT_LESSON
from limitlab.experiments.demo.session import DemoModel, model_class
from mesa.visualization import SolaraViz

TITLE = "limitlab: a credit line in class"
PLAY_INTERVAL_MS = 150  # a month every ~0.15 s while playing: a 5-year run in ~10 s


def new_model(lesson: str) -> DemoModel:
    """A fresh model for ``lesson`` with its scenario's values (what Reset would build)."""
    return model_class(lesson)(**default_values(lesson))


@solara.component
def DemoPage(model: solara.Reactive[DemoModel] | None = None):
    """The lesson picker, Mesa's controls and the views around one model.

    Args:
        model: the model to show; by default the page creates its own (one per browser
            session). Tests pass a reactive to look at the model behind the page.
    """
    lesson, set_lesson = solara.use_state(DEFAULT_LESSON if model is None else model.value.lesson)
    generation, set_generation = solara.use_state(0)
    first = solara.use_memo(lambda: new_model(DEFAULT_LESSON) if model is None else None, [])
    model = solara.use_reactive(model if model is not None else first)
    params = solara.use_memo(lambda: model_params(lesson), [lesson])

    def choose(key: str) -> None:
        model.value = new_model(key)
        set_lesson(key)
        set_generation(generation + 1)  # re-mount SolaraViz: sliders restart at the lesson

    with solara.Sidebar():
        LessonPicker(lesson, choose)
    SolaraViz(
        model,
        components=list(VIEWS),
        model_params=params,
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
    ).key(f"viz-{lesson}-{generation}")


@solara.component
def Page():
    """What ``solara run`` serves: a page with its own model for each browser session."""
    DemoPage()
