"""The economy: a systematic monthly factor with an AR(1) cycle, sector factors, a season,
and a schedule of shocks (recessions).

``Z_t`` has unit stationary variance; a shock of depth ``d`` lowers it by ``d`` standard
deviations from ``start_month`` to ``end_month``. Several independent economies ("worlds")
can run side by side: validation runs thousands of one-month scenarios as a vectorised axis.
"""

from __future__ import annotations

import numpy as np
from limitlab.model.config import EconomyConfig


class Economy:
    def __init__(self, cfg: EconomyConfig, rng: np.random.Generator, n_worlds: int = 1) -> None:
        self.cfg = cfg
        self.rng = rng
        self.n_worlds = n_worlds
        self.month = 0
        # start from the stationary distribution
        self.cycle = rng.standard_normal(n_worlds).astype(np.float32) if cfg.cycle else np.zeros(
            n_worlds, dtype=np.float32
        )
        self.sector_state = np.zeros(cfg.sectors, dtype=np.float32)
        self.z = np.zeros(n_worlds, dtype=np.float32)  # effective factor this month
        self.sector_factors: np.ndarray | None = None
        self.season: np.ndarray | None = None

    def shock_depth(self, month: int, sector: int | None = None) -> float:
        """Depth of the scheduled shocks in force in ``month``: the common factor's
        (``sector=None``, the scalar ``recession_*`` keys included) or one sector's own."""
        cfg = self.cfg
        d = sum(s.depth for s in cfg.shocks if s.sector == sector and s.start_month <= month <= s.end_month)
        if sector is None and cfg.recession_depth and (
            cfg.recession_start_month <= month < cfg.recession_start_month + cfg.recession_months
        ):
            d += cfg.recession_depth
        return d

    def advance(self, month: int) -> None:
        """Draw this month's factors (always the same number of draws: aligned streams)."""
        cfg = self.cfg
        self.month = month
        eta = self.rng.standard_normal(self.n_worlds).astype(np.float32)
        eta_s = self.rng.standard_normal(cfg.sectors).astype(np.float32)
        if cfg.cycle:
            phi = np.float32(cfg.cycle_persistence)
            self.cycle = phi * self.cycle + np.float32(np.sqrt(1 - cfg.cycle_persistence**2)) * eta
        else:
            self.cycle = eta
        self.z = (self.cycle - np.float32(self.shock_depth(month))).astype(np.float32)
        if cfg.sector_effects:
            phi = np.float32(cfg.cycle_persistence) if cfg.cycle else np.float32(0.0)
            self.sector_state = phi * self.sector_state + np.float32(np.sqrt(1 - phi**2)) * eta_s
            sect_depth = np.array([self.shock_depth(month, k) for k in range(cfg.sectors)],
                                  dtype=np.float32)
            self.sector_factors = self.sector_state - sect_depth
        else:
            self.sector_factors = None
        if cfg.seasonality and cfg.seasonality_amplitude > 0:
            phase = np.arange(cfg.sectors) / cfg.sectors
            self.season = (
                1.0 + cfg.seasonality_amplitude * np.sin(2 * np.pi * (month / 12.0 + phase))
            ).astype(np.float32)
        else:
            self.season = None
