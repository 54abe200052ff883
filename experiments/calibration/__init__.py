"""Calibration of the model to published targets (``limitlab calibrate``).

- :mod:`.targets`: the targets file, and the registry of measures that say what in a run's
  outputs each target is compared with;
- :mod:`.smc`: approximate Bayesian computation (pyabc's ABC-SMC) over limitlab's executors,
  reproducible from the seed whatever the number of workers, resumable per generation;
- :mod:`.results`: the posterior table, the calibrated scenario and the report page;
- :mod:`.command`: the command line.

``targets.toml`` beside these modules holds the published targets, each with its source.
"""
