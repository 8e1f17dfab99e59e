"""What a campaign writes to MLflow, logged without training: a real sqlite store and synthetic generations."""

import csv
import inspect
import io
import json

import pytest
from mlflow.tracking import MlflowClient

from policy.evaluation import EvalResult
from selfplay import run_logging
from selfplay.compare import campaign_from_mlflow
from selfplay.config_loader import flatten, load_config
from selfplay.report import gate_rule, generations_table
from selfplay.state import GenerationRecord
from selfplay.tracking import NullTracker, Tracker

from cli_runner import run_cli

LEVELS = {"arithmetic/1": [0.6, 0.8, 0.9], "arithmetic/2": [0.2, 0.3, 0.3]}  # pass@1 of generations 0, 1, 2


def _result(generation):
    rows = []
    for key, values in LEVELS.items():
        env, level = key.split("/")
        correct = round(values[generation] * 10)
        for index in range(10):
            rows.append({
                "problem_id": f"{key}-{index}", "env": env, "difficulty": int(level), "prompt": f"What is {index} + {level}?",
                "answer": str(index + int(level)), "completion": str(index), "num_tokens": 2, "correct": float(index < correct),
                "reward": float(index < correct), "reward_correct": float(index < correct), "reward_well_formatted": 1.0,
                "samples_correct": 1, "pass_at_k": 1.0,
            })
    return EvalResult(rows, ["correct", "well_formatted"])


def _record(generation, promoted):
    result = _result(generation)
    return GenerationRecord(
        generation=generation, promoted=promoted, champion_generation=generation if promoted else generation - 1,
        pass_at_1=result.pass_at_1, pass_at_k=1.0, reward=result.reward, length=2.0,
        p_value=None if generation == 0 else 0.18, difficulty={"arithmetic": 1}, wall_time_s=10.0 + generation,
        elapsed_s=30.0 * (generation + 1), per_level={key: values[generation] for key, values in LEVELS.items()},
        gate_wins=None if generation == 0 else 6, gate_losses=None if generation == 0 else 4,
    )


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """Three generations (1 promoted, 2 rejected) logged the way the campaign logs them."""
    tmp_path = tmp_path_factory.mktemp("logged")
    config = load_config(None, ["name=logged", f"output_dir={tmp_path / 'runs'}", "generations=2"])
    uri = f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}"
    (tmp_path / "runs").mkdir()
    tracker = Tracker(uri, config.name, config.output_dir)
    run_dir = tmp_path / "runs" / "logged"
    parent = run_logging.open_campaign(tracker, config, run_dir, None)
    run_logging.log_pretraining(tracker, parent, {"arithmetic/1": 0.5, "arithmetic/2": 0.1}, {"arithmetic/1": 0.9, "arithmetic/2": 0.4})
    history, run_ids = [], []
    for generation, promoted in ((0, True), (1, True), (2, False)):
        record = _record(generation, promoted)
        history.append(record)
        rollouts = [{"step": 1, "prompt": "What is 1 + 1?\n", "completion": "2", "correct": 1.0, "advantage": 0.5}]
        problems = [{"prompt": "What is 1 + 1?", "env": "arithmetic", "difficulty": 1}]
        params = {"generation": generation, "generation_seed": generation, "difficulty.arithmetic": 1}
        run_id = run_logging.log_generation(tracker, parent, None, record, _result(generation), rollouts, "win rate 0.6",
                                            params, {"time/train_s": 3.0}, problems)
        tracker.finish(run_id)
        run_logging.summarize(tracker, parent, config, run_dir, history, "running")
        run_ids.append(run_id)
    tracker.finish(parent)
    return MlflowClient(uri), tracker, parent, run_ids, config


def test_experiment_opens_on_its_runs_and_describes_the_campaign(logged):
    client, tracker, _, _, _ = logged
    tags = client.get_experiment(tracker.experiment_id).tags
    assert tags["mlflow.experimentKind"] == "custom_model_development"
    description = tags["mlflow.note.content"]
    assert "Champion: generation 1" in description and "selfplay resume" in description


def test_parent_description_holds_the_generations_table(logged):
    client, _, parent, _, _ = logged
    description = client.get_run(parent).data.tags["mlflow.note.content"]
    assert "| generation | promoted | pass@1 | arithmetic/1 | arithmetic/2 |" in description
    assert "| 2 | no | 0.600 | 0.900 | 0.300 | 6-4 | 0.18 |" in description


def test_generation_runs_carry_the_generation_metric_and_only_what_differs(logged):
    client, _, parent, run_ids, config = logged
    for generation, run_id in enumerate(run_ids):
        run = client.get_run(run_id)
        assert run.data.metrics["generation"] == generation
        assert run.data.tags["generation"] == str(generation)
        assert not set(run.data.params) & set(flatten(config)), "config params repeated on a generation run"
        assert run.data.params["generation_seed"] == str(generation)
    assert set(flatten(config)) <= set(client.get_run(parent).data.params)


def test_parent_curves_have_step_generation_and_the_plot_is_attached(logged):
    client, _, parent, _, _ = logged
    history = client.get_metric_history(parent, "eval/arithmetic/2/pass_at_1")
    assert sorted((m.step, round(m.value, 3)) for m in history) == [(0, 0.2), (1, 0.3), (2, 0.3)]
    assert {m.step: m.value for m in client.get_metric_history(parent, "gate/promoted")} == {0: 1.0, 1: 1.0, 2: 0.0}
    artifacts = {a.path for a in client.list_artifacts(parent)}
    assert {"improvement.png", "config.yaml"} <= artifacts
    with open(client.download_artifacts(parent, "improvement.png"), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_tables_have_prompt_completion_rewards_correct_and_level(logged):
    client, _, _, run_ids, _ = logged
    table = json.load(open(client.download_artifacts(run_ids[1], "eval_results.json")))
    assert {"prompt", "completion", "reward_correct", "reward_well_formatted", "correct", "level"} <= set(table["columns"])
    assert len(table["data"]) == 20
    rollouts = json.load(open(client.download_artifacts(run_ids[1], "rollouts.json")))
    row = dict(zip(rollouts["columns"], rollouts["data"][0]))
    assert row["level"] == 1 and row["env"] == "arithmetic" and row["generation"] == 1


def test_a_table_logged_twice_keeps_its_rows_once(logged):
    client, tracker, _, run_ids, _ = logged
    tracker.log_table(run_ids[1], run_logging.eval_table(_result(1), 1), run_logging.EVAL_TABLE)
    assert len(json.load(open(client.download_artifacts(run_ids[1], "eval_results.json")))["data"]) == 20


def test_compare_reads_generations_teacher_and_gate_back(logged):
    client, tracker, _, _, config = logged
    history = campaign_from_mlflow(tracker.uri, "logged")
    assert [r.generation for r in history.records] == [0, 1, 2]
    assert history.records[2].per_level == {"arithmetic/1": 0.9, "arithmetic/2": 0.3}
    assert history.records[2].wall_time_s == 12.0 and history.records[2].elapsed_s == 90.0
    assert history.teacher == {"arithmetic/1": 0.9, "arithmetic/2": 0.4}
    assert history.gate.startswith("win rate, promoted when the candidate wins >= 55%")


def test_compare_formats_and_plot(logged, tmp_path, capsys):
    _, tracker, _, _, _ = logged
    output_dir = str(tmp_path.parent)  # unused: the URI says where the store is
    code, out, _ = run_cli(capsys, "compare", "logged", "--tracking-uri", tracker.uri, "--format", "json", "--output-dir", output_dir)
    assert code == 0
    data = json.loads(out)
    assert data["teacher_accuracy"]["arithmetic/1"] == 0.9
    assert [row["generation"] for row in data["generations"]] == [0, 1, 2]
    assert data["generations"][2]["pass_at_1/arithmetic/1"] == 0.9
    code, out, _ = run_cli(capsys, "compare", "logged", "--tracking-uri", tracker.uri, "--format", "csv",
                           "--plot", str(tmp_path / "plot.png"))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["promoted"] for row in rows] == ["True", "True", "False"]
    assert {"wall_time_s", "elapsed_s", "pass_at_1/arithmetic/2"} <= set(rows[0])
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    code, out, _ = run_cli(capsys, "compare", "logged", "--tracking-uri", tracker.uri)
    assert "gate: win rate" in out and "elapsed" in out
    assert run_cli(capsys, "compare", "logged", "--tracking-uri", tracker.uri, "--format", "xml")[0] == 2


def test_generations_table_names_the_gate_and_separates_the_times(capsys):
    from rich.console import Console

    console = Console(width=200, file=io.StringIO())
    gate = gate_rule("win_rate", 0.05, 0.55, 0.0)
    console.print(generations_table([_record(0, True), _record(1, True)], title="campaign x", gate=gate))
    text = console.file.getvalue()
    assert "gate: win rate, promoted when the candidate wins >= 55% of won-lost (p-value for reference)" in text
    line = next(line for line in text.splitlines() if line.startswith("│ 1 "))
    assert line.rstrip(" │").split("│")[-2:] == [" 11 s ", " 60 s"]


def test_null_tracker_answers_every_call_of_the_tracker():
    public = {name for name, _ in inspect.getmembers(Tracker, inspect.isfunction) if not name.startswith("_")}
    for name in public:
        real, null = inspect.signature(getattr(Tracker, name)), getattr(NullTracker, name, None)
        assert null is not None, f"NullTracker lacks {name}"
        if name != "_ignore" and null.__name__ != "_ignore":
            assert list(inspect.signature(null).parameters) == list(real.parameters), name
    tracker = NullTracker()
    assert tracker.parent_run("x", None) is None
    assert run_logging.log_generation(tracker, None, None, _record(1, True), _result(1), [], "gate", {}) is None
    run_logging.summarize(tracker, None, load_config(None, []), "runs/x", [_record(0, True)], "running")  # draws nothing


@pytest.mark.parametrize("value, registration", [("true", "copy"), ("false", None), ("copy", "copy"), ("reference", "reference")])
def test_register_model_takes_copy_reference_or_a_bool(value, registration):
    assert load_config(None, [f"tracking.register_model={value}"]).tracking.registration == registration


def test_register_model_rejects_other_values():
    with pytest.raises(ValueError, match="tracking.register_model must be true, false, copy or reference"):
        load_config(None, ["tracking.register_model=sometimes"])
