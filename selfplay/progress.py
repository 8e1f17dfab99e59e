"""The campaign's console: one live display instead of the libraries' bars and dicts.

    $ selfplay launch                 # quickstart · generation 2/6 · train ━━━━━╸━━━ 37/100 · reward 0.53 · pass@1 0.875 · 0:03:12
    $ selfplay launch > campaign.log  # one line per phase:
    quickstart · generation 2/6 · train: 100/100 steps · reward 0.53 · pass@1 0.875 · 41 s · elapsed 0:03:55
    $ selfplay launch --verbose       # and the libraries' own output (datasets' and TRL's bars, TRL's logs)

On a terminal the display is a rich progress line: phase, generation,
optimizer step of the phase, TRL's latest mean reward, the champion's
held-out pass@1, and elapsed time. In a log (not a terminal) it prints one
line when each phase ends. Without --verbose, what libraries print while the
campaign runs goes to RUN_DIR/library.log instead of the console; messages of
selfplay's own (`say`) are printed above the display.

    >>> with library_output(run_dir) as stream, CampaignProgress(output_console(stream), "quickstart", 6) as progress:
    ...     progress.phase(1, "train"); progress.steps(10, 100); say("generation 1: promoted")
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn
from rich.text import Text

from selfplay.console import output_console

LIBRARY_LOG = "library.log"
_settings = {"verbose": False}
_active: list["CampaignProgress"] = []  # the display `say` prints above, while a campaign runs


def show_library_output(verbose: bool) -> None:
    """--verbose: libraries print to the console as they normally would (their warnings and progress bars too)."""
    import logging

    _settings["verbose"] = verbose
    if not verbose:
        return
    os.environ["TRANSFORMERS_VERBOSITY"] = "warning"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "0"
    logging.getLogger("datasets").setLevel(logging.WARNING)
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_warning()
        transformers_logging.enable_progress_bar()


@contextmanager
def library_output(run_dir: Path | None, main_process: bool = True) -> Iterator[TextIO]:
    """Send what libraries print to RUN_DIR/library.log (other processes: nowhere) unless --verbose.

    Yields the stream the console had before, for selfplay's own display.
    Python-level output only (sys.stdout, sys.stderr): the libraries' bars and
    printed dicts; a crash's traceback is printed after the block, as usual.
    """
    stdout, stderr = sys.stdout, sys.stderr
    if _settings["verbose"]:
        yield stdout
        return
    if main_process and run_dir is not None and Path(run_dir).is_dir():
        sink = open(Path(run_dir) / LIBRARY_LOG, "a", encoding="utf-8", buffering=1)
    else:
        sink = open(os.devnull, "w", encoding="utf-8")
    sys.stdout = sys.stderr = sink
    try:
        yield stdout
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        sink.close()


def say(*message: Any, **options: Any) -> None:
    """Print a line of selfplay's own: above the live display while a campaign runs, else to the console."""
    if _active:
        _active[-1].say(*message, **options)
    else:
        output_console().print(*message, **options)


class _Elapsed(ProgressColumn):
    def render(self, task) -> Text:
        return Text(_clock(task.fields["elapsed_at_start"] + time.monotonic() - task.fields["started"]), style="cyan")


class CampaignProgress:
    """Phase, generation, step/total, reward, pass@1 and elapsed time of one campaign; `enabled=False` shows nothing."""

    def __init__(self, console: Console, name: str, generations: int, elapsed_s: float = 0.0, enabled: bool = True):
        self.console, self.name, self.generations, self.enabled = console, name, generations, enabled
        self.live = enabled and console.is_terminal
        self.elapsed_at_start, self.started = elapsed_s, time.monotonic()
        self.generation, self.phase_name, self.phase_started = 0, "", time.monotonic()
        self.done, self.total, self.reward, self.pass_at_1 = 0, None, None, None
        self._progress: Progress | None = None
        self._task = None

    # -- what the campaign reports ---------------------------------------------------------
    def phase(self, generation: int, phase: str) -> None:
        """A phase begins (in a log, the line of the one that ended is printed)."""
        self._log_line()
        if generation != self.generation:
            self.reward = None  # TRL's reward belongs to the generation that trained
        self.generation, self.phase_name, self.phase_started = generation, phase, time.monotonic()
        self.done, self.total = 0, None
        self._refresh()

    def steps(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        self._refresh()

    def metrics(self, reward: float | None = None, pass_at_1: float | None = None) -> None:
        self.reward = reward if reward is not None else self.reward
        self.pass_at_1 = pass_at_1 if pass_at_1 is not None else self.pass_at_1
        self._refresh()

    def say(self, *message: Any, **options: Any) -> None:
        if self.enabled:
            self.console.print(*message, **options)

    def training_callback(self):
        """A transformers callback reporting the optimizer step and TRL's mean reward."""
        from transformers import TrainerCallback

        progress = self

        class Steps(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                progress.steps(state.global_step, state.max_steps)

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs and isinstance(logs.get("reward"), (int, float)):
                    progress.metrics(reward=float(logs["reward"]))

        return Steps()

    # -- the display -----------------------------------------------------------------------
    def __enter__(self) -> "CampaignProgress":
        _active.append(self)
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"), _Elapsed(),
                console=self.console, redirect_stdout=False, redirect_stderr=False, transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._describe(), total=None, info="",
                                                 elapsed_at_start=self.elapsed_at_start, started=self.started)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self._log_line()
        _active.remove(self)

    def _describe(self) -> str:
        return f"{self.name} · generation {self.generation}/{self.generations} · {self.phase_name or 'starting'}"

    def _info(self) -> str:
        parts = [] if self.reward is None else [f"reward {self.reward:.2f}"]
        return " · ".join(parts + ([] if self.pass_at_1 is None else [f"pass@1 {self.pass_at_1:.3f}"]))

    def _refresh(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=self._describe(), completed=self.done,
                                  total=self.total, info=self._info())

    def _log_line(self) -> None:
        """In a log, one line for the phase that just ended."""
        if not self.enabled or self.live or not self.phase_name:
            return
        steps = f": {self.done}/{self.total} steps" if self.total else ""
        info = f" · {self._info()}" if self._info() else ""
        now = time.monotonic()
        elapsed = _clock(self.elapsed_at_start + now - self.started)
        self.console.print(f"{self._describe()}{steps}{info} · {now - self.phase_started:.0f} s · elapsed {elapsed}",
                           highlight=False, soft_wrap=True)
        self.phase_name = ""


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
