"""The verifier pool: time and memory bounds, worker replacement, bugs surface as errors."""

import time

import pytest

from env import EnvironmentSpec, get_environment
from rewards import VerifierError, VerifierPool

ECHO = {"echo": EnvironmentSpec.of("sample_envs:Echo")}


@pytest.fixture(scope="module")
def echo():
    return get_environment("sample_envs:Echo")


@pytest.fixture(scope="module")
def pool():
    with VerifierPool(ECHO, num_workers=2, timeout_s=0.5, memory_mb=512) as pool:
        yield pool


def tag(text):
    return f"<answer>{text}</answer>"


def test_correct_and_wrong_answers_in_workers(pool, echo):
    problems = echo.problems(6, seed=0)
    jobs = [(p, tag(p.answer)) for p in problems] + [(p, tag("nope")) for p in problems]
    scores = [verdict.score for verdict in pool.verify(jobs)]
    assert scores == [1.0] * 6 + [0.0] * 6


def test_hanging_checker_times_out_and_batch_completes(pool, echo):
    problems = echo.problems(4, seed=1)
    jobs = [(problems[0], tag("hang")), *[(p, tag(p.answer)) for p in problems]]
    started = time.monotonic()
    verdicts = pool.verify(jobs)
    assert time.monotonic() - started < 10
    assert verdicts[0].score == 0.0 and "timed out" in verdicts[0].reason
    assert [v.score for v in verdicts[1:]] == [1.0] * 4
    assert pool.num_replaced >= 1


def test_pool_still_works_after_a_worker_was_replaced(pool, echo):
    problem = echo.problem(0, 0)
    pool.verify([(problem, tag("hang"))])
    assert pool.verify([(problem, tag(problem.answer))])[0].score == 1.0


def test_memory_hog_scores_zero(pool, echo):
    verdict = pool.verify([(echo.problem(0, 0), tag("allocate"))])[0]
    assert verdict.score == 0.0 and "memory" in verdict.reason


def test_answer_error_gives_reason(pool, echo):
    verdict = pool.verify([(echo.problem(0, 0), tag("unreadable"))])[0]
    assert (verdict.score, verdict.reason) == (0.0, "cannot read that")


def test_bug_in_environment_raises_with_its_name(pool, echo):
    with pytest.raises(VerifierError, match=r"sample_envs:Echo.*ZeroDivisionError: a bug in the checker"):
        pool.verify([(echo.problem(0, 0), tag("crash"))])


def test_in_process_mode_gives_the_same_verdicts(echo):
    problems = echo.problems(5, seed=2)
    jobs = [(p, tag(p.answer if i % 2 else "x")) for i, p in enumerate(problems)]
    with VerifierPool(ECHO, num_workers=0) as local, VerifierPool(ECHO, num_workers=1) as remote:
        assert local.verify(jobs) == remote.verify(jobs)


def test_unconfigured_environment_is_a_clear_error(pool):
    problem = get_environment("arithmetic").problem(0, 0)
    with pytest.raises(KeyError, match="no environment configured for"):
        pool.verify([(problem, "<answer>1</answer>")])


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="timeout_s"):
        VerifierPool(ECHO, timeout_s=0)
