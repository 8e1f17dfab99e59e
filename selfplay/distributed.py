"""What a campaign needs from accelerate when it runs as several processes.

    $ accelerate launch --config_file configs/accelerate/ddp.yaml -m selfplay launch configs/quickstart.yaml
    $ accelerate launch --config_file configs/accelerate/cpu_2proc.yaml -m selfplay launch   # 2 CPU processes

Training is data-parallel inside TRL; around it, only the main process writes
MLflow runs, campaign state and checkpoints; sampling for selection and
evaluation is sharded across processes and gathered; every process reads the
same files after a barrier, and decisions that depend on a clock are made by
the main process and broadcast, so all agree on gating and curriculum. With
one process every function here is trivial.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from env.errors import UserError

Item = TypeVar("Item")
Result = TypeVar("Result")


def _state():
    from accelerate import PartialState

    return PartialState(cpu=_cpu_only_launch())


def _cpu_only_launch() -> bool:
    """Several processes and no GPU: join them with gloo (torchrun does not say so itself)."""
    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available():
        os.environ.setdefault("ACCELERATE_USE_CPU", "true")  # so transformers' trainers join the same group
        return True
    return False


def sharded_weights() -> str | None:
    """How this launch shards the weights across processes (DeepSpeed ZeRO-3 or FSDP) and where that was read, or None.

    Read from the variables `accelerate launch` gives its processes, which is
    what accelerate itself reads, so it is known before any process group (or
    run folder) exists. ZeRO-2 and DDP keep every weight on every process.
    """
    if os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true":
        return "FSDP (ACCELERATE_USE_FSDP=true)"
    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true":
        stage, source = _zero_stage()
        if stage == "3":
            return f"DeepSpeed ZeRO-3 ({source})"
    return None


def _zero_stage() -> tuple[str, str]:
    """The ZeRO stage and where it was read: the accelerate config, else the DeepSpeed JSON file it names."""
    stage = os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE")
    if stage is not None:
        return stage, f"ACCELERATE_DEEPSPEED_ZERO_STAGE={stage}"
    config_file = os.environ.get("ACCELERATE_DEEPSPEED_CONFIG_FILE")
    if config_file and Path(config_file).is_file():
        import json

        stage = json.loads(Path(config_file).read_text()).get("zero_optimization", {}).get("stage")
        return str(stage), f"zero_optimization.stage {stage} in {config_file}"
    return "2", "accelerate's default stage"


def num_processes() -> int:
    return _state().num_processes


def is_main_process() -> bool:
    return _state().is_main_process


def device():
    """This process's accelerator (its own GPU under DDP), or the CPU."""
    return _state().device


def wait_for_everyone() -> None:
    _state().wait_for_everyone()


def run_on_main_first(function: Callable[[], Result]) -> Result:
    """Run on the main process first (pretraining, GGUF conversion into the cache), then on the others, which reuse it."""
    with _state().main_process_first():
        return function()


def main_decides(value: Any) -> Any:
    """The main process's `value` on every process (for decisions that depend on its clock or files)."""
    if num_processes() == 1:
        return value
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value], from_process=0)[0]


def check_same_everywhere(config: Any, run_dir: Path) -> None:
    """Fail fast, with both values, when the processes of one launch disagree on the config or run folder."""
    if num_processes() == 1:
        return
    from accelerate.utils import gather_object

    from selfplay.config_loader import to_yaml

    mine = (hashlib.sha256(to_yaml(config).encode()).hexdigest()[:12], str(Path(run_dir).resolve()))
    everyone = gather_object([mine])
    if len(set(everyone)) > 1:
        raise UserError(
            f"the {len(everyone)} processes disagree on (config hash, run folder): {everyone}; "
            "launch every process with the same config file, --set values and run folder"
        )


def map_sharded(items: Sequence[Item], function: Callable[[list[Item]], list[Result]]) -> list[Result]:
    """`function` over this process's shard of `items` (items[rank::N]); every process gets all results, in order."""
    count = num_processes()
    if count == 1:
        return function(list(items))
    from accelerate.utils import gather_object

    rank = _state().process_index
    shard_results = function(list(items)[rank::count])
    by_rank = dict(gather_object([(rank, shard_results)]))
    results: list[Any] = [None] * len(items)
    for source, values in by_rank.items():
        results[source::count] = values
    return results
