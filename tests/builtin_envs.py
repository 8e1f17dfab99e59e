"""Every built-in environment as the tests build it: the dataset environment reads the example file.

The dataset environment has no problems of its own; tests/data/word_problems.jsonl (600 rows, levels
easy and hard, worked solutions) stands in for a user's file wherever a test goes over every built-in.
"""

from pathlib import Path

from env import EnvironmentSpec, get_environment

EXAMPLE_DATA = Path(__file__).parent / "data" / "word_problems.jsonl"
OPTIONS = {"dataset": {"source": str(EXAMPLE_DATA), "checker": "integer", "id": "id", "difficulty": "level",
                       "solution": "solution"}}


def builtin(name: str, **options):
    """The built-in `name`, with the example file's options for the dataset environment."""
    return get_environment(name, **{**OPTIONS.get(name, {}), **options})


def builtin_spec(name: str) -> EnvironmentSpec:
    return EnvironmentSpec.of(name, **OPTIONS.get(name, {}))
