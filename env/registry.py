"""Find environments by name: built-ins, installed plugins, or `package.module:ClassName`.

A third-party package registers its environment under the entry-point group
`selfplay.environments`:

    [project.entry-points."selfplay.environments"]
    reverse_words = "my_envs.reverse:ReverseWords"

Modules are imported only when their name is asked for, so a broken plugin
only affects runs that use it. A name that cannot be loaded (unknown, or its
module fails to import) raises UserError, which the command line reports in
one line with exit code 2.

    >>> get_environment("arithmetic", answer_format="boxed")
"""

from __future__ import annotations

import difflib
import importlib
import json
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Callable

from env.environment import Environment, check_class_attributes
from env.errors import UserError

ENTRY_POINT_GROUP = "selfplay.environments"

BUILTINS = {
    "arithmetic": "env.arithmetic:Arithmetic",
    "algebra": "env.algebra:Algebra",
    "countdown": "env.countdown:Countdown",
    "sort_words": "env.sort_words:SortWords",
    "addition": "env.addition:Addition",
    "multiplication": "env.multiplication:Multiplication",
    "dataset": "env.dataset:DatasetEnvironment",  # rows of the user's own data (option source), docs/datasets.md
}


@dataclass(frozen=True)
class EnvironmentInfo:
    """One row of `selfplay envs list`."""

    name: str
    source: str  # distribution that provides it, "selfplay" for built-ins
    target: str  # "package.module:ClassName"
    difficulties: list[int]
    description: str


def get_environment(spec: str, **options) -> Environment:
    """An environment instance from a registered name or a `package.module:ClassName` reference.

    Options (e.g. `answer_format="boxed"`) go to the environment's constructor.
    """
    return environment_class(spec)(**options)


GYM_PREFIX = "gym_"  # gym_<task> is reasoning-gym's <task>, through env/reasoning_gym.py


def environment_class(spec: str) -> type[Environment]:
    """The class behind `spec`; UserError with the known names and the closest match if unknown."""
    target = spec if ":" in spec else _targets().get(spec)
    if target is None and spec.startswith(GYM_PREFIX):
        target = f"env.reasoning_gym:{spec[len(GYM_PREFIX):]}"
    if target is None:
        known = sorted(_targets())
        close = difflib.get_close_matches(spec, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown environment {spec!r}{hint} (known: {', '.join(known)})")
    return _import_class(spec, target)


def list_environments() -> list[EnvironmentInfo]:
    """Every environment that can be loaded by name, built-ins first, then plugins.

    A plugin that fails to import is listed with the error as its description
    (and no levels), so one broken package does not hide the others.
    """
    infos = []
    sources = _sources()
    for name, target in _targets().items():
        try:
            cls = _import_class(name, target)
        except UserError as error:
            infos.append(EnvironmentInfo(name, sources[name], target, [], f"cannot load: {error.args[0]}"))
            continue
        infos.append(EnvironmentInfo(name, sources[name], target, sorted(cls.levels), cls.description))
    return infos


def _targets() -> dict[str, str]:
    targets = dict(BUILTINS)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        targets.setdefault(entry_point.name, entry_point.value)
    return targets


def _sources() -> dict[str, str]:
    sources = {name: "selfplay" for name in BUILTINS}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist is not None else "?"
        sources.setdefault(entry_point.name, distribution)
    return sources


def _import_class(spec: str, target: str) -> type[Environment]:
    return import_plugin_class("environment", spec, target, Environment, "env.Environment", check_class_attributes)


def import_plugin_class(kind: str, spec: str, target: str, base: type, base_name: str, check: Callable[[type], None]) -> type:
    """The class at `target` ("package.module:ClassName"), a subclass of `base` that passes `check`.

    Every way a plugin can be broken (bad reference, failing import, missing or wrong class, bad
    class attributes) is a one-line UserError naming the `kind` ("environment", "game") and `spec`.
    """
    module_name, _, class_name = target.partition(":")
    if not module_name or not class_name:
        raise UserError(f"{kind} {spec!r}: expected 'package.module:ClassName', got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # whatever a plugin raises on import, only runs that use it fail
        raise UserError(f"{kind} {spec!r}: cannot import module {module_name!r} ({type(error).__name__}: {error})") from None
    try:
        cls = getattr(module, class_name)
    except AttributeError as error:
        raise UserError(f"{kind} {spec!r}: {error}") from None
    except KeyError as error:  # env.reasoning_gym's module __getattr__ names the closest task this way
        raise UserError(f"{kind} {spec!r}: {error.args[0]}") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise UserError(f"{kind} {spec!r}: {target!r} is not a subclass of {base_name}")
    try:
        check(cls)
    except TypeError as error:
        raise UserError(f"{kind} {spec!r}: {error}") from None
    return cls


@dataclass(frozen=True)
class EnvironmentSpec:
    """How to build one environment: a name or `package.module:ClassName`, plus constructor options.

    Picklable and hashable, so verifier worker processes can rebuild the same environment.
    """

    ref: str
    options: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, ref: str, **options) -> "EnvironmentSpec":
        return cls(ref, tuple(sorted(options.items())))

    def build(self) -> Environment:
        return get_environment(self.ref, **dict(self.options))

    def __hash__(self) -> int:
        # Options may hold mappings and lists (the dataset environment's levels_from_solve_rate), which a
        # tuple cannot hash; their JSON text can, and equal specs give equal text.
        return hash((self.ref, json.dumps(self.options, sort_keys=True, default=repr)))
