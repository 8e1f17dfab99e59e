"""The correctness reward: the environment's own verifier, run in the sandboxed pool.

    >>> correct = correctness_reward(pool)
    >>> correct(completions=["<answer>95</answer>"], **columns)
    [1.0]

Range [0, 1]: 1 for a verified answer (or the environment's partial score).
It does not parse answers a second way; every check lives in the environment.
A completion whose checker raised scores 0 and is counted by the pool
(`VerifierPool.take_counts`) and logged here as `verifier/errors`.
"""

from __future__ import annotations

from typing import Any, Callable

from rewards.columns import completion_text, problems_from_columns
from rewards.sandbox import TIMED_OUT, VerifierPool


def correctness_reward(pool: VerifierPool) -> Callable[..., list[float]]:
    def correct(completions: list[Any], **columns: Any) -> list[float]:
        """1 when the environment verifies the completion's answer, else 0."""
        problems = problems_from_columns(len(completions), columns)
        texts = [completion_text(completion) for completion in completions]
        replaced_before = pool.num_replaced
        verdicts = pool.verify(list(zip(problems, texts)))
        log_metric = columns.get("log_metric")
        if log_metric is not None:  # TRL passes it: verifier health next to the reward curve
            timeouts = sum(verdict.reason.startswith(TIMED_OUT) for verdict in verdicts)
            log_metric("verifier/timeouts", float(timeouts))
            log_metric("verifier/errors", float(sum(verdict.error for verdict in verdicts)))
            log_metric("verifier/workers_replaced", float(pool.num_replaced - replaced_before))
        return [verdict.score for verdict in verdicts]

    return correct
