"""The classroom demo: a Mesa SolaraViz page over :class:`~model.credit_market.CreditMarketModel`.

``app.py`` is the page (``solara run experiments/demo/app.py``, or ``limitlab demo``),
``lessons.py`` the presets built from scenario files, ``controls.py`` the sliders generated
from the parameter schema, ``session.py`` the per-browser model and the history the
inspector shows, ``components.py`` the views. The page only displays the model.
"""
