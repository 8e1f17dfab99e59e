"""A campaign killed with SIGKILL resumes: no generation lost, redone or duplicated, no run left RUNNING."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from selfplay.cli import main
from selfplay.state import CampaignState

from campaign_settings import fast_settings

pytestmark = pytest.mark.slow


def _state(run_dir: Path):
    try:
        return json.loads((run_dir / "state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _launch_and_kill(tmp_path, cache_dir, name, ready, extra=()):
    """Start a real campaign process and SIGKILL it once `ready(run_dir)` is true."""
    run_dir = tmp_path / "runs" / name
    # One trained generation, killed inside it: resume must finish it without redoing generation 0.
    settings = fast_settings(tmp_path, cache_dir, f"name={name}", "generations=1", *extra)
    command = [sys.executable, "-m", "selfplay", "launch", *settings]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.monotonic() + 240
    while not ready(run_dir):
        if process.poll() is not None:
            pytest.fail(f"the campaign ended before it could be killed: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the campaign never reached the point to kill it at")
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return run_dir


def _training_checkpoint_written(run_dir):
    return any((run_dir / "generations" / "0001" / "trainer").glob("checkpoint-*/trainer_state.json"))


def _generation_one_selected(run_dir):
    state = _state(run_dir)
    return state is not None and state["generation"] == 1 and state["phase"] != "select"


@pytest.mark.parametrize(
    "ready, extra",
    [
        (_training_checkpoint_written, ["train.max_steps=6"]),
        (_generation_one_selected, []),
    ],
    ids=["mid-training", "after-selection"],
)
def test_killed_campaign_resumes_with_every_generation_exactly_once(tmp_path, fast_cache, ready, extra, capsys):
    run_dir = _launch_and_kill(tmp_path, fast_cache, "killed", ready, extra)
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("killed")
    assert any(r.info.status == "RUNNING" for r in client.search_runs([experiment.experiment_id]))

    assert main(["resume", str(run_dir)]) == 0

    runs = client.search_runs([experiment.experiment_id])
    generations = sorted(r.data.tags["generation"] for r in runs if r.data.tags.get("selfplay.kind") == "generation")
    assert generations == ["0", "1"]
    assert len([r for r in runs if r.data.tags.get("selfplay.kind") == "campaign"]) == 1
    assert {r.info.status for r in runs} == {"FINISHED"}
    state = CampaignState.load(run_dir)
    assert [record.generation for record in state.history] == [0, 1]
    assert state.status == "finished"
    assert (run_dir / "generations" / "0001" / "eval.json").exists()
    if ready is _training_checkpoint_written:
        assert "resuming training from" in capsys.readouterr().out


def test_resume_of_a_finished_campaign_changes_nothing(tmp_path, fast_cache, capsys):
    assert main(["launch", *fast_settings(tmp_path, fast_cache, "name=done", "generations=1")]) == 0
    run_dir = tmp_path / "runs" / "done"
    before = (run_dir / "state.json").read_text()
    assert main(["resume", str(run_dir)]) == 0
    assert "already finished" in capsys.readouterr().out
    assert (run_dir / "state.json").read_text() == before


def test_resume_of_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path, capsys):
    assert main(["resume", str(tmp_path)]) == 2
    assert "no config.yaml" in capsys.readouterr().err
