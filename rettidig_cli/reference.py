"""Reference data shared by every guide: FIT scoring rules (data/fit.toml) and the rules for
following a case (data/followup.toml). Numbers a municipality may need to correct live there,
not here; this module only reads and checks them."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass

from rettidig_cli.errors import GuideError
from rettidig_cli.guide import Option, _Reader, builtin_guide_dir

INSTRUMENT_KINDS = ("outcome", "alliance", "engagement")


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    kind: str  # outcome (ORS, CORS), alliance (SRS, CSRS) or engagement (YCORS: a note, no score)
    who: str
    items: int
    item_max: int
    cutoff: float | None
    sd: float | None
    min_age: int | None
    max_age: int | None

    @property
    def scored(self) -> bool:
        return self.items > 0

    @property
    def total_max(self) -> int:
        return self.items * self.item_max


@dataclass(frozen=True)
class FitRules:
    reliable_effect_size: float
    decimals: int
    instruments: tuple[Instrument, ...]

    def instrument(self, wanted: str) -> Instrument:
        key = wanted.strip().upper()
        for instrument in self.instruments:
            if instrument.id.upper() == key:
                return instrument
        raise ValueError(f"skema skal være en af: {', '.join(i.id for i in self.instruments)}.")


@dataclass(frozen=True)
class FollowUpRules:
    inactive_days: int
    soon_days: int
    close_reasons: tuple[str, ...]
    factor_types: tuple[Option, ...]


def _load(name: str) -> tuple[_Reader, str]:
    path = builtin_guide_dir().parent / name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GuideError(f"Datafilen {path} kan ikke læses ({exc.__class__.__name__}).",
                         hint="Installér rettidig igen, eller ret filen.") from None
    return _Reader(str(path), data, ""), str(path)


def _number(reader: _Reader, key: str, required: bool = False) -> float | None:
    value = reader._get(key, (int, float), "et tal", required, None)
    if isinstance(value, bool):
        raise reader.fail(key, "skal være et tal")
    return None if value is None else float(value)


@functools.cache
def fit_rules() -> FitRules:
    top, _ = _load("fit.toml")
    instruments = []
    for r in top.tables("instruments", required=True):
        kind = r.text("kind")
        if kind not in INSTRUMENT_KINDS:
            raise r.fail("kind", f"skal være en af {', '.join(INSTRUMENT_KINDS)}")
        items = r.integer("items", required=True)
        instrument = Instrument(
            id=r.text("id"), name=r.text("name"), kind=kind, who=r.text("who", required=False), items=items,
            item_max=r.integer("item_max", required=items > 0, default=0, minimum=1 if items else 0),
            cutoff=_number(r, "cutoff", required=items > 0), sd=_number(r, "sd", required=kind == "outcome"),
            min_age=r.integer("min_age"), max_age=r.integer("max_age"),
        )
        instruments.append(instrument)
    return FitRules(
        reliable_effect_size=_number(top, "reliable_effect_size", required=True),
        decimals=top.integer("decimals", required=True),
        instruments=tuple(instruments),
    )


@functools.cache
def followup_rules() -> FollowUpRules:
    top, _ = _load("followup.toml")
    factor_types = tuple(Option(r.ident("id"), r.text("label")) for r in top.tables("factor_types", required=True))
    return FollowUpRules(
        inactive_days=top.integer("inactive_days", required=True, minimum=1),
        soon_days=top.integer("soon_days", required=True, minimum=1),
        close_reasons=top.texts("close_reasons", required=True),
        factor_types=factor_types,
    )
