"""Mesa, imported without the cost of naming its module loggers.

While ``mesa.model`` is imported, Mesa's ``mesa_logging`` names two loggers by looking at
the caller's frame with ``inspect.stack()`` and ``inspect.getouterframes()``. Both read the
source of every frame of the import under way and, for each frozen frame of the import
system, scan every loaded module (``inspect.getmodule``): ~0.2 s of CPU in a process that
has loaded limitlab's dependencies (docs/performance.md), for two names. While Mesa is
imported here, those three ``inspect`` functions answer calls *from* ``mesa.mesa_logging``
with what it reads of them (each frame's code name; the frame's module), without reading
sources; every other caller gets the functions themselves. They are restored when the import
ends. Modules of this package import Mesa from here: ``from limitlab.agents._mesa import
mesa``.
"""

from __future__ import annotations

import inspect
import sys

_LOGGING = "mesa.mesa_logging"


def _frame_infos(frame) -> list[inspect.FrameInfo]:
    """``frame`` and its callers as ``FrameInfo``s without source lines (what
    ``inspect.getouterframes(frame, context=0)`` gives, less the source file lookup)."""
    infos = []
    while frame is not None:
        infos.append(inspect.FrameInfo(frame, frame.f_code.co_filename, frame.f_lineno,
                                       frame.f_code.co_name, None, None))
        frame = frame.f_back
    return infos


def _import_mesa() -> None:
    stack, getouterframes, getmodule = inspect.stack, inspect.getouterframes, inspect.getmodule

    def from_logging() -> bool:
        return sys._getframe(2).f_globals.get("__name__") == _LOGGING

    def cheap_stack(context=1):
        return _frame_infos(sys._getframe(1)) if from_logging() else stack(context)

    def cheap_outer_frames(frame, context=1):
        return _frame_infos(frame) if from_logging() else getouterframes(frame, context)

    def cheap_module(obj, _filename=None):
        if from_logging() and inspect.isframe(obj):
            return sys.modules.get(obj.f_globals.get("__name__"))
        return getmodule(obj, _filename)

    inspect.stack, inspect.getouterframes, inspect.getmodule = (
        cheap_stack, cheap_outer_frames, cheap_module)
    try:
        import mesa  # noqa: F401
    finally:
        inspect.stack, inspect.getouterframes, inspect.getmodule = stack, getouterframes, getmodule


if "mesa" not in sys.modules:
    _import_mesa()

import mesa  # noqa: E402

__all__ = ["mesa"]
