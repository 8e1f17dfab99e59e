"""The quickstart's promise, end to end: from a fresh pretraining on a seed the project was not tuned on,
the imitator copies its teacher, mistakes included, and the campaign's champion surpasses it at every level.

A pretraining seed stands in for another machine (benchmarks/robustness.py runs more of them).
"""

import json

import pytest

from conftest import quickstart_seed_settings
from selfplay.cli import main

pytestmark = pytest.mark.slow

# The promise: >= 0.95 at both levels, far above the teacher (0.76 / 0.54 on this seed). This is the
# slowest seed measured: 0.955 / 0.945 after 8 generations, 0.965 / 0.96 at generation 9 (benchmarks/RESULTS.md).
CHAMPION_AT_EVERY_LEVEL = 0.95


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, quickstart_imitator):
    """The quickstart on a pretraining seed the defaults were not tuned on (conftest.QUICKSTART_PRETRAINING_SEED),
    its imitator trained once for this test and tests/test_pretrain.py (the same cache: reused here)."""
    cache_dir, _, _ = quickstart_imitator
    tmp_path = tmp_path_factory.mktemp("quickstart")
    settings = [f"output_dir={tmp_path / 'runs'}", f"policy.cache_dir={cache_dir}", *quickstart_seed_settings()]
    assert main(["launch", *[item for setting in settings for item in ("--set", setting)]]) == 0
    state = json.loads((tmp_path / "runs" / "quickstart" / "state.json").read_text())
    (pretrained,) = cache_dir.joinpath("pretrained").glob("*/selfplay_pretrain.json")
    return state, json.loads(pretrained.read_text())


def test_the_imitator_reproduces_its_teacher_mistakes_included(campaign):
    _, pretrained = campaign
    for level in ("arithmetic/1", "arithmetic/2"):
        assert pretrained["fidelity"][level] >= 0.8, pretrained
        assert pretrained["mistakes_reproduced"][level] >= 0.7, pretrained
        assert pretrained["pass_at_1"][level] <= pretrained["teacher_accuracy"][level] + 0.05, pretrained


def test_the_champion_surpasses_the_teacher_at_every_level(campaign):
    state, pretrained = campaign
    history = {record["generation"]: record for record in state["history"]}
    champion = history[state["champion_generation"]]["per_level"]
    for level in ("arithmetic/1", "arithmetic/2"):
        assert champion[level] >= CHAMPION_AT_EVERY_LEVEL, (champion, pretrained["teacher_accuracy"])
        assert champion[level] >= pretrained["teacher_accuracy"][level] + 0.15, (champion, pretrained["teacher_accuracy"])
