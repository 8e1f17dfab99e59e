"""Which problems a generation trains and is evaluated on.

Training problems are drawn from the environment mix at each environment's
current level, fresh per generation (the generation number is part of the
seed). The held-out eval set is fixed for the whole campaign: the same
problems for every generation, so their scores compare, and by construction
never among the training problems (the split is by canonical key).

    >>> problems = training_problems(environments, weights, {"arithmetic": 2}, count=2000, seed=7)
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Sequence

from env.environment import Environment
from env.errors import UserError
from env.problem import Problem
from policy.prompts import PromptFormat
from selfplay.errors import CampaignError


def training_problems(
    environments: Mapping[str, Environment],
    weights: Mapping[str, float],
    difficulty: Mapping[str, int],
    count: int,
    seed: int,
    review: Mapping[str, Sequence[int]] | None = None,
    review_fraction: float = 0.0,
    preview: Mapping[str, int] | None = None,
    preview_fraction: float = 0.0,
) -> list[Problem]:
    """`count` training problems, each environment's share proportional to its weight.

    A `review_fraction` of them come from the environment's easier levels in
    `review` (levels already passed), so training on a new level does not
    erase what the policy learned on the ones before; a `preview_fraction`
    come from the next level up in `preview`, if there is one.
    """
    rng = random.Random(f"training-mix:{seed}")
    names = sorted(environments)
    problems = []
    for index, name in enumerate(rng.choices(names, [weights[name] for name in names], k=count)):
        level, draw = difficulty[name], rng.random()
        easier, harder = (review or {}).get(name, []), (preview or {}).get(name)
        if easier and draw < review_fraction:
            level = rng.choice(list(easier))
        elif harder is not None and draw > 1 - preview_fraction:
            level = harder
        problems.append(_generate(name, lambda: environments[name].problem(seed, index, level, "train")))
    return problems


def eval_problems(
    environments: Mapping[str, Environment], levels: Mapping[str, Sequence[int]], count: int, seed: int
) -> list[Problem]:
    """The fixed held-out set: `count` distinct eval problems per environment and level."""
    problems = []
    for name in sorted(environments):
        for difficulty in levels[name]:
            problems += _generate(name, lambda: environments[name].problems(count, seed, difficulty, "eval"))
    return problems


def _generate(name: str, function):
    """Run an environment's generator; its exception stops the campaign with a message naming it."""
    try:
        return function()
    except UserError:  # a setting the user can change (too few held-out problems for eval.num_problems)
        raise
    except Exception as error:
        raise CampaignError(f"environment {name!r} raised while generating problems: {type(error).__name__}: {error}") from error


def trl_rows(problems: Sequence[Problem], prompt_format: PromptFormat) -> list[dict[str, Any]]:
    """Dataset rows for TRL: `prompt` is the model input; every Problem field rides along for the rewards."""
    rows = []
    for problem in problems:
        row = problem.to_row()
        row["problem_prompt"] = row.pop("prompt")
        row["prompt"] = prompt_format.model_input(problem.prompt)
        rows.append(row)
    return rows
