"""The campaign's state on disk, written atomically after every step that matters.

`selfplay resume RUN_DIR` reads it to continue exactly where a killed campaign
stopped: which generation, which phase of it, who the champion is, the
curriculum's levels, and the MLflow runs to continue instead of duplicating.

    >>> state = CampaignState.load("runs/quickstart")
    >>> state.generation, state.phase, state.champion_generation
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
CONFIG_FILE = "config.yaml"  # the resolved config, beside the state
PHASES = ("baseline", "select", "expert_iteration", "train", "evaluate", "gate", "done")


@dataclass
class GenerationRecord:
    """What one generation produced, as shown by `selfplay compare`."""

    generation: int
    promoted: bool
    champion_generation: int  # the champion after this generation's gate
    pass_at_1: float  # candidate's held-out greedy pass@1, all evaluated problems
    pass_at_k: float
    reward: float
    length: float
    p_value: float | None
    difficulty: dict[str, int]  # the levels it trained on
    wall_time_s: float  # this generation alone
    elapsed_s: float  # since the campaign started
    per_level: dict[str, float] = field(default_factory=dict)  # "env/difficulty" -> pass@1
    gate_wins: int | None = None  # held-out problems only the candidate solved (None: generation 0)
    gate_losses: int | None = None  # held-out problems only the champion solved


@dataclass
class CampaignState:
    name: str
    generation: int = 0  # the generation in progress, or the next one to run
    phase: str = "baseline"  # where in that generation; see PHASES
    champion_generation: int = 0
    champion_folder: str = ""
    parent_folder: str = ""  # what the next generation trains from: the champion, or (gate.on_reject=candidate) the latest candidate
    difficulty: dict[str, int] = field(default_factory=dict)  # env -> current training level
    tracking_uri: str | None = None  # where the runs are, so resume finds them (credentials stripped)
    parent_run_id: str | None = None
    generation_run_ids: dict[str, str] = field(default_factory=dict)  # str(generation) -> MLflow run id
    history: list[GenerationRecord] = field(default_factory=list)
    elapsed_s: float = 0.0  # wall time spent so far, across resumes
    status: str = "running"  # running, finished, failed
    remedy: str | None = None  # the stall remedy the next generation applies (see selfplay/stall.py), or None

    def save(self, run_dir: str | Path) -> None:
        """Write atomically: a kill mid-write leaves the previous state, never half of one."""
        path = Path(run_dir) / STATE_FILE
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2))
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    @classmethod
    def load(cls, run_dir: str | Path) -> "CampaignState":
        path = Path(run_dir) / STATE_FILE
        if not path.exists():
            raise FileNotFoundError(f"{run_dir}: no {STATE_FILE}; is this a selfplay run folder?")
        data: dict[str, Any] = json.loads(path.read_text())
        data["history"] = [GenerationRecord(**record) for record in data.get("history", [])]
        return cls(**data)

    def advance(self, phase: str) -> None:
        assert phase in PHASES, phase
        self.phase = phase
