"""Docs that are generated from code stay in sync with it."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_schema_docs_match_the_schemas_module():
    spec = importlib.util.spec_from_file_location("make_schema_docs", ROOT / "tools" / "make_schema_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "docs" / "schemas.md").read_text() == mod.render(), \
        "docs/schemas.md is stale: run python tools/make_schema_docs.py"


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    assert "pip install . && fastsynth generate" in block
    assert 'pip install ".[test]" && pytest' in block


def test_readme_manifest_examples_are_valid():
    """Every YAML block of the README is a valid manifest (or a fragment of one) — the docs cannot drift."""
    import msgspec

    from fastsynth.manifest import manifest_from_data

    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml")[1:]]
    assert len(blocks) >= 2
    for b in blocks:
        manifest_from_data(msgspec.yaml.decode(b.encode()))
