"""End to end: a short campaign on the tiny model, read back from a real sqlite MLflow store."""

import json

import pytest
from mlflow.tracking import MlflowClient

from selfplay.cli import main
from selfplay.state import CampaignState

from campaign_settings import fast_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished(tmp_path_factory, fast_cache):
    """One 2-generation campaign with the gate open, so both candidates are promoted and registered."""
    tmp_path = tmp_path_factory.mktemp("campaign")
    assert main(["launch", *fast_settings(tmp_path, fast_cache, "name=e2e", "gate.test=none")]) == 0
    uri = f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("e2e")
    runs = client.search_runs([experiment.experiment_id])
    return tmp_path / "runs" / "e2e", client, runs


def _children(runs):
    return sorted((r for r in runs if r.data.tags.get("selfplay.kind") == "generation"), key=lambda r: int(r.data.tags["generation"]))


def _parent(runs):
    (parent,) = [r for r in runs if r.data.tags.get("selfplay.kind") == "campaign"]
    return parent


def test_run_tree_is_one_parent_with_a_child_per_generation(finished):
    _, _, runs = finished
    parent, children = _parent(runs), _children(runs)
    assert [c.data.tags["generation"] for c in children] == ["0", "1", "2"]
    assert all(c.data.tags["mlflow.parentRunId"] == parent.info.run_id for c in children)
    assert all(run.info.status == "FINISHED" for run in runs)


def test_generation_runs_are_tagged(finished):
    _, _, runs = finished
    for child in _children(runs):
        assert child.data.tags["promoted"] == "true"
        assert child.data.tags["champion_generation"] == child.data.tags["generation"]


def test_eval_metrics_per_generation_and_on_the_parent_by_step(finished):
    _, client, runs = finished
    for child in _children(runs):
        for name in ("eval/pass_at_1", "eval/pass_at_k", "eval/reward", "eval/length",
                     "eval/arithmetic/pass_at_1", "eval/arithmetic/1/pass_at_1", "curriculum/arithmetic/difficulty"):
            assert name in child.data.metrics, name
    assert all("gate/p_value" in c.data.metrics for c in _children(runs)[1:])
    history = client.get_metric_history(_parent(runs).info.run_id, "eval/pass_at_1")
    assert sorted(m.step for m in history) == [0, 1, 2]
    by_step = {m.step: m.value for m in history}
    assert by_step[2] == _children(runs)[2].data.metrics["eval/pass_at_1"]


def test_trl_training_metrics_land_in_the_generation_run(finished):
    _, client, runs = finished
    trained = _children(runs)[1]
    assert "rewards/correct/mean" in trained.data.metrics
    assert "loss" in trained.data.metrics
    assert len(client.get_metric_history(trained.info.run_id, "rewards/correct/mean")) == 2  # one per step


def test_params_are_the_whole_resolved_config(finished):
    _, _, runs = finished
    params = _parent(runs).data.params
    assert params["train.max_steps"] == "2"
    assert params["gate.test"] == "none"
    assert params["environments.0.name"] == "arithmetic"


def test_generation_artifacts_include_rollouts_and_eval_results_and_the_parent_the_config(finished):
    _, client, runs = finished
    trained = _children(runs)[1]
    names = {a.path for a in client.list_artifacts(trained.info.run_id)}
    assert {"eval_results.json", "rollouts.json"} <= names
    assert "config.yaml" in {a.path for a in client.list_artifacts(_parent(runs).info.run_id)}
    table = json.loads(open(client.download_artifacts(trained.info.run_id, "rollouts.json")).read())
    assert {"prompt", "completion", "correct", "well_formatted"} <= set(table["columns"])
    results = json.loads(open(client.download_artifacts(trained.info.run_id, "eval_results.json")).read())
    assert len(results["data"]) == 20  # 10 problems at each of the two levels


def test_promoted_generations_are_registered_and_champion_alias_moves(finished):
    _, client, runs = finished
    versions = client.search_model_versions("name='e2e-policy'")
    assert len(versions) == 3  # generations 0, 1 and 2 were all promoted
    champion = client.get_model_version_by_alias("e2e-policy", "champion")
    assert champion.run_id == _children(runs)[2].info.run_id
    files = {a.path for a in client.list_artifacts(champion.run_id, "model/model")}
    assert "model/model/config.json" in files  # MLflow's transformers flavor: the weights under model/model


def test_state_and_disk_hold_every_generation_once(finished):
    run_dir, _, _ = finished
    state = CampaignState.load(run_dir)
    assert state.status == "finished"
    assert [record.generation for record in state.history] == [0, 1, 2]
    assert (run_dir / "generations" / "0002" / "candidate" / "config.json").exists()


def test_compare_prints_the_generations(finished, capsys):
    run_dir, _, _ = finished
    assert main(["compare", "e2e", "--output-dir", str(run_dir.parent)]) == 0
    out = capsys.readouterr().out
    assert "campaign e2e" in out and "won-lost" in out
    history = CampaignState.load(run_dir).history
    rows = [[cell.strip() for cell in line.strip("│ ").split("│")] for line in out.splitlines() if line.startswith("│")]
    assert [row[0] for row in rows] == [str(record.generation) for record in history]  # one row per generation, none cut
    for row, record in zip(rows, history):
        assert row[3] == f"{record.pass_at_1:.3f}"
        assert row[7] == ("-" if record.generation == 0 else f"{record.gate_wins}-{record.gate_losses}")


def test_launch_refuses_an_existing_run_folder(finished, fast_cache, capsys):
    run_dir, _, _ = finished
    tmp_path = run_dir.parent.parent
    assert main(["launch", *fast_settings(tmp_path, fast_cache, "name=e2e")]) == 1
    assert "selfplay resume" in capsys.readouterr().err
