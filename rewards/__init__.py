"""Scoring rollouts: correctness (the environment's verifier, sandboxed), format, length.

This layer imports neither torch nor transformers nor trl.

    >>> rewards = build_rewards([RewardSpec("correct"), RewardSpec("well_formatted", 0.1)], specs, pool)
    >>> rewards.score(problems, completions)["correct"]
"""

from rewards.compose import REWARD_NAMES, RewardSet, RewardSpec, build_rewards, problem_columns
from rewards.sandbox import VerifierCounts, VerifierError, VerifierErrorRecord, VerifierPool

__all__ = [
    "REWARD_NAMES",
    "RewardSet",
    "RewardSpec",
    "VerifierCounts",
    "VerifierError",
    "VerifierErrorRecord",
    "VerifierPool",
    "build_rewards",
    "problem_columns",
]
