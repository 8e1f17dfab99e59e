"""A campaign under `accelerate launch` with two CPU processes (gloo) matches a one-process run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from campaign_settings import fast_settings

pytestmark = pytest.mark.slow

ACCELERATE_CONFIG = Path(__file__).parent.parent / "configs" / "accelerate" / "cpu_2proc.yaml"


def _campaign(tmp_path, cache_dir, name, launcher):
    settings = fast_settings(tmp_path, cache_dir, f"name={name}", "generations=1", "gate.test=none")
    command = [*launcher, "-m", "selfplay", "launch", *settings]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(name)
    return client, client.search_runs([experiment.experiment_id]), tmp_path / "runs" / name


def _generation(runs, generation):
    matches = [r for r in runs if r.data.tags.get("generation") == str(generation)]
    assert len(matches) == 1, f"{len(matches)} runs for generation {generation}"
    return matches[0]


@pytest.fixture(scope="module")
def single_and_double(tmp_path_factory, fast_cache):
    single = _campaign(tmp_path_factory.mktemp("one"), fast_cache, "one", [sys.executable])
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(ACCELERATE_CONFIG)]
    double = _campaign(tmp_path_factory.mktemp("two"), fast_cache, "two", launcher)
    return single, double


def test_two_processes_really_ran(single_and_double):
    _, (client, runs, _) = single_and_double
    assert _generation(runs, 1).data.metrics["train/world_size"] == 2


def test_only_the_main_process_wrote_runs_and_checkpoints(single_and_double):
    _, (client, runs, run_dir) = single_and_double
    assert len([r for r in runs if r.data.tags.get("selfplay.kind") == "campaign"]) == 1
    assert sorted(r.data.tags["generation"] for r in runs if r.data.tags.get("selfplay.kind") == "generation") == ["0", "1"]
    assert len(client.search_model_versions("name='two-policy'")) == 2  # generations 0 and 1, each once
    assert (run_dir / "generations" / "0001" / "candidate" / "model.safetensors").exists()
    assert not list(run_dir.rglob("*.tmp"))


def test_same_optimizer_steps_and_global_batch_as_one_process(single_and_double):
    (one_client, one_runs, _), (two_client, two_runs, _) = single_and_double
    one, two = _generation(one_runs, 1), _generation(two_runs, 1)
    assert one.data.metrics["train/world_size"] == 1
    assert one.data.metrics["train/global_batch_size"] == two.data.metrics["train/global_batch_size"]
    one_steps = [m.step for m in one_client.get_metric_history(one.info.run_id, "loss")]
    two_steps = [m.step for m in two_client.get_metric_history(two.info.run_id, "loss")]
    assert one_steps == two_steps == [1, 2]


def test_evaluation_covers_the_whole_held_out_set_once(single_and_double):
    (_, one_runs, one_dir), (_, two_runs, two_dir) = single_and_double
    import json

    one_rows = json.loads((one_dir / "generations" / "0001" / "eval.json").read_text())["rows"]
    two_rows = json.loads((two_dir / "generations" / "0001" / "eval.json").read_text())["rows"]
    assert [r["problem_id"] for r in one_rows] == [r["problem_id"] for r in two_rows]
    assert len({r["problem_id"] for r in two_rows}) == len(two_rows)
