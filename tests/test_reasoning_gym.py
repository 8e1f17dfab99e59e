"""The reasoning-gym adapter: conformance, scoring, and model text that must never run as code.

The adapter tests are skipped where reasoning-gym is not installed; the
tests of what happens without it always run.
"""

import importlib
import os
import subprocess
import sys

import pytest

from env.checker import check_environment
from selfplay import cli

CHECKED_TASKS = ["basic_arithmetic", "simple_integration", "binary_matrix"]  # plain, sympy-guarded, eval-guarded
NUM_PROBLEMS = 5  # per level in the conformance checks, to stay fast


@pytest.fixture(scope="module")
def gym():
    pytest.importorskip("reasoning_gym")
    return importlib.import_module("env.reasoning_gym")


def guarded_tasks():
    """Every task whose reasoning-gym scorer would run model text (empty where reasoning-gym is missing)."""
    try:
        from env.reasoning_gym import PYTHON_EVALED, SYMPY_PARSED, UNSUPPORTED
    except ImportError:
        return []
    return sorted((set(SYMPY_PARSED) | PYTHON_EVALED) - set(UNSUPPORTED))


def injection(marker):
    return f"__import__('os').system('touch {marker}')"


# -- without reasoning-gym ------------------------------------------------------------


def test_missing_extra_names_the_install_command(monkeypatch, capsys):
    for name in [name for name in sys.modules if name.split(".")[0] == "reasoning_gym"] + ["reasoning_gym"]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes `import` fail
    monkeypatch.delitem(sys.modules, "env.reasoning_gym", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'selfplay\[gym\]'"):
        importlib.import_module("env.reasoning_gym")
    assert cli.main(["envs", "sample", "env.reasoning_gym:basic_arithmetic"]) == 2
    assert "pip install 'selfplay[gym]'" in capsys.readouterr().err


def test_core_imports_without_reasoning_gym():
    code = (
        "import sys; sys.modules['reasoning_gym'] = None\n"
        "import env, env.checker, rewards, selfplay.cli\n"
        "assert env.get_environment('arithmetic').problem(seed=0, index=0).answer\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- with reasoning-gym ---------------------------------------------------------------


@pytest.mark.parametrize("task", CHECKED_TASKS)
def test_task_passes_the_conformance_checks(gym, task):
    environment = gym.task_environment(task)()
    assert len(environment.difficulties) >= 3
    failures = [result for result in check_environment(environment, num_problems=NUM_PROBLEMS) if not result.passed]
    assert not failures, failures


@pytest.mark.parametrize("task", ["basic_arithmetic", "countdown", "intermediate_integration", "string_insertion"])
def test_reference_scores_one_and_a_wrong_answer_zero(gym, task):
    environment = gym.task_environment(task)()
    problem = environment.problem(seed=0, index=0)
    assert environment.verify(problem, environment.reference_completion(problem)).score == 1.0
    assert environment.verify(problem, "<answer>1</answer>").score == 0.0  # reasoning-gym itself pays 0.01-0.05


def test_reference_by_name_reaches_the_task(gym):
    from env import EnvironmentSpec, get_environment

    environment = get_environment("env.reasoning_gym:countdown")
    assert environment.name == "gym_countdown" and environment.task == "countdown"
    assert type(EnvironmentSpec.of("env.reasoning_gym:countdown").build()) is type(environment)


def test_unknown_task_names_the_closest_one(gym, capsys):
    assert cli.main(["envs", "sample", "env.reasoning_gym:basic_arithmetc"]) == 2
    assert "did you mean 'basic_arithmetic'" in capsys.readouterr().err


def test_unsupported_task_says_why(gym, capsys):
    assert cli.main(["envs", "sample", "env.reasoning_gym:polynomial_multiplication"]) == 2
    assert "not supported: its problems change with PYTHONHASHSEED" in capsys.readouterr().err


def test_problems_do_not_depend_on_the_hash_seed(gym):
    """The checker runs in one process; workers and reruns are other processes with other hash seeds."""
    tasks = CHECKED_TASKS + ["countdown"]
    code = (
        "import sys; from env.reasoning_gym import task_environment\n"
        "for task in sys.argv[1:]: print(task_environment(task)().problem(seed=0, index=3, difficulty=2).id)\n"
    )
    for hash_seed in ["1", "2"]:
        ids = subprocess.run(
            [sys.executable, "-c", code, *tasks], check=True, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout.splitlines()
        assert ids == [gym.task_environment(task)().problem(seed=0, index=3, difficulty=2).id for task in tasks]


@pytest.mark.parametrize("task", guarded_tasks())
def test_code_in_an_answer_scores_zero_and_never_runs(gym, task, tmp_path):
    marker = tmp_path / "pwned"
    environment = gym.task_environment(task)()
    problem = environment.problem(seed=0, index=0)
    for answer in [injection(marker), f"eval({injection(marker)!r})", f"[{injection(marker)}]"]:
        assert environment.verify(problem, f"<answer>{answer}</answer>").score == 0.0
    assert not marker.exists()


@pytest.mark.parametrize("task", ["countdown", "string_insertion"])
def test_reasoning_gyms_own_scorer_would_run_it(gym, task, tmp_path):
    """The guard is what protects us: reasoning-gym 0.1.25's scorer runs the same text.

    If this fails, reasoning-gym stopped evaluating model text for this task and
    its guard in env/reasoning_gym.py can be reconsidered.
    """
    marker = tmp_path / "pwned"
    environment = gym.task_environment(task)()
    problem = environment.problem(seed=0, index=0)
    entry = {"question": problem.question, "answer": problem.answer, "metadata": problem.inputs["metadata"]}
    environment._scorer(problem.difficulty).score_answer(injection(marker), entry)
    assert marker.exists()


def test_exception_in_reasoning_gyms_scorer_scores_zero(gym):
    environment = gym.task_environment("prime_factorization")()
    problem = environment.problem(seed=0, index=0)
    verdict = environment.verify(problem, f"<answer>{problem.answer} 0</answer>")  # int('7 0') inside its scorer
    assert verdict.score == 0.0 and "scorer could not read it" in verdict.reason
