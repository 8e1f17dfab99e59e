"""The campaign's environments: each config entry built, with its spec for verifier workers and its levels.

    >>> configured = build_environments(load_config("configs/algebra.yaml"))
    >>> configured["algebra"].levels
    [1, 2, 3]

Building them is the first thing a launch does, so an unknown name, a bad
option or an impossible level fails before any model loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from env.environment import Environment
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
    """Instantiate every configured environment, keyed by its name; errors name the setting."""
    configured = {}
    for entry in config.environments:
        spec = EnvironmentSpec.of(entry.name, **entry.options)
        try:
            environment = spec.build()
        except KeyError as error:
            raise SettingError(f"environments: {error.args[0]}") from None
        except (ValueError, TypeError) as error:
            raise SettingError(f"environments.{entry.name}.options: {error}") from None
        available = environment.difficulties
        top = entry.max_difficulty or available[-1]
        for setting, level in (("start_difficulty", entry.start_difficulty), ("max_difficulty", top)):
            if level not in available:
                raise SettingError(f"environments.{entry.name}.{setting}: {entry.name} has levels {available}, got {level}")
        levels = [level for level in available if entry.start_difficulty <= level <= top]
        configured[environment.name] = ConfiguredEnvironment(entry, environment, spec, levels)
    return configured
