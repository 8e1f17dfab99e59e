"""Conformance checks that every environment, built-in or plugin, must pass.

In the spirit of gymnasium's env checker: run it on your environment before
you train on it.

    $ selfplay envs check my_package.my_module:MyEnv
    >>> failures = [r for r in check_environment(get_environment("algebra")) if not r.passed]

Each check catches one way an environment silently ruins a campaign: problems
that change between runs (no reproducibility), held-out problems that leak into
training (inflated eval), a reference answer that does not verify or a wrong
one that does (a reward the policy can farm), a `score` that returns something
other than a bool, a number in [0, 1] or a Verdict (the string "0" would pass
as a float), slow verification, and a teacher whose mistakes verify as right
or whose error rate is not the declared one (pretraining would teach
something else than the environment says).
"""

from __future__ import annotations

import math
import numbers
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from env.environment import Environment
from env.errors import AnswerError
from env.problem import Problem, Verdict

NUM_PROBLEMS = 20  # per difficulty level
SLOW_VERIFY_S = 0.1  # median verification time above this fails
# The teacher's error rate is measured on this many problems per level and must match the declared
# rate within 4 binomial standard errors plus an absolute slack (for rates that were themselves
# measured on a sample): a correct environment fails by chance less than once in 15,000 levels.
NUM_TEACHER_PROBLEMS = 400
TEACHER_RATE_STANDARD_ERRORS = 4.0
TEACHER_RATE_SLACK = 0.02


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""


def check_environment(environment: Environment, seed: int = 0, num_problems: int = NUM_PROBLEMS) -> list[CheckResult]:
    """Run every check on every difficulty level; a check that raises is reported as failed."""
    results = []
    for difficulty in environment.difficulties:
        for check in CHECKS:
            name = f"level {difficulty}: {check.__doc__.strip().splitlines()[0]}"
            try:
                problem_detail = check(environment, seed, difficulty, num_problems)
                results.append(CheckResult(name, problem_detail is None, problem_detail or ""))
            except Exception as error:  # a plugin's bug must be reported, not crash the checker
                last_line = traceback.format_exception_only(type(error), error)[-1].strip()
                results.append(CheckResult(name, False, f"raised {last_line}"))
    return results


def _same_seed_same_problems(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """same seed gives the same problems; each rebuilds alone by index"""
    first = env.problems(count, seed, difficulty)
    if first != env.problems(count, seed, difficulty):
        return "two calls with the same seed gave different problems"
    for problem in first:
        if env.problem(seed, problem.index, difficulty) != problem:
            return f"problem {problem.index} differs when rebuilt alone"
    return None


def _different_seeds_differ(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """different seeds give different problems"""
    first = [p.key for p in env.problems(count, seed, difficulty)]
    second = [p.key for p in env.problems(count, seed + 1, difficulty)]
    return f"seeds {seed} and {seed + 1} gave identical problems" if first == second else None


def _splits_disjoint(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """train and eval problems never share a canonical key"""
    train = {p.key for p in env.problems(count * 10, seed, difficulty, "train")}
    held_out = env.problems(count, seed, difficulty, "eval")
    leaked = [p.key for p in held_out if p.key in train]
    if leaked:
        return f"{len(leaked)} eval problems also appear in training, e.g. {leaked[0]!r}"
    wrong_split = [p for p in held_out if p.split != "eval" or env.split_of(p.key) != "eval"]
    return f"{len(wrong_split)} eval problems are not marked eval" if wrong_split else None


def _reference_scores_one(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """the reference answer scores 1"""
    for problem in _all_splits(env, seed, difficulty, count):
        verdict = env.verify(problem, env.reference_completion(problem))
        if verdict.score != 1.0:
            return f"reference answer {problem.answer!r} of {problem.question!r} scored {verdict.score} ({verdict.reason})"
    return None


def _wrong_answers_score_zero(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """wrong, empty and ambiguous answers score 0"""
    problems = env.problems(count, seed, difficulty)
    render = env.answer_format.render
    for problem in problems:
        wrong = ["", "I don't know.", render(""), render(problem.answer + " 0")]
        # Another problem's answer is not used: in some environments (countdown) it can be valid here too.
        wrong.append(render(problem.answer) + "\n" + render(_other_answer(problem, problems)))
        for completion in wrong:
            verdict = env.verify(problem, completion)
            if verdict.error:  # verify scores a raising checker 0; here that is a bug to report
                return f"checking {completion[:60]!r} on {problem.question!r} raised: {verdict.reason}"
            if verdict.score != 0.0:
                return f"{completion[:60]!r} scored {verdict.score} on {problem.question!r} (reference {problem.answer!r})"
    return None


def _verification_is_fast(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """verification is fast"""
    problems = env.problems(count, seed, difficulty)
    durations = []
    for problem in problems:
        started = time.perf_counter()
        env.verify(problem, env.reference_completion(problem))
        durations.append(time.perf_counter() - started)
    median = sorted(durations)[len(durations) // 2]
    return f"median verification took {median:.3f} s (limit {SLOW_VERIFY_S} s)" if median > SLOW_VERIFY_S else None


def _rows_round_trip(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """problems survive a dataset row round trip, and the teacher's demonstrations verify"""
    for problem in env.problems(count, seed, difficulty):
        if Problem.from_row(problem.to_row()) != problem:
            return f"problem {problem.index} changes through to_row/from_row (are its inputs JSON-serializable?)"
        verdict = env.verify(problem, env.demonstration(problem))
        if verdict.error:
            return f"checking the teacher's demonstration for problem {problem.index} raised: {verdict.reason}"
    return None


def _score_returns_a_score(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """score returns a bool, a number in [0, 1] or a Verdict"""
    for problem in env.problems(count, seed, difficulty):
        for completion in (env.reference_completion(problem), env.demonstration(problem)):
            try:
                result = env.score(env.answer_format.extract(completion), problem)
            except AnswerError:
                continue  # an answer it cannot read: a legitimate way to say "wrong"
            value = result.score if isinstance(result, Verdict) else result
            if not isinstance(value, (bool, numbers.Real)):
                return (f"score() returned {type(value).__name__} {value!r} for {problem.question!r}; return a bool, "
                        "a number in [0, 1] or env.Verdict (a string such as '1' or '0' is not a score)")
            if not 0.0 <= value <= 1.0:
                return f"score() returned {value!r} for {problem.question!r}, outside [0, 1]"
    return None


def _teacher_mistakes_score_wrong(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """the teacher's mistakes verify as wrong"""
    if _teacher_repeats_the_reference(env):
        return None
    for problem in _teacher_problems(env, seed, difficulty, count):
        taught = env.teacher_answer(problem)
        if taught == problem.answer:
            continue
        verdict = env.verify(problem, env.demonstration(problem))
        if verdict.error:
            return f"checking the teacher's answer {taught!r} to {problem.question!r} raised: {verdict.reason}"
        if verdict.correct:
            return (f"the teacher's answer {taught!r} to {problem.question!r} differs from the reference "
                    f"{problem.answer!r} but scores {verdict.score}: teacher_answer() made no mistake there, "
                    "or score() accepts a wrong answer")
    return None


def _teacher_error_rate_as_declared(env: Environment, seed: int, difficulty: int, count: int) -> str | None:
    """the teacher's error rate is the declared one"""
    declared = env.expected_teacher_error_rate(difficulty)
    if declared is None:
        return None  # nothing declared, nothing to compare
    if _teacher_repeats_the_reference(env):  # never wrong: no need to sample (some generators are slow)
        if declared > TEACHER_RATE_SLACK:
            return (f"expected_teacher_error_rate({difficulty}) declares {declared:.1%}, but teacher_answer() is not "
                    "overridden, so the teacher always gives the reference answer")
        return None
    problems = _teacher_problems(env, seed, difficulty, count)
    wrong = sum(not env.verify(problem, env.demonstration(problem)).correct for problem in problems)
    measured = wrong / len(problems)
    standard_error = math.sqrt(declared * (1.0 - declared) / len(problems))
    tolerance = TEACHER_RATE_STANDARD_ERRORS * standard_error + TEACHER_RATE_SLACK
    if abs(measured - declared) > tolerance:
        return (f"the teacher is wrong on {wrong} of {len(problems)} problems ({measured:.1%}), but "
                f"expected_teacher_error_rate({difficulty}) declares {declared:.1%} (allowed: ±{tolerance:.1%})")
    return None


def _teacher_repeats_the_reference(env: Environment) -> bool:
    return type(env).teacher_answer is Environment.teacher_answer


def _teacher_problems(env: Environment, seed: int, difficulty: int, count: int) -> list[Problem]:
    """Enough problems to measure an error rate: a few hundred whatever `count` is."""
    return env.problems(max(count, NUM_TEACHER_PROBLEMS), seed, difficulty)


def _all_splits(env: Environment, seed: int, difficulty: int, count: int) -> list[Problem]:
    return env.problems(count, seed, difficulty, "train") + env.problems(count // 2 or 1, seed, difficulty, "eval")


def _other_answer(problem: Problem, problems: list[Problem]) -> str:
    return next((p.answer for p in problems if p.answer != problem.answer), problem.answer + "0")


CHECKS: list[Callable[[Environment, int, int, int], str | None]] = [
    _same_seed_same_problems,
    _different_seeds_differ,
    _splits_disjoint,
    _reference_scores_one,
    _wrong_answers_score_zero,
    _score_returns_a_score,
    _verification_is_fast,
    _rows_round_trip,
    _teacher_mistakes_score_wrong,
    _teacher_error_rate_as_declared,
]
