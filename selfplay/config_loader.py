"""YAML file + `--set key=value` overrides -> a validated CampaignConfig, and back.

    >>> config = load_config("configs/algebra.yaml", ["train.learning_rate=1e-5", "generations=2"])
    >>> flatten(config)["train.learning_rate"]
    1e-05

Every error names the file and the field: `configs/x.yaml: train.lerning_rate:
unknown key; allowed: algorithm, beta, ...`. They are ConfigError (a
UserError), which the command line prints as one line with exit code 2. This
module imports neither torch nor MLflow, so a bad config is reported in a
fraction of a second.
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
from selfplay.errors import ConfigError
from selfplay.state import CONFIG_FILE, STATE_FILE

__all__ = ["ConfigError", "build", "flatten", "load_config", "load_run_config", "to_plain", "to_yaml"]

MAX_PARAM_CHARS = 6_000  # MLflow's limit on one param value


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> CampaignConfig:
    """The campaign config in `path` (None: the built-in quickstart defaults), with overrides applied."""
    source = str(path) if path else "defaults"
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_yaml(Path(path), source)
    for override in overrides:
        _apply_override(data, override, source)
    return build(CampaignConfig, data, source)


def load_run_config(run_dir: str | Path) -> CampaignConfig:
    """The resolved config saved in a run folder, after checking that the folder holds a campaign to resume."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such run folder" + (" (it is a file)" if run_dir.exists() else ""))
    for name in (CONFIG_FILE, STATE_FILE):
        if not (run_dir / name).is_file():
            raise ConfigError(
                f"{run_dir}: no {name}, so this is not a selfplay run folder; "
                "`selfplay launch` starts a campaign, `selfplay resume` continues one"
            )
    return load_config(run_dir / CONFIG_FILE)


def _read_yaml(path: Path, source: str) -> dict[str, Any]:
    """The file's top-level mapping; a missing, unreadable or malformed file is a ConfigError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder; give the campaign's YAML file") from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise ConfigError(f"{source}:{line}: not UTF-8 text (byte {error.object[error.start]:#04x}); save the file as UTF-8") from None
    except OSError as error:  # permission denied, a device, ...
        raise ConfigError(f"{source}: cannot read it ({error.strerror or error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}:{_yaml_position(error)} not valid YAML: {_yaml_problem(error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings, got {_show(data)}")
    return data


def _yaml_position(error: yaml.YAMLError) -> str:
    """`line:column:` (1-based, as editors count) where the parser gave up, or nothing if it does not say."""
    mark = getattr(error, "problem_mark", None)
    return f"{mark.line + 1}:{mark.column + 1}:" if mark is not None else ""


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's description in one line: "mapping values are not allowed here", with its context if any."""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    return f"{problem} ({context})" if context else problem


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
