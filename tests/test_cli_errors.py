"""Bad input to `selfplay`: one line on stderr, exit code 2 (1 for a campaign that stopped), nothing left behind.

Each test runs the real command in a temporary directory with real components:
a plugin module written there whose generator raises, a real sqlite MLflow
store, the campaign's own launch. "Nothing left behind" means no run folder,
no MLflow store and no experiment, so the corrected command simply runs.
"""

import errno
import os
import subprocess
import sys
import textwrap

import pytest
from mlflow.tracking import MlflowClient

from cli_runner import run_cli
from mlflow_server import free_port

BOOM_PLUGIN = '''
"""A plugin environment whose generator raises at level 2 (a bug in a plugin)."""

from env import Draft, Environment


class Boom(Environment):
    name = "boom"
    description = "Repeat a number; level 2 is broken."
    levels = {1: 10, 2: 100}

    def generate(self, rng, level):
        if level == 100:
            raise RuntimeError("boom in generate")
        number = rng.randint(0, level)
        return Draft(question=f"Repeat {number}.", answer=str(number))

    def score(self, answer, problem):
        return answer.strip() == problem.answer
'''


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty current directory with the plugin module `boom_plugin` importable from it."""
    (tmp_path / "boom_plugin.py").write_text(BOOM_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "boom_plugin", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def one_line_error(err: str, kind: str = "error") -> str:
    """The single stderr line, checked to be a selfplay message and not a traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"selfplay: {kind}: "), err
    return lines[0]


def left_behind(tmp_path) -> set[str]:
    """What a failed command wrote: anything but the plugin and the inputs the test wrote."""
    inputs = {"boom_plugin.py", "__pycache__", "bad.yaml", "folder.yaml", "run"}
    return {path.name for path in tmp_path.iterdir()} - inputs


# -- launch -----------------------------------------------------------------------------


def test_launch_with_a_plugin_whose_generator_raises_leaves_nothing_behind(workdir, capsys):
    exit_code, _, err = run_cli(capsys, "launch", "--set", "name=boom", "--set", "environments=[{name: 'boom_plugin:Boom'}]")
    assert exit_code == 2
    line = one_line_error(err)
    assert "environments.boom_plugin:Boom: cannot generate" in line and "difficulty 2" in line
    assert "RuntimeError: boom in generate" in line and "boom_plugin.py:" in line
    assert left_behind(workdir) == set()  # no runs/boom, no runs/mlflow.db: a corrected launch is not refused


def test_campaign_launch_checks_everything_before_it_writes(workdir):
    from env.errors import UserError
    from selfplay.campaign import launch
    from selfplay.config_loader import load_config

    config = load_config(None, ["name=boom", "environments=[{name: 'boom_plugin:Boom'}]"])
    with pytest.raises(UserError, match="RuntimeError: boom in generate"):
        launch(config)
    assert left_behind(workdir) == set()


@pytest.mark.parametrize("settings, setting", [
    (["eval.num_problems=50"], "eval.num_problems"),
    (["eval.num_problems=5", "pretrain.num_check_problems=5", "pretrain.num_eval_problems=100"], "pretrain.num_eval_problems"),
    (["eval.num_problems=5", "pretrain.num_eval_problems=5", "pretrain.num_check_problems=60"], "pretrain.num_check_problems"),
])
def test_a_data_set_too_small_for_a_held_out_set_names_the_setting_before_writing(workdir, capsys, settings, setting):
    # 400 rows hold out about 30: enough for 5 held-out problems, not for 50 or more
    rows = "\n".join('{"id": "r%d", "question": "What is %d + 1?", "answer": %d}' % (i, i, i + 1) for i in range(400))
    (workdir / "run").mkdir()
    (workdir / "run" / "rows.jsonl").write_text(rows + "\n")
    options = [arg for pair in settings for arg in ("--set", pair)]
    exit_code, _, err = run_cli(capsys, "launch", "--set", "name=small", "--set", "pretrain.difficulties=[1]", *options,
                                "--set", "environments=[{name: dataset, options: {source: run/rows.jsonl, "
                                         "checker: integer, id: id}}]")
    assert exit_code == 2
    line = one_line_error(err)
    assert line.startswith(f"selfplay: error: {setting}: dataset: difficulty 1 has only about"), line
    assert left_behind(workdir) == set()  # checked before the run folder, the store or any training


def test_launch_with_an_unreachable_tracking_store_stops_before_writing(workdir, capsys):
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    exit_code, _, err = run_cli(capsys, "launch", "--set", "name=offline", "--tracking-uri", uri)
    assert exit_code == 1
    assert f"cannot reach the MLflow tracking store at {uri}" in one_line_error(err, "stopped")
    assert left_behind(workdir) == set()


@pytest.mark.parametrize("model, message", [
    ("./missing-folder", "there is no such folder ("),
    ("runs/old/candidate", "there is no such folder ("),
    ("nobody/no-such-model", "could not be found locally (no such folder, and no network"),
])  # fmt: skip
def test_launch_with_a_missing_model_folder_says_so(workdir, capsys, model, message):
    exit_code, _, err = run_cli(capsys, "launch", "--set", f"policy.model={model}")
    assert exit_code == 2
    line = one_line_error(err)
    assert line.startswith(f"selfplay: error: policy.model: {model!r}") and message in line
    assert left_behind(workdir) == set()


# -- config files -------------------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    (b"name: x\ntrain:\n  learning_rate: 1e-5\n   max_steps: 3\n", "bad.yaml:4:13: not valid YAML: mapping values are not allowed here"),
    (b"name: [x\n", "bad.yaml:2:1: not valid YAML: expected ',' or ']'"),
    (b"name: x\ngenerations: 2 # caf\xe9\n", "bad.yaml:2: not UTF-8 text (byte 0xe9)"),
    (b"- name: x\n", "bad.yaml: the top level must be a mapping of settings"),
])  # fmt: skip
def test_unreadable_config_file_names_the_line(workdir, capsys, content, message):
    (workdir / "bad.yaml").write_bytes(content)
    for command in ("launch", "pretrain"):
        exit_code, _, err = run_cli(capsys, command, "bad.yaml")
        assert exit_code == 2
        assert message in one_line_error(err)
    assert left_behind(workdir) == set()


def test_folder_given_as_the_config_file(workdir, capsys):
    (workdir / "folder.yaml").mkdir()
    exit_code, _, err = run_cli(capsys, "launch", "folder.yaml")
    assert exit_code == 2
    assert "folder.yaml: is a folder" in one_line_error(err)
    assert left_behind(workdir) == set()


def test_config_error_is_reported_before_torch_trl_or_mlflow_is_imported(workdir):
    (workdir / "bad.yaml").write_text("generatoins: 3\n")
    code = textwrap.dedent("""
        import sys
        from selfplay.cli import main
        assert main(["launch", "bad.yaml"]) == 2
        heavy = sorted(name for name in ("torch", "trl", "mlflow", "transformers") if name in sys.modules)
        assert not heavy, heavy
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "generatoins: unknown key" in result.stderr


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_mid_campaign_is_one_line_that_says_how_to_continue(workdir, capsys, monkeypatch, code):
    # A disk that fills while a generation saves its model (it happened to a SmolLM2 benchmark): the
    # machine's state, not a bug, so no traceback; every finished phase is on disk and resume continues.
    import selfplay.campaign

    def fill_the_disk(*args, **kwargs):
        raise OSError(code, os.strerror(code), "runs/quickstart/generations/0002/candidate/model.safetensors")

    monkeypatch.setattr(selfplay.campaign, "launch", fill_the_disk)
    exit_code, _, err = run_cli(capsys, "launch")
    assert exit_code == 1
    line = one_line_error(err, kind="stopped")
    assert "no space left" in line and "model.safetensors" in line and "selfplay resume" in line


def test_any_other_os_error_keeps_its_traceback(workdir, capsys, monkeypatch):
    import selfplay.campaign

    def broken(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "runs")

    monkeypatch.setattr(selfplay.campaign, "launch", broken)
    with pytest.raises(PermissionError):
        run_cli(capsys, "launch")


# -- resume -------------------------------------------------------------------------------


def test_resume_of_a_missing_folder_is_a_user_error(workdir, capsys):
    exit_code, _, err = run_cli(capsys, "resume", "runs/nothing")
    assert exit_code == 2
    assert "runs/nothing: no such run folder" in one_line_error(err)
    assert left_behind(workdir) == set()


def test_resume_of_a_folder_with_a_config_but_no_state(workdir, capsys):
    run = workdir / "run"
    run.mkdir()
    (run / "config.yaml").write_text("name: half\n")
    exit_code, _, err = run_cli(capsys, "resume", "run")
    assert exit_code == 2
    assert "run: no state.json, so this is not a selfplay run folder" in one_line_error(err)
    assert sorted(path.name for path in run.iterdir()) == ["config.yaml"]
    assert left_behind(workdir) == set()


# -- envs ---------------------------------------------------------------------------------


def test_envs_sample_of_a_plugin_whose_generator_raises(workdir, capsys):
    exit_code, out, err = run_cli(capsys, "envs", "sample", "boom_plugin:Boom", "-d", "2")
    assert exit_code == 2 and out == ""
    line = one_line_error(err)
    assert "boom_plugin:Boom: cannot generate train problems at difficulty 2: RuntimeError: boom in generate" in line


@pytest.mark.parametrize("argv, message", [
    (["envs", "sample", "boom_plugin:Boom", "-d", "3"], "boom: difficulty must be one of [1, 2], got 3"),
    (["envs", "sample", "arithmetic", "--split", "test"], "--split must be one of train, eval, got 'test'"),
])  # fmt: skip
def test_envs_sample_rejects_a_level_or_split_that_does_not_exist(workdir, capsys, argv, message):
    exit_code, _, err = run_cli(capsys, *argv)
    assert exit_code == 2
    assert message in one_line_error(err)


def test_envs_sample_of_more_held_out_rows_than_a_file_holds_names_n(workdir, capsys):
    rows = "\n".join('{"id": "r%d", "question": "What is %d + 1?", "answer": %d}' % (i, i, i + 1) for i in range(100))
    (workdir / "run").mkdir()
    (workdir / "run" / "rows.jsonl").write_text(rows + "\n")
    exit_code, _, err = run_cli(capsys, "envs", "sample", "dataset", "--split", "eval", "-n", "50",
                                "--set", "source=run/rows.jsonl", "--set", "checker=integer", "--set", "id=id")
    assert exit_code == 2
    line = one_line_error(err)
    assert line.startswith("selfplay: error: -n: dataset: difficulty 1 has only about"), line
    assert "raised at" not in line  # a count to lower, not a broken generator


def test_envs_check_of_a_plugin_that_cannot_load_exits_2(workdir, capsys):
    (workdir / "broken_import.py").write_text("import selfplay_missing_dependency\n")
    exit_code, out, _ = run_cli(capsys, "envs", "check", "broken_import:Env", "boom_plugin:NoSuchClass")
    assert exit_code == 2
    assert "broken_import:Env: cannot load" in out and "selfplay_missing_dependency" in out
    assert "boom_plugin:NoSuchClass: cannot load" in out


# -- compare --------------------------------------------------------------------------------


def test_compare_of_an_unknown_campaign_creates_no_store(workdir, capsys):
    exit_code, out, err = run_cli(capsys, "compare", "nope")
    assert exit_code == 2 and out == ""
    assert "no campaign 'nope': there is no tracking store at" in one_line_error(err)
    assert left_behind(workdir) == set()


def test_compare_of_an_unknown_campaign_lists_only_campaigns(workdir, capsys):
    (workdir / "runs").mkdir()
    uri = f"sqlite:///{workdir / 'runs' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    campaign = client.create_experiment("real")
    client.create_run(campaign, tags={"selfplay.kind": "campaign"})
    client.create_experiment("not-a-campaign")
    experiments_before = {e.name for e in client.search_experiments()}
    capsys.readouterr()  # MLflow's "creating tables" lines, from making the store above
    exit_code, _, err = run_cli(capsys, "compare", "nope")
    assert exit_code == 2
    line = one_line_error(err)
    assert line.endswith("(campaigns: real)") and "Default" not in line
    assert {e.name for e in client.search_experiments()} == experiments_before
