"""The verifier pool: time and memory bounds, worker replacement, bugs scored 0 and counted as errors."""

import time

import pytest

from env import EnvironmentSpec, get_environment
from rewards import VerifierCounts, VerifierError, VerifierPool
from rewards.sandbox import MAX_ERROR_RECORDS

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


def test_bug_in_environment_scores_zero_flagged_and_counted(pool, echo):
    pool.take_counts()
    problem = echo.problem(0, 0)
    verdicts = pool.verify([(problem, tag("crash")), (problem, tag("nope")), (problem, tag(problem.answer))])
    assert [v.score for v in verdicts] == [0.0, 0.0, 1.0]
    assert [v.error for v in verdicts] == [True, False, False]  # a raising checker is not a wrong answer
    assert verdicts[0].reason == "verifier raised ZeroDivisionError: a bug in the checker"
    counts = pool.take_counts()
    assert (counts.num_verified, counts.num_errors, counts.error_rate) == (3, 1, pytest.approx(1 / 3))
    record = pool.errors[-1]
    assert (record.env, record.completion, record.reason) == ("echo", tag("crash"), verdicts[0].reason)
    assert "sample_envs.py" in record.traceback and "ZeroDivisionError" in record.traceback


def test_counts_are_per_batch_and_start_again_when_taken(pool, echo):
    pool.take_counts()
    problem = echo.problem(0, 1)
    pool.verify([(problem, tag("crash"))] * 2)
    pool.verify([(problem, tag(problem.answer))] * 2)
    errors_before = pool.error_count
    assert pool.take_counts() == VerifierCounts(num_verified=4, num_errors=2)
    assert pool.take_counts() == VerifierCounts()
    assert pool.take_counts().error_rate == 0.0
    pool.verify([(problem, tag("crash"))])
    assert pool.error_count == errors_before + 1  # the total is never reset


def test_only_the_first_error_records_are_kept(echo):
    with VerifierPool(ECHO, num_workers=0) as local:
        problem = echo.problem(0, 0)
        local.verify([(problem, tag("crash") + " " * i) for i in range(MAX_ERROR_RECORDS + 5)])
        assert local.error_count == MAX_ERROR_RECORDS + 5
        assert len(local.errors) == MAX_ERROR_RECORDS
        assert local.errors[0].completion == tag("crash")


def test_timeouts_are_counted_apart_from_errors(pool, echo):
    pool.take_counts()
    pool.verify([(echo.problem(0, 2), tag("hang"))])
    counts = pool.take_counts()
    assert (counts.num_timeouts, counts.num_errors, counts.num_workers_replaced) == (1, 0, 1)


def test_a_timed_out_call_returns_within_its_bound_because_a_spare_is_ready(echo):
    # Before, the replacement worker started inside the call that timed out (1.9 s for a 1 s bound).
    with VerifierPool(ECHO, num_workers=1, timeout_s=0.5) as bounded:
        problem = echo.problem(0, 0)
        bounded.verify([(problem, tag(problem.answer))])  # start the workers
        durations = []
        for _ in range(3):
            time.sleep(2.0)  # let the next spare get ready, as between training batches
            started = time.monotonic()
            verdict = bounded.verify([(problem, tag("hang"))])[0]
            durations.append(time.monotonic() - started)
            assert "timed out" in verdict.reason
        assert max(durations) < 0.5 + 0.5, durations  # generous margin: the spare takes milliseconds
        assert bounded.verify([(problem, tag(problem.answer))])[0].score == 1.0


def test_in_process_mode_gives_the_same_verdicts(echo):
    problems = echo.problems(5, seed=2)
    jobs = [(p, tag(p.answer if i % 2 else "x")) for i, p in enumerate(problems)] + [(problems[0], tag("crash"))]
    with VerifierPool(ECHO, num_workers=0) as local, VerifierPool(ECHO, num_workers=1) as remote:
        assert local.verify(jobs) == remote.verify(jobs)


def test_unconfigured_environment_is_a_clear_error(pool):
    problem = get_environment("arithmetic").problem(0, 0)
    with pytest.raises(KeyError, match="no environment configured for"):
        pool.verify([(problem, "<answer>1</answer>")])


def test_a_worker_that_cannot_build_its_environment_fails_to_start_with_the_reason(echo):
    broken = {"echo": EnvironmentSpec.of("sample_envs:Echo"), "nope": EnvironmentSpec.of("sample_envs:Missing")}
    with VerifierPool(broken, num_workers=1) as pool:
        with pytest.raises(VerifierError, match="failed to start.*sample_envs:Missing"):
            pool.verify([(echo.problem(0, 0), tag("x"))])


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="timeout_s"):
        VerifierPool(ECHO, timeout_s=0)


def test_a_batch_mostly_crashing_the_checker_stops_naming_the_environment(echo):
    problem = echo.problem(0, 0)
    with VerifierPool(ECHO, num_workers=0, max_error_rate=0.5) as local:
        local.verify([(problem, tag("crash"))] + [(problem, tag(problem.answer))] * 3)  # one in four: scored 0, goes on
        with pytest.raises(VerifierError, match=r"the checker of echo raised on 3 of 4 completions.*ZeroDivisionError"):
            local.verify([(problem, tag("crash"))] * 3 + [(problem, tag(problem.answer))])
