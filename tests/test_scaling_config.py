"""Launches that cannot work on a scaled-up setup stop at start: one line, exit code 2, nothing written.

`accelerate launch` tells its processes how the weights are sharded through
environment variables (ACCELERATE_USE_FSDP; ACCELERATE_USE_DEEPSPEED with
ACCELERATE_DEEPSPEED_ZERO_STAGE or a DeepSpeed config file). The FSDP case
runs under a real `accelerate launch` with configs/accelerate/fsdp.yaml; the
ZeRO-3 cases set the variables a ZeRO-3 launch sets, because DeepSpeed is not
installed here and accelerate will not launch ZeRO without it.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import run_cli
from selfplay.config_loader import load_config, to_yaml
from selfplay.state import CampaignState
from selfplay.training import check_supported

REPOSITORY = Path(__file__).parent.parent
LORA = "policy.lora={r: 2, alpha: 4}"
ACCELERATE_VARIABLES = ("ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED", "ACCELERATE_DEEPSPEED_ZERO_STAGE",
                        "ACCELERATE_DEEPSPEED_CONFIG_FILE")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty current directory, and no accelerate launch variables but those a test sets."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name in ACCELERATE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("selfplay: error: "), err
    return lines[0]


@pytest.fixture
def zero3_json(tmp_path_factory) -> Path:
    """A DeepSpeed JSON config at stage 3, as an accelerate config's `deepspeed_config_file` names one."""
    path = tmp_path_factory.mktemp("deepspeed") / "zero3.json"
    path.write_text(json.dumps({"zero_optimization": {"stage": 3}, "train_micro_batch_size_per_gpu": "auto"}))
    return path


@pytest.mark.parametrize("variables, named", [
    ({"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3"},
     "DeepSpeed ZeRO-3 (ACCELERATE_DEEPSPEED_ZERO_STAGE=3)"),
    ({"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_CONFIG_FILE": "{zero3_json}"},
     "DeepSpeed ZeRO-3 (zero_optimization.stage 3 in {zero3_json})"),
    ({"ACCELERATE_USE_FSDP": "true"}, "FSDP (ACCELERATE_USE_FSDP=true)"),
])  # fmt: skip
def test_lora_with_sharded_weights_is_refused_before_anything_is_written(workdir, capsys, monkeypatch, zero3_json,
                                                                         variables, named):
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(zero3_json=zero3_json))
    exit_code, _, err = run_cli(capsys, "launch", "--set", LORA)
    assert exit_code == 2
    line = one_line_error(err)
    assert line.startswith(f"selfplay: error: policy.lora cannot be used when {named.format(zero3_json=zero3_json)} "
                           "shards the weights: the adapters are merged on each process, which holds only its shard")
    assert "configs/accelerate/zero2.yaml or ddp.yaml" in line and "remove policy.lora" in line
    assert list(workdir.iterdir()) == []  # no run folder, no MLflow store


@pytest.mark.parametrize("variables", [
    {},  # one process
    {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2"},
    {"ACCELERATE_USE_DEEPSPEED": "true"},  # accelerate's default stage is 2
])  # fmt: skip
def test_lora_without_sharded_weights_is_accepted(workdir, monkeypatch, variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    check_supported(load_config(None, [LORA]))


def test_full_fine_tuning_under_zero3_is_accepted(workdir, monkeypatch):
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "3")
    check_supported(load_config(None, []))


def test_resume_with_lora_under_zero3_is_refused_and_changes_nothing(workdir, capsys, monkeypatch):
    run = workdir / "run"
    run.mkdir()
    (run / "config.yaml").write_text(to_yaml(load_config(None, ["name=lora", LORA])))
    CampaignState(name="lora").save(run)
    before = {path.name: path.read_bytes() for path in run.iterdir()}
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "3")
    exit_code, _, err = run_cli(capsys, "resume", "run")
    assert exit_code == 2
    assert "policy.lora cannot be used when DeepSpeed ZeRO-3" in one_line_error(err)
    assert {path.name: path.read_bytes() for path in run.iterdir()} == before
    assert [path.name for path in workdir.iterdir()] == ["run"]


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_vllm_rollouts_without_vllm_are_refused_naming_the_setting(workdir, capsys):
    exit_code, _, err = run_cli(capsys, "launch", "--set", "train.use_vllm=true")
    assert exit_code == 2
    line = one_line_error(err)
    assert line.startswith("selfplay: error: train.use_vllm is true but vllm is not installed: pip install vllm")
    assert "set train.use_vllm=false" in line
    assert list(workdir.iterdir()) == []


@pytest.mark.slow  # about 15 s: torchrun, then selfplay's imports
def test_lora_under_a_real_fsdp_accelerate_launch_is_refused(workdir):
    command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
               str(REPOSITORY / "configs" / "accelerate" / "fsdp.yaml"), "--num_processes", "1",
               "-m", "selfplay", "launch", "--set", LORA]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    done = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0  # the process exits 2; torchrun reports that and exits 1 itself
    assert "selfplay: error: policy.lora cannot be used when FSDP (ACCELERATE_USE_FSDP=true) shards the weights" in done.stderr
    assert list(workdir.iterdir()) == []
