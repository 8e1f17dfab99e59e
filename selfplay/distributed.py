"""What a campaign needs from accelerate when it runs as several processes.

    $ accelerate launch --multi_gpu --num_processes 2 -m selfplay launch configs/quickstart.yaml

Training is data-parallel inside TRL; around it, only the main process writes
MLflow runs, campaign state and checkpoints, evaluation is sharded across
processes and gathered, and every process reads the same files, so all agree
on gating and curriculum. With one process every function here is trivial.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, Sequence


def _state():
    from accelerate import PartialState

    return PartialState()


def num_processes() -> int:
    return _state().num_processes


def is_main_process() -> bool:
    return _state().is_main_process


def wait_for_everyone() -> None:
    _state().wait_for_everyone()


def run_on_main_first(function: Callable[[], Any]) -> Any:
    """Run on the main process first (e.g. pretraining into the cache), then on the others (which reuse it)."""
    with _state().main_process_first():
        return function()


def check_same_everywhere(config: Any, run_dir: Path) -> None:
    """Fail fast, with both values, when the processes of one launch disagree on the config or run folder."""
    if num_processes() == 1:
        return
    from accelerate.utils import gather_object

    from selfplay.config_loader import to_yaml

    mine = (hashlib.sha256(to_yaml(config).encode()).hexdigest()[:12], str(Path(run_dir).resolve()))
    everyone = gather_object([mine])
    if len(set(everyone)) > 1:
        raise RuntimeError(
            f"the {len(everyone)} processes disagree on (config hash, run folder): {everyone}; "
            "launch every process with the same config file, --set values and run folder"
        )


def evaluate_on_all_processes(policy: Any, problems: Sequence[Any], rewards: Any, settings: Any, evaluate: Callable):
    """Each process evaluates its shard of the problems; every process gets the full, ordered result."""
    count = num_processes()
    if count == 1:
        return evaluate(policy, problems, rewards, settings)
    from accelerate.utils import gather_object

    rank = _state().process_index
    shard = evaluate(policy, list(problems)[rank::count], rewards, settings)
    gathered = gather_object([(rank, shard.rows)])
    by_rank = dict(gathered)
    rows = [None] * len(problems)
    for index_in_rank, start in ((i, r) for r in range(count) for i in range(len(by_rank[r]))):
        rows[start + index_in_rank * count] = by_rank[start][index_in_rank]
    return type(shard)(rows, shard.reward_names)
