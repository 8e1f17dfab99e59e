"""Campaign options beyond the default path: expert iteration, RLOO, and a plugin that fails mid-campaign."""

import json

import pytest
from mlflow.tracking import MlflowClient

from selfplay.cli import main

from campaign_settings import fast_settings

pytestmark = pytest.mark.slow


def _runs(tmp_path, name):
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(name)
    return client, client.search_runs([experiment.experiment_id])


def test_expert_iteration_fine_tunes_on_verified_solutions_before_rl(tmp_path, fast_cache):
    settings = fast_settings(tmp_path, fast_cache, "name=ei", "generations=1", "expert_iteration.enabled=true",
                             "expert_iteration.max_steps=2", "expert_iteration.max_success_rate=1.0",
                             "pretrain.max_steps=150", "pretrain.learning_rate=3e-3")
    assert main(["launch", *settings]) == 0
    generation = tmp_path / "runs" / "ei" / "generations" / "0001"
    selection = json.loads((generation / "selection.json").read_text())
    assert selection["solutions"], "the champion solved nothing, so there was nothing to imitate"
    for problem_row, completion in selection["solutions"]:
        assert completion.strip().endswith(problem_row["answer"])  # verified: the answer is the reference
    assert (generation / "expert_iteration" / "config.json").exists()
    _, runs = _runs(tmp_path, "ei")
    trained = next(r for r in runs if r.data.tags.get("generation") == "1")
    assert trained.data.metrics["select/num_verified_solutions"] == len(selection["solutions"])
    assert "time/expert_iteration_s" in trained.data.metrics
    # A weak imitator leaves problems unsolved in all 8 samples: the frontier gets 32 more each.
    assert selection["num_frontier"] > 0
    assert trained.data.metrics["select/num_frontier_solved"] == selection["num_frontier_solved"] <= selection["num_frontier"]


def test_expert_iteration_with_lora_trains_only_the_adapted_weights(tmp_path):
    from safetensors.torch import load_file

    settings = fast_settings(tmp_path, tmp_path / "cache", "name=ei-lora", "generations=1", "expert_iteration.max_steps=2",
                             "expert_iteration.max_success_rate=1.0", "expert_iteration.learning_rate=1e-2",
                             "pretrain.max_steps=150", "pretrain.learning_rate=3e-3",
                             "policy.lora={r: 2, alpha: 4, target_modules: [q_proj, v_proj]}")
    assert main(["launch", *settings]) == 0
    generation = tmp_path / "runs" / "ei-lora" / "generations" / "0001"
    assert json.loads((generation / "selection.json").read_text())["solutions"]
    assert not (generation / "expert_iteration" / "adapter_config.json").exists()  # merged into a plain model
    (pretrained,) = (tmp_path / "cache").glob("pretrained/*/model.safetensors")
    before, after = load_file(pretrained), load_file(generation / "expert_iteration" / "model.safetensors")
    changed = {name for name in before if not (before[name] == after[name]).all()}
    assert changed and all(name.endswith(("q_proj.weight", "v_proj.weight")) for name in changed), sorted(changed)


def test_rloo_is_the_second_algorithm(tmp_path):
    assert main(["launch", *fast_settings(tmp_path, tmp_path / "cache", "name=rloo", "generations=1",
                                          "train.algorithm=rloo")]) == 0
    client, runs = _runs(tmp_path, "rloo")
    trained = next(r for r in runs if r.data.tags.get("generation") == "1")
    assert len(client.get_metric_history(trained.info.run_id, "rewards/correct/mean")) == 2
    assert (tmp_path / "runs" / "rloo" / "generations" / "0001" / "candidate" / "config.json").exists()


def test_plugin_whose_generator_raises_stops_the_campaign_with_its_name(tmp_path, capsys):
    settings = fast_settings(tmp_path, tmp_path / "cache", "name=broken", "pretrain.difficulties=[1]",
                             "environments=[{name: 'plugin_refs:ExplodesOnLevel2'}]")
    assert main(["launch", *settings]) == 1
    error = capsys.readouterr().err.strip()
    assert error.splitlines()[-1] == (
        "selfplay: stopped: environment 'explodes_on_level2' raised while generating problems: "
        "RuntimeError: boom in generate"
    )
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("broken")
    runs = client.search_runs([experiment.experiment_id]) if experiment else []
    assert "RUNNING" not in {run.info.status for run in runs}


def test_the_same_plugin_runs_where_it_works(tmp_path):
    settings = fast_settings(tmp_path, tmp_path / "cache", "name=works", "generations=1", "pretrain.difficulties=[1]",
                             "environments=[{name: 'plugin_refs:ExplodesOnLevel2', max_difficulty: 1}]")
    assert main(["launch", *settings]) == 0
