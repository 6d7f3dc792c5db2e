"""Hidden scenario families as data: one ``Family`` template per entry of ``schemas.FAMILIES``.

A template says what a burst of that family prints, in terms a real tape shows (so a classifier that
reads only public columns can recover the public profile):

- contract selection: ``right`` ("C", "P", "dir" = C when the burst is bullish else P, "CP" = both
  rights, e.g. a straddle), ``dte`` band (calendar days, inclusive; "event" families use the expiry that
  spans the symbol's next event instead), ``delta`` band of the |delta| of the (first) leg under a
  reference Black-Scholes with the symbol's annual volatility (0.5 = at the money, 0.1 = far out of the
  money, > 0.5 in the money), ``max_price`` (premium cap per share: cheap lottery tickets),
  ``round_strike`` (prefer the big round strike nearest the target: pins, put walls);
- size per print: log-normal with median ``size[0]`` contracts and log-sd ``size[1]``, clipped to
  ``[size[2], size[3]]``;
- ``n_prints`` per burst (inclusive range; for multi-leg families: number of orders, each with all legs),
  spread over ``span_ms`` (a sweep: a few ms; accumulation: minutes), on ``venues`` distinct exchanges;
- ``structure``: single | sweep | accumulation | spike | vertical | straddle | strangle | conversion |
  box | buy_write | scalp;
- ``placement`` against the NBBO of the (buy) leg: AA/A/MID/B/BB; a sweep's later legs walk the book
  (AA) with probability ``walk``; ``side`` the aggressor (A buyer, B seller, N cross/complex);
- ``condition``: AUTO, ISOI (sweep legs), SLAN (auction), MLET (multi-leg), TLET (tied to stock);
- ``coupling``: (execution IV shock as a fraction of IV, underlying move in bps in the burst's direction,
  NBBO spread z-score) the burst carries; exposed for the regime and quote models (``COUPLING``) and used
  here to size how far an AA print goes through the ask.

The numbers are the model (documented in docs/scenarios.md); the per-print work is in
``kernels/option_prints.py``, the burst assembly in ``options/prints.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import schemas

__all__ = ["Family", "FAMILY_TEMPLATES", "COUPLING", "STRUCTURES", "family", "PLACE_CODE", "SIDE_CODE",
           "COND_CODE"]

STRUCTURES = ("single", "sweep", "accumulation", "spike", "vertical", "straddle", "strangle", "conversion",
              "box", "buy_write", "scalp")
PLACE_CODE = {p: i for i, p in enumerate(schemas.PLACEMENTS)}
SIDE_CODE = {s: i for i, s in enumerate(schemas.SIDES)}
COND_CODE = {c: i for i, c in enumerate(schemas.OPTION_CONDITIONS)}
INF = float("inf")


@dataclass(frozen=True)
class Family:
    name: str
    right: str
    dte: tuple[int, int]
    delta: tuple[float, float]
    structure: str
    placement: str
    side: str
    size: tuple[float, float, float, float]
    n_prints: tuple[int, int]
    span_ms: tuple[float, float]
    venues: tuple[int, int]
    condition: str
    coupling: tuple[float, float, float]
    walk: float = 0.0
    max_price: float = INF
    round_strike: bool = False
    event: bool = False

    @property
    def index(self) -> int:
        return schemas.FAMILIES.index(self.name)

    @property
    def profile(self) -> str:
        return schemas.PROFILES[schemas.FAMILY_PROFILE[self.index]]


_T = [
    # ---- institutional_directional: large, aggressive, ISO sweeps or repeated ask lifts, not 0DTE
    Family("call_sweep", "C", (7, 60), (0.30, 0.55), "sweep", "A", "A", (150, 0.5, 40, 1500), (3, 8),
           (0.2, 6.0), (3, 8), "ISOI", (0.03, 15.0, 0.8), walk=0.5),
    Family("put_sweep", "P", (7, 60), (0.30, 0.55), "sweep", "A", "A", (150, 0.5, 40, 1500), (3, 8),
           (0.2, 6.0), (3, 8), "ISOI", (0.03, 15.0, 0.8), walk=0.5),
    Family("ask_lift_accumulation", "dir", (14, 75), (0.35, 0.60), "accumulation", "A", "A",
           (120, 0.4, 50, 600), (5, 12), (60_000, 600_000), (1, 4), "AUTO", (0.01, 5.0, 0.3)),
    Family("far_dated_conviction", "dir", (120, 900), (0.30, 0.60), "single", "A", "A", (400, 0.5, 200, 2000),
           (1, 3), (0, 30_000), (1, 2), "AUTO", (0.01, 3.0, 0.2)),
    # ---- retail_whale: many small-to-mid lots on cheap short-dated OTM contracts, at/through the ask
    Family("0dte_call_chase", "C", (0, 0), (0.05, 0.30), "spike", "A", "A", (15, 0.8, 1, 150), (15, 40),
           (8_000, 45_000), (3, 10), "AUTO", (0.08, 20.0, 1.2), walk=0.35, max_price=2.5),
    Family("short_dated_put_panic", "P", (0, 3), (0.05, 0.30), "spike", "A", "A", (15, 0.8, 1, 150), (15, 40),
           (8_000, 45_000), (3, 10), "AUTO", (0.08, -20.0, 1.2), walk=0.35, max_price=3.0),
    Family("attention_contract_spike", "dir", (0, 7), (0.10, 0.40), "spike", "A", "A", (8, 0.7, 1, 80),
           (25, 60), (10_000, 60_000), (3, 12), "AUTO", (0.05, 8.0, 1.0), walk=0.2, max_price=4.0),
    # ---- event_driven: the expiry spanning the symbol's event (events table), pre-event or after a gap
    Family("earnings_vol_probe", "CP", (1, 14), (0.40, 0.60), "straddle", "A", "A", (60, 0.5, 10, 400), (1, 3),
           (0, 120_000), (1, 2), "MLET", (0.05, 0.0, 0.6), event=True),
    Family("pre_event_directional_ramp", "dir", (1, 14), (0.20, 0.38), "accumulation", "A", "A",
           (80, 0.5, 40, 300), (4, 8), (45_000, 240_000), (1, 3), "AUTO", (0.04, 12.0, 0.6), event=True),
    Family("post_gap_followthrough", "dir", (1, 10), (0.25, 0.40), "accumulation", "A", "A",
           (100, 0.5, 40, 300), (4, 8), (20_000, 180_000), (2, 4), "AUTO", (0.03, 25.0, 0.5)),
    # ---- vol_seller: sells premium at the bid (OTM calls against stock, OTM puts, ATM straddles)
    Family("covered_call_overwrite", "C", (14, 60), (0.15, 0.35), "buy_write", "B", "B", (300, 0.5, 100, 2000),
           (1, 3), (0, 60_000), (1, 2), "TLET", (-0.02, 0.0, 0.2)),
    Family("cash_secured_put_write", "P", (14, 60), (0.15, 0.35), "single", "B", "B", (200, 0.5, 50, 1500),
           (1, 3), (0, 60_000), (1, 2), "AUTO", (-0.02, 0.0, 0.2)),
    Family("short_straddle_harvest", "CP", (5, 35), (0.40, 0.60), "straddle", "B", "B", (100, 0.5, 20, 800),
           (1, 2), (0, 60_000), (1, 1), "MLET", (-0.03, 0.0, 0.2)),
    # ---- arbitrage: multi-leg near-zero-edge structures printed inside the spread
    Family("parity_vertical", "dir", (7, 60), (0.35, 0.65), "vertical", "MID", "N", (200, 0.5, 50, 1500),
           (1, 2), (0, 5_000), (1, 1), "MLET", (0.0, 0.0, -0.3)),
    Family("conversion_reversal", "CP", (7, 90), (0.40, 0.60), "conversion", "MID", "N", (200, 0.5, 50, 1500),
           (1, 2), (0, 5_000), (1, 1), "TLET", (0.0, 0.0, -0.3)),
    Family("box_spread", "CP", (30, 400), (0.30, 0.70), "box", "MID", "N", (200, 0.5, 50, 1500), (1, 1),
           (0, 0), (1, 1), "MLET", (0.0, 0.0, -0.3)),
    # ---- hedge_reactive: dealer-size ATM short-dated prints at round strikes, reacting to moves/close
    Family("gamma_pinch_call_hedge", "C", (0, 5), (0.40, 0.60), "single", "A", "A", (800, 0.4, 300, 4000),
           (1, 3), (0, 20_000), (1, 2), "SLAN", (0.01, 10.0, 0.4), round_strike=True),
    Family("reactive_put_wall", "P", (0, 5), (0.25, 0.50), "single", "A", "A", (800, 0.4, 300, 4000),
           (1, 3), (0, 20_000), (1, 2), "SLAN", (0.01, -10.0, 0.4), round_strike=True),
    Family("dealer_unwind", "CP", (0, 5), (0.40, 0.60), "single", "MID", "N", (800, 0.4, 300, 4000), (2, 4),
           (1_000, 60_000), (1, 3), "SLAN", (0.0, 0.0, 0.3), round_strike=True),
    # ---- neutral_noise: ordinary flow (small, mid or both sides, against stale quotes)
    Family("single_print_mid", "dir", (0, 60), (0.10, 0.90), "single", "MID", "N", (3, 0.8, 1, 20), (1, 1),
           (0, 0), (1, 1), "AUTO", (0.0, 0.0, 0.0)),
    Family("two_sided_scalp", "dir", (0, 30), (0.20, 0.80), "scalp", "A", "A", (4, 0.7, 1, 20), (2, 4),
           (500, 20_000), (1, 3), "AUTO", (0.0, 0.0, 0.0)),
    Family("stale_quote_noise", "dir", (20, 400), (0.05, 0.30), "single", "MID", "N", (3, 0.8, 1, 20), (1, 2),
           (0, 5_000), (1, 1), "AUTO", (0.0, 0.0, 0.0)),
]

FAMILY_TEMPLATES: tuple[Family, ...] = tuple(sorted(_T, key=lambda f: schemas.FAMILIES.index(f.name)))
assert tuple(f.name for f in FAMILY_TEMPLATES) == schemas.FAMILIES
assert all(f.structure in STRUCTURES for f in FAMILY_TEMPLATES)
# (execution IV shock, underlying move bps in the burst's direction, spread z) per family index
COUPLING: tuple[tuple[float, float, float], ...] = tuple(f.coupling for f in FAMILY_TEMPLATES)


def family(name_or_index: str | int) -> Family:
    """The template of a family, by name or index into ``schemas.FAMILIES``."""
    i = name_or_index if isinstance(name_or_index, int) else schemas.FAMILIES.index(name_or_index)
    return FAMILY_TEMPLATES[i]
