"""YAML file + `--set key=value` overrides -> a validated CampaignConfig, and back.

    >>> config = load_config("configs/algebra.yaml", ["train.learning_rate=1e-5", "generations=2"])
    >>> flatten(config)["train.learning_rate"]
    1e-05

Every error names the file and the field: `configs/x.yaml: train.lerning_rate:
unknown key; allowed: algorithm, beta, ...`. They are ConfigError (a
ValueError), which the command line prints as one line with exit code 2.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any, Sequence

import yaml

from selfplay.config import CampaignConfig

MAX_PARAM_CHARS = 6_000  # MLflow's limit on one param value


class ConfigError(ValueError):
    """A config that cannot be loaded or is invalid; the message names the file and field."""


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> CampaignConfig:
    """The campaign config in `path` (None: the built-in quickstart defaults), with overrides applied."""
    source = str(path) if path else "defaults"
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"{source}: no such config file") from None
        except yaml.YAMLError as error:
            raise ConfigError(f"{source}: not valid YAML ({str(error).splitlines()[0]})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: the top level must be a mapping of settings")
    for override in overrides:
        _apply_override(data, override, source)
    return build(CampaignConfig, data, source)


def build(cls: type, data: Any, source: str, where: str = "") -> Any:
    """Construct dataclass `cls` from plain data, checking keys and types; ConfigError on any problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {where or 'config'}: expected a mapping, got {_show(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{source}: {where}{key}: unknown key{hint}; allowed: {', '.join(sorted(fields))}"
            )
    hints = typing.get_type_hints(cls)
    values = {key: _convert(hints[key], value, source, f"{where}{key}") for key, value in data.items()}
    try:
        return cls(**values)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{source}: {error}") from None


def flatten(config: Any, prefix: str = "") -> dict[str, str]:
    """Dotted keys -> string values of every leaf setting, for MLflow params."""
    flat: dict[str, str] = {}
    if dataclasses.is_dataclass(config):
        for f in dataclasses.fields(config):
            flat.update(flatten(getattr(config, f.name), f"{prefix}{f.name}."))
    elif isinstance(config, list) and config and dataclasses.is_dataclass(config[0]):
        for index, item in enumerate(config):
            flat.update(flatten(item, f"{prefix}{index}."))
    else:
        flat[prefix.rstrip(".")] = str(config)[:MAX_PARAM_CHARS]
    return flat


def to_plain(config: Any) -> Any:
    """The config as plain data, ready for yaml.safe_dump (the resolved config saved with a run)."""
    return dataclasses.asdict(config)


def to_yaml(config: Any) -> str:
    return yaml.safe_dump(to_plain(config), sort_keys=False)


# -- conversion -----------------------------------------------------------------
def _convert(annotation: Any, value: Any, source: str, where: str) -> Any:
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        options = [a for a in arguments if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(option, value, source, where)
            except ConfigError as error:
                errors.append(error)
        raise errors[-1]
    if dataclasses.is_dataclass(annotation):
        return build(annotation, value, source, f"{where}.")
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {where}: expected a list, got {_show(value)}")
        return [_convert(arguments[0], item, source, f"{where}.{i}") for i, item in enumerate(value)]
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {where}: expected a mapping, got {_show(value)}")
        return dict(value)
    return _scalar(annotation, value, source, where)


def _scalar(annotation: Any, value: Any, source: str, where: str) -> Any:
    if annotation is Any:
        return value
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: {where}: expected true or false, got {_show(value)}")
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: {where}: expected an integer, got {_show(value)}")
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML reads 1e-5 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{source}: {where}: expected a number, got {_show(value)}")
    if annotation is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{source}: {where}: expected text, got {_show(value)}")
    raise TypeError(f"config_loader: unsupported annotation {annotation!r} at {where}")


def _apply_override(data: dict, override: str, source: str) -> None:
    """`train.learning_rate=1e-5` or `environments.0.weight=2`: set one value, parsed as YAML."""
    key, separator, text = override.partition("=")
    if not separator or not key:
        raise ConfigError(f"--set {override!r}: expected key=value, e.g. train.learning_rate=1e-5")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    node: Any = data
    parts = key.strip().split(".")
    for depth, part in enumerate(parts[:-1]):
        node = _child(node, part, key, default_list=False)
    last = parts[-1]
    if isinstance(node, list):
        index = _index(last, node, key)
        node[index] = value
    else:
        node[last] = value


def _child(node: Any, part: str, key: str, default_list: bool) -> Any:
    if isinstance(node, list):
        return node[_index(part, node, key)]
    if not isinstance(node, dict):
        raise ConfigError(f"--set {key}: {part!r} is inside a value that is not a mapping")
    if part == "environments" or part == "rewards":
        if part not in node:
            # Overriding one entry of a list the YAML did not write: start from the defaults.
            node[part] = [_entry_as_dict(e) for e in getattr(CampaignConfig(), part)]
    return node.setdefault(part, {})


def _entry_as_dict(entry: Any) -> dict:
    return {k: v for k, v in dataclasses.asdict(entry).items()}


def _index(part: str, node: list, key: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(f"--set {key}: {part!r} is not an index of a list with {len(node)} entries")
    return int(part)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
