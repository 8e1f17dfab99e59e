"""The campaign's console: one line per phase in a log, the libraries' output in RUN_DIR/library.log unless --verbose."""

import io
import sys

from rich.console import Console

from selfplay import progress
from selfplay.progress import CampaignProgress, library_output, say, show_library_output


def _log_console():
    return Console(file=io.StringIO(), width=200, force_terminal=False)


def test_a_log_gets_one_line_per_phase_with_steps_reward_and_pass_at_1():
    console = _log_console()
    with CampaignProgress(console, "quick", generations=3) as display:
        display.phase(1, "select")
        display.phase(1, "train")
        display.steps(5, 10)
        display.metrics(reward=0.25, pass_at_1=0.8)
        display.steps(10, 10)
        say("generation 1: promoted")
        display.phase(1, "evaluate")
    lines = console.file.getvalue().splitlines()
    assert [line.split(" · ")[2].split(":")[0] for line in lines if line.startswith("quick")] == ["select", "train", "evaluate"]
    train = next(line for line in lines if " · train" in line)
    assert "generation 1/3" in train and "10/10 steps" in train and "reward 0.25" in train and "pass@1 0.800" in train
    assert "generation 1: promoted" in lines


def test_a_display_on_another_process_prints_nothing():
    console = _log_console()
    with CampaignProgress(console, "quick", generations=3, enabled=False) as display:
        display.phase(1, "train")
        say("hidden")
    assert console.file.getvalue() == ""


def test_library_output_goes_to_the_run_folder_and_ours_to_the_console(tmp_path, capsys):
    show_library_output(False)
    with library_output(tmp_path) as stream:
        print("{'loss': 0.5}")  # what TRL prints
        print("Truncating train dataset", file=sys.stderr)
        stream.write("ours\n")
    assert (tmp_path / progress.LIBRARY_LOG).read_text() == "{'loss': 0.5}\nTruncating train dataset\n"
    assert capsys.readouterr().out == "ours\n"


def test_verbose_leaves_library_output_on_the_console(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(progress._settings, "verbose", True)  # what --verbose sets, without its logging levels
    with library_output(tmp_path):
        print("{'loss': 0.5}")
    assert capsys.readouterr().out == "{'loss': 0.5}\n"
    assert not (tmp_path / progress.LIBRARY_LOG).exists()
