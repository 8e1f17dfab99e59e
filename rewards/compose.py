"""Compose reward components with weights, the way the campaign config lists them.

    rewards:
      - {name: correct, weight: 1.0}
      - {name: well_formatted, weight: 0.1}
      - {name: within_length, weight: 0.0, soft_limit: 48, hard_limit: 96}

Weight 0 means "log it, don't train on it". The functions and weights go
straight to TRL (`reward_funcs`, `reward_weights`), which logs each one as
`rewards/<name>/mean`; `RewardSet.score` gives the same components outside
TRL, for evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from env.problem import Problem
from env.registry import EnvironmentSpec
from rewards.correctness import correctness_reward
from rewards.format import format_reward
from rewards.length import length_reward
from rewards.sandbox import VerifierPool

REWARD_NAMES = ("correct", "well_formatted", "within_length")


@dataclass(frozen=True)
class RewardSpec:
    name: str  # one of REWARD_NAMES
    weight: float = 1.0
    options: dict[str, Any] = field(default_factory=dict)  # e.g. soft_limit for within_length

    def __post_init__(self):
        if self.name not in REWARD_NAMES:
            raise ValueError(f"rewards: unknown reward {self.name!r}; choose from {', '.join(REWARD_NAMES)}")
        if self.weight < 0:
            raise ValueError(f"rewards: weight of {self.name!r} must be >= 0, got {self.weight}")


@dataclass
class RewardSet:
    names: list[str]
    functions: list[Callable[..., list[float]]]
    weights: list[float]

    def score(self, problems: Sequence[Problem], completions: Sequence[str]) -> dict[str, list[float]]:
        """Each component per completion, plus `total` (the weighted sum TRL trains on)."""
        columns = problem_columns(problems)
        components = {
            name: list(function(completions=list(completions), **columns))
            for name, function in zip(self.names, self.functions)
        }
        components["total"] = [
            sum(weight * components[name][i] for name, weight in zip(self.names, self.weights))
            for i in range(len(completions))
        ]
        return components


def build_rewards(
    specs: Sequence[RewardSpec], environments: Mapping[str, EnvironmentSpec], pool: VerifierPool
) -> RewardSet:
    """The reward functions named in `specs`, in order, with their weights."""
    if not any(spec.weight > 0 for spec in specs):
        raise ValueError("rewards: at least one reward needs a weight above 0, or nothing is trained")
    instances = {name: spec.build() for name, spec in environments.items()}
    factories: dict[str, Callable[..., Callable]] = {
        "correct": lambda: correctness_reward(pool),
        "well_formatted": lambda: format_reward(instances),
        "within_length": length_reward,
    }
    functions = []
    for spec in specs:
        try:
            functions.append(factories[spec.name](**spec.options))
        except TypeError as error:
            raise ValueError(f"rewards: bad options for {spec.name!r}: {spec.options} ({error})") from None
    return RewardSet([spec.name for spec in specs], functions, [spec.weight for spec in specs])


def problem_columns(problems: Sequence[Problem]) -> dict[str, list[Any]]:
    """Dataset-style columns for `problems`, as TRL would pass them to reward functions."""
    rows = [problem.to_row() for problem in problems]
    columns = {name: [row[name] for row in rows] for name in rows[0]} if rows else {}
    columns["problem_prompt"] = columns.pop("prompt", [])
    return columns
