"""Reading a JSON / YAML / TOML configuration file into builtins, with one-line errors (manifests and
analytics parameters share it)."""
from __future__ import annotations

from pathlib import Path

import msgspec

from .errors import ConfigError

_DECODERS = {".json": msgspec.json.decode, ".yaml": msgspec.yaml.decode, ".yml": msgspec.yaml.decode,
             ".toml": msgspec.toml.decode}


def decode_config_file(path: str | Path, field: str) -> object:
    """The decoded contents of ``path``; ``ConfigError(field, path, ...)`` for a bad suffix, an unreadable
    file or invalid syntax (the parser's message folded onto one line: YAML errors span several)."""
    p = Path(path)
    dec = _DECODERS.get(p.suffix.lower())
    if dec is None:
        raise ConfigError(field, str(p), "a .json, .yaml, .yml or .toml file")
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ConfigError(field, str(p), "a readable file", e.strerror or str(e)) from None
    kind = p.suffix.lstrip('.').upper()
    if not raw.strip():
        raise ConfigError(field, str(p), f"a {kind} file of {field} fields", f"{field} file {p} is empty")
    try:
        data = dec(raw)
    except msgspec.DecodeError as e:
        raise ConfigError(field, str(p), f"valid {kind}", " ".join(str(e).split())) from None
    if data is None:              # YAML with nothing but comments
        raise ConfigError(field, str(p), f"a {kind} file of {field} fields", f"{field} file {p} holds no values")
    return data
