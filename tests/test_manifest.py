"""Tests for ``fastsynth.manifest``: defaults, validation errors (field + value + what is allowed),
loading from JSON / YAML / TOML, and the content hash (the identity of a run)."""
from __future__ import annotations

import json

import msgspec
import numpy as np
import pytest

import fastsynth
from fastsynth import ConfigError, Manifest, SymbolSpec, default_universe, load_manifest
from fastsynth.manifest import FORMATS, MODES, manifest_from_data
from fastsynth.schemas import DEFAULT_TABLES, OFF_EXCHANGE_VENUES

CUSTOM = {"symbol": "ZZTK", "price": 40.0, "annual_vol": 0.3, "beta": 0.8, "sector": "Materials", "adv": 2e6,
          "tick_size": 0.05}


def ibm_spec() -> dict:
    return msgspec.to_builtins(next(s for s in default_universe() if s.symbol == "IBM"))


def check_error(exc: pytest.ExceptionInfo, field: str, value: object) -> str:
    """The error names the field and the value given, in one line."""
    err = exc.value
    msg = str(err)
    assert err.field == field, msg
    assert err.value == value, msg
    assert msg.startswith(f"{field}: got {value!r}; allowed: "), msg
    assert "\n" not in msg
    return msg


# ------------------------------------------------------------------------------------------ defaults
def test_defaults():
    m = Manifest()
    assert (m.seed, m.start, m.days, m.symbols, m.universe, m.mode, m.format) == \
        (0, "2026-03-02", 1, None, None, "realistic", "parquet")
    assert set(m.tables) <= set(DEFAULT_TABLES)
    assert m.selected() == default_universe()
    assert len(default_universe()) == len({s.symbol for s in default_universe()}) == 35
    r = m.resolved()
    assert r["symbols"] == [s.symbol for s in default_universe()]
    assert len(m.content_hash()) == 64 and int(m.content_hash(), 16) >= 0


def test_selected_keeps_manifest_order():
    m = Manifest(symbols=["MSFT", "AAPL", "SPY"])
    assert [s.symbol for s in m.selected()] == ["MSFT", "AAPL", "SPY"]


def test_replace_validates():
    m = Manifest(seed=1)
    assert m.replace(days=3).days == 3
    with pytest.raises(ConfigError) as e:
        m.replace(days=0)
    check_error(e, "days", 0)


def test_manifest_is_frozen():
    with pytest.raises(AttributeError):
        Manifest().seed = 3  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ bad values
@pytest.mark.parametrize("kw,field,value", [
    ({"seed": -1}, "seed", -1),
    ({"seed": 2**63}, "seed", 2**63),
    ({"seed": True}, "seed", True),
    ({"seed": "7"}, "seed", "7"),
    ({"seed": 1.5}, "seed", 1.5),
    ({"days": 0}, "days", 0),
    ({"days": -1}, "days", -1),
    ({"days": True}, "days", True),
    ({"start": "2026-02-30"}, "start", "2026-02-30"),
    ({"start": "March 2"}, "start", "March 2"),
    ({"symbols": ["IBM", "IBM"]}, "symbols", ["IBM", "IBM"]),
    ({"symbols": []}, "symbols", []),
    ({"tables": []}, "tables", []),
    ({"tables": ["bars_1m", "bars_1m"]}, "tables", ["bars_1m", "bars_1m"]),
    ({"mode": "fire"}, "mode", "fire"),
    ({"format": "csv"}, "format", "csv"),
])
def test_bad_value_names_field_and_value(kw, field, value):
    with pytest.raises(ConfigError) as e:
        Manifest(**kw)
    check_error(e, field, value)


def test_unknown_symbol_did_you_mean():
    with pytest.raises(ConfigError) as e:
        Manifest(symbols=["IBM", "APPL"])
    msg = check_error(e, "symbols", "APPL")
    assert "did you mean 'AAPL'?" in msg
    assert "AAPL" in e.value.allowed


def test_unknown_table_did_you_mean():
    with pytest.raises(ConfigError) as e:
        Manifest(tables=["equity_trade"])
    msg = check_error(e, "tables", "equity_trade")
    assert "did you mean 'equity_trades'?" in msg


@pytest.mark.parametrize("field,bad,choices", [("mode", "firehoze", MODES), ("format", "parket", FORMATS)])
def test_unknown_enum_lists_choices(field, bad, choices):
    with pytest.raises(ConfigError) as e:
        Manifest(**{field: bad})
    msg = check_error(e, field, bad)
    assert all(c in msg for c in choices)
    assert "did you mean" in msg


@pytest.mark.parametrize("field,bad,choices", [("mode", "firehoze", MODES), ("format", "parket", FORMATS)])
def test_unknown_enum_from_data_lists_choices(field, bad, choices):
    with pytest.raises(ConfigError) as e:
        manifest_from_data({field: bad})
    msg = check_error(e, field, bad)
    assert all(c in msg for c in choices) and "did you mean" in msg


@pytest.mark.parametrize("start,near", [("2026-03-07", ("2026-03-06", "2026-03-09")),   # Saturday
                                        ("2026-07-03", ("2026-07-02", "2026-07-06"))])  # holiday
def test_non_session_start_fails_at_plan_time_naming_nearest_sessions(start, near):
    m = Manifest(start=start, symbols=["IBM"])  # a valid date: the calendar is checked when planning
    with pytest.raises(ConfigError) as e:
        fastsynth.generate(m)
    msg = check_error(e, "start", start)
    assert all(d in msg for d in near), msg


@pytest.mark.parametrize("spec,field,value", [
    ({**CUSTOM, "price": -1.0}, "universe[ZZTK].price", -1.0),
    ({**CUSTOM, "price": float("nan")}, None, None),
    ({**CUSTOM, "tick_size": 0.03}, "universe[ZZTK].tick_size", 0.03),
    ({**CUSTOM, "tick_size": 0.0}, "universe[ZZTK].tick_size", 0.0),
    ({**CUSTOM, "annual_vol": 0.0}, "universe[ZZTK].annual_vol", 0.0),
    ({**CUSTOM, "adv": 10.0}, "universe[ZZTK].adv", 10.0),
    ({**CUSTOM, "symbol": "BAD/SYM"}, "universe.symbol", "BAD/SYM"),
])
def test_bad_universe_spec(spec, field, value):
    with pytest.raises(ConfigError) as e:
        SymbolSpec(**spec)
    if field is None:  # NaN != NaN: check the field only
        assert e.value.field == "universe[ZZTK].price" and "nan" in str(e.value)
    else:
        check_error(e, field, value)
    # the same spec inside a manifest (as from a file) gives the same error
    with pytest.raises(ConfigError) as e2:
        manifest_from_data({"universe": [spec], "symbols": ["ZZTK"]})
    assert str(e2.value) == str(e.value)


def test_duplicate_universe_symbol():
    with pytest.raises(ConfigError) as e:
        Manifest(universe=[SymbolSpec(**CUSTOM), SymbolSpec(**CUSTOM)])
    check_error(e, "universe", "ZZTK")


def test_symbol_outside_custom_universe():
    with pytest.raises(ConfigError) as e:
        Manifest(universe=[SymbolSpec(**CUSTOM)], symbols=["IBM"])
    msg = check_error(e, "symbols", "IBM")
    assert "manifest's universe" in msg


@pytest.mark.parametrize("data,field,value", [
    ({"days": 0}, "days", 0),
    ({"seed": -1}, "seed", -1),
    ({"seed": "abc"}, "seed", "abc"),
    ({"seed": True}, "seed", True),
    ({"start": 20260302}, "start", 20260302),
    ({"symbols": ["IBM", "IBM"]}, "symbols", ["IBM", "IBM"]),
    ({"symbols": "IBM"}, "symbols", "IBM"),
    ({"tables": ["trades"]}, "tables", "trades"),
    ({"mode": "fire"}, "mode", "fire"),
    ({"format": "csv"}, "format", "csv"),
])
def test_bad_value_from_data_names_field_and_value(data, field, value):
    # the path files and the CLI take (msgspec.convert): errors must still name the field and the value
    with pytest.raises(ConfigError) as e:
        manifest_from_data(data)
    check_error(e, field, value)


# ------------------------------------------------------------------------------------------ files
DOC = {"seed": 42, "start": "2026-03-03", "days": 2, "symbols": ["ZZTK", "IBM"], "mode": "active",
       "tables": ["equity_trades", "bars_1m"], "format": "ipc", "universe": [CUSTOM, None]}


def doc() -> dict:
    d = json.loads(json.dumps(DOC))
    d["universe"][1] = ibm_spec()
    return d


def write_json(path, d):
    path.write_text(json.dumps(d, indent=2))


def write_yaml(path, d):
    import yaml

    path.write_text(yaml.safe_dump(d, sort_keys=False))


def write_toml(path, d):
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {val(v)}" for k, v in d.items() if k != "universe"]
    for spec in d.get("universe") or []:
        lines.append("\n[[universe]]")
        lines += [f"{k} = {val(v)}" for k, v in spec.items()]
    path.write_text("\n".join(lines) + "\n")


WRITERS = {"json": write_json, "yaml": write_yaml, "yml": write_yaml, "toml": write_toml}


def test_json_yaml_toml_load_equal(tmp_path):
    want = manifest_from_data(doc())
    hashes = set()
    for ext, write in WRITERS.items():
        p = tmp_path / f"run.{ext}"
        write(p, doc())
        m = load_manifest(p)
        assert m == want, ext
        hashes.add(m.content_hash())
    assert hashes == {want.content_hash()}
    assert [s.symbol for s in want.selected()] == ["ZZTK", "IBM"]


def test_bare_dates_in_yaml_and_toml(tmp_path):
    (tmp_path / "a.yaml").write_text("seed: 1\nstart: 2026-03-03\n")
    (tmp_path / "a.toml").write_text("seed = 1\nstart = 2026-03-03\n")
    assert load_manifest(tmp_path / "a.yaml") == load_manifest(tmp_path / "a.toml") == \
        Manifest(seed=1, start="2026-03-03")


def test_hash_stable_under_key_order(tmp_path):
    d = doc()
    rev = {k: d[k] for k in reversed(list(d))}
    rev["universe"] = [{k: s[k] for k in reversed(list(s))} for s in d["universe"]]
    write_json(tmp_path / "a.json", d)
    write_json(tmp_path / "b.json", rev)
    write_yaml(tmp_path / "c.yaml", rev)
    hashes = {load_manifest(tmp_path / f).content_hash() for f in ("a.json", "b.json", "c.yaml")}
    assert len(hashes) == 1


CHANGES = {
    "seed": 43, "start": "2026-03-04", "days": 3, "symbols": ["IBM", "ZZTK"], "mode": "firehose",
    "tables": ["equity_trades"], "format": "parquet",
    "universe": [{**CUSTOM, "price": 41.0}, None],
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_hash_changes_with_every_field(field):
    base = doc()
    changed = doc()
    changed[field] = json.loads(json.dumps(CHANGES[field]))
    if field == "universe":
        changed["universe"][1] = ibm_spec()
    assert manifest_from_data(base).content_hash() != manifest_from_data(changed).content_hash()


def test_hash_covers_the_symbol_specs_and_defaults_made_explicit():
    # explicit defaults hash like omitted ones (the hash is over the resolved manifest)
    explicit = Manifest(symbols=[s.symbol for s in default_universe()], universe=list(default_universe()))
    assert explicit.content_hash() == Manifest().content_hash()
    # an unused universe entry does not change what is generated, nor the hash
    assert Manifest(universe=[*default_universe(), SymbolSpec(**CUSTOM)], symbols=["IBM"]).content_hash() == \
        Manifest(symbols=["IBM"]).content_hash()
    # but any field of a selected symbol's spec does
    ibm = ibm_spec()
    for k, v in [("price", ibm["price"] + 1), ("annual_vol", 0.5), ("beta", 0.3), ("sector", "X"),
                 ("adv", 1e6), ("tick_size", 0.05), ("etf", True)]:
        other = Manifest(universe=[SymbolSpec(**{**ibm, k: v})], symbols=["IBM"])
        assert other.content_hash() != Manifest(symbols=["IBM"]).content_hash(), k


def test_canonical_json_is_sorted_and_compact():
    cj = Manifest(seed=3, symbols=["IBM"]).canonical_json()
    d = json.loads(cj)
    assert cj == json.dumps(d, sort_keys=True, separators=(",", ":")).encode()
    assert d["seed"] == 3 and d["symbols"] == ["IBM"] and "format_version" in d


@pytest.mark.parametrize("ext,text,bad,hint", [
    ("json", '{"seed": 1, "sede": 2}', "sede", "did you mean 'seed'?"),
    ("yaml", "seed: 1\nsymbol: [IBM]\n", "symbol", "did you mean 'symbols'?"),
    ("toml", 'seed = 1\nmodes = "active"\n', "modes", "did you mean 'mode'?"),
])
def test_unknown_field_in_file(tmp_path, ext, text, bad, hint):
    p = tmp_path / f"run.{ext}"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_manifest(p)
    msg = check_error(e, "manifest", bad)
    assert hint in msg and "seed" in e.value.allowed


def test_unknown_field_in_universe_entry(tmp_path):
    p = tmp_path / "run.json"
    write_json(p, {"universe": [{**CUSTOM, "tick_sise": 0.01}], "symbols": ["ZZTK"]})
    with pytest.raises(ConfigError) as e:
        load_manifest(p)
    assert e.value.value == "tick_sise" and e.value.field.startswith("manifest.universe")
    assert "did you mean 'tick_size'?" in str(e.value)


@pytest.mark.parametrize("ext,text", [
    ("json", '{"seed": 1,'),
    ("json", "[1, 2]"),
    ("yaml", "seed: [1, 2\n"),
    ("yaml", "- a\n- b\n"),
    ("toml", "seed = \n"),
    ("toml", "[[universe]\n"),
])
def test_malformed_file(tmp_path, ext, text):
    p = tmp_path / f"run.{ext}"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_manifest(p)
    assert str(p) in str(e.value) or e.value.field == str(p)
    assert "\n" not in str(e.value)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_manifest(tmp_path / "nope.json")
    check_error(e, "manifest", str(tmp_path / "nope.json"))
    (tmp_path / "run.txt").write_text("seed: 1")
    with pytest.raises(ConfigError) as e:
        load_manifest(tmp_path / "run.txt")
    msg = check_error(e, "manifest", str(tmp_path / "run.txt"))
    assert ".json" in msg and ".toml" in msg


def test_bad_value_in_file(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("seed: 1\ndays: 0\n")
    with pytest.raises(ConfigError) as e:
        load_manifest(p)
    check_error(e, "days", 0)


# ------------------------------------------------------------------------------------ custom universe
def test_custom_universe_generates_a_new_symbol(tmp_path):
    p = tmp_path / "run.yaml"
    write_yaml(p, {"seed": 9, "symbols": ["ZZTK"], "universe": [CUSTOM], "tables": ["equity_trades", "bars_1m"]})
    m = load_manifest(p)
    assert "ZZTK" not in {s.symbol for s in default_universe()}
    out = fastsynth.generate(m)
    trades = out["equity_trades"]
    assert trades.num_rows > 0 and out["bars_1m"].num_rows > 0
    assert set(trades.column("symbol").cast("string").to_pylist()) == {"ZZTK"}
    px = trades.column("price").to_numpy()
    venue = trades.column("venue").cast("string").to_numpy(zero_copy_only=False)
    on_exchange = ~np.isin(venue, OFF_EXCHANGE_VENUES)
    ticks = px[on_exchange] / CUSTOM["tick_size"]  # the spec's 5-cent tick, not the default cent
    assert abs(ticks - ticks.round()).max() < 1e-9
    # and the start price is the spec's (within a few percent over a session)
    assert 0.8 * CUSTOM["price"] < float(px.mean()) < 1.2 * CUSTOM["price"]
