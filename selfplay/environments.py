"""The campaign's environments: each config entry built, with its spec for verifier workers and its levels.

    >>> configured = build_environments(load_config("configs/algebra.yaml"))
    >>> configured["algebra"].levels
    [1, 2, 3]

Building them is the first thing a launch does, so an unknown name, a bad
option, an impossible level or a generator that raises fails before any model
loads or anything is written, as a UserError naming the setting. This module
imports no torch, so those errors come back in a second.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from env.environment import Environment
from env.errors import TooFewProblems, UserError
from env.problem import SPLITS, Problem
from env.registry import EnvironmentSpec
from policy.errors import SettingError
from selfplay.config import CampaignConfig, EnvironmentEntry


@dataclass(frozen=True)
class ConfiguredEnvironment:
    """One environment of the campaign: its config entry, instance, spec for verifier workers, and levels."""

    entry: EnvironmentEntry
    environment: Environment
    spec: EnvironmentSpec
    levels: list[int]  # start_difficulty .. max_difficulty, the levels evaluated and trained on


def build_environments(config: CampaignConfig) -> dict[str, ConfiguredEnvironment]:
    """Instantiate every configured environment, keyed by its name, and draw one problem per level and split."""
    configured = {}
    for entry in config.environments:
        spec = EnvironmentSpec.of(entry.name, **entry.options)
        environment = build_environment(spec, where=f"environments.{entry.name}.options")
        available = environment.difficulties
        top = entry.max_difficulty or available[-1]
        for setting, level in (("start_difficulty", entry.start_difficulty), ("max_difficulty", top)):
            if level not in available:
                raise SettingError(f"environments.{entry.name}.{setting}: {entry.name} has levels {available}, got {level}")
        levels = [level for level in available if entry.start_difficulty <= level <= top]
        for level in levels:
            for split in SPLITS:
                draw_problems(environment, 1, config.seed, level, split, where=f"environments.{entry.name}")
        configured[environment.name] = ConfiguredEnvironment(entry, environment, spec, levels)
    return configured


def build_environment(spec: EnvironmentSpec, where: str | None = None) -> Environment:
    """The environment `spec` names; an unknown name or an option its constructor rejects is a UserError.

    A constructor answers a bad option with ValueError (an impossible value) or
    TypeError (an unknown keyword): that is the environment contract, so those
    two are the user's here, prefixed with `where` (the setting) when given.
    """
    try:
        return spec.build()
    except UserError as error:  # from the registry: unknown name, plugin that cannot be imported
        raise SettingError(f"environments: {error}" if where else str(error)) from None
    except (ValueError, TypeError) as error:
        raise SettingError(f"{where}: {error}" if where else str(error)) from None


def draw_problems(environment: Environment, count: int, seed: int, difficulty: int, split: str, where: str) -> list[Problem]:
    """`environment.problems(...)`; whatever the generator raises becomes a UserError naming it and the line.

    A plugin whose `generate` raises is something the user can fix (or not use),
    so it is reported in one line, not as a traceback from deep inside the base
    class; the line that raised is in the message, and the original exception
    is chained for a debugger.
    """
    try:
        return environment.problems(count, seed, difficulty, split)
    except TooFewProblems:  # a count to lower, not a broken generator: the caller names the setting
        raise
    except Exception as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        raise UserError(
            f"{where}: cannot generate {split} problems at difficulty {difficulty}: "
            f"{type(error).__name__}: {error} (raised at {frame.filename}:{frame.lineno})"
        ) from error
