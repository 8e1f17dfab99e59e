"""Reward functions and their composition, called the way TRL's GRPOTrainer calls them.

The correctness reward runs in a real sandboxed verifier pool (one worker process).

    $ .venv/bin/python -m pytest tests/test_rewards.py -q
"""

import pytest

from env import EnvironmentSpec, get_environment
from policy.prompts import PromptFormat
from rewards import RewardSpec, VerifierPool, build_rewards
from selfplay.problems import trl_rows

SPECS = {
    "arithmetic": EnvironmentSpec.of("arithmetic"),
    "sort_words": EnvironmentSpec.of("sort_words", answer_format="answer_line"),
}
REWARD_SPECS = [
    RewardSpec("correct", 1.0),
    RewardSpec("well_formatted", 0.1),
    RewardSpec("within_length", 0.5, {"soft_limit": 20, "hard_limit": 40}),
]
ARITHMETIC = get_environment("arithmetic")
SORT_WORDS = get_environment("sort_words", answer_format="answer_line")
SUM = ARITHMETIC.problem(seed=0, index=0)  # What is 12 + 83?
WORDS = SORT_WORDS.problem(seed=0, index=0)  # ful, ga, lil, kertras

# (problem, completion, correct, well_formatted, within_length on characters: 1 up to 20, 0 at 40)
CASES = [
    (SUM, "<answer>95</answer>", 1.0, 1.0, 1.0),  # 19 characters
    (SUM, "95, I think. <answer>95</answer> Done.", 1.0, 0.0, 0.1),  # 38: text after the answer
    (SUM, "12 + 83 = 95, so <answer>96</answer>", 0.0, 1.0, 0.2),  # 36: wrong
    (SUM, "I think it is 95", 0.0, 0.0, 1.0),  # no answer tag
    (SUM, "<answer>95</answer><answer>94</answer>", 0.0, 0.0, 0.1),  # 38: two different answers
    (WORDS, "Answer: ful ga kertras lil", 1.0, 1.0, 0.7),  # 26; sort_words uses answer_line here
    (WORDS, "<answer>ful ga kertras lil</answer>", 0.0, 0.0, 0.25),  # 35: the other environment's format
]
PROBLEMS = [case[0] for case in CASES]
COMPLETIONS = [case[1] for case in CASES]
EXPECTED = {
    "correct": [case[2] for case in CASES],
    "well_formatted": [case[3] for case in CASES],
    "within_length": [case[4] for case in CASES],
}


def test_cases_are_the_problems_they_claim():
    assert SUM.question == "What is 12 + 83?" and SUM.answer == "95"
    assert WORDS.answer == "ful ga kertras lil"


@pytest.fixture(scope="module")
def pool():
    with VerifierPool(SPECS, num_workers=1, timeout_s=5.0) as pool:  # generous: the machine may be busy
        yield pool


@pytest.fixture(scope="module")
def reward_set(pool):
    return build_rewards(REWARD_SPECS, SPECS, pool)


class Recorder:
    """Stands in for TRL's log_metric / log_extra callbacks."""

    def __init__(self):
        self.calls = []

    def __call__(self, name, value):
        self.calls.append((name, value))


def trl_call(function, rows, completions, completion_ids=None, log_metric=None):
    """Call a reward function as TRL's GRPOTrainer._calculate_rewards does (trl 1.16)."""
    columns = {key: [row[key] for row in rows] for key in rows[0] if key not in ("prompt", "completion", "completion_ids")}
    return function(
        prompts=[row["prompt"] for row in rows],
        completions=completions,
        completion_ids=completion_ids,
        **columns,
        trainer_state=object(),
        log_extra=Recorder(),
        log_metric=log_metric or Recorder(),
    )


def _without_column(rows, column):
    return [{key: value for key, value in row.items() if key != column} for row in rows]


def _as_tokens(completions):
    """Fake token ids, one per character, so within_length gives the same values on ids as on characters."""
    return [list(range(len(text))) for text in completions]


# -- names, weights and totals -----------------------------------------------------------


def test_functions_are_named_after_their_metric_with_weights_in_order(reward_set, pool):
    # TRL logs each function as rewards/<__name__>/mean, so the name is the metric.
    assert [function.__name__ for function in reward_set.functions] == ["correct", "well_formatted", "within_length"]
    assert reward_set.names == ["correct", "well_formatted", "within_length"]
    assert reward_set.weights == [1.0, 0.1, 0.5]
    reordered = build_rewards(REWARD_SPECS[::-1], SPECS, pool)
    assert [function.__name__ for function in reordered.functions] == ["within_length", "well_formatted", "correct"]
    assert reordered.weights == [0.5, 0.1, 1.0]


def test_score_gives_each_component_and_the_weighted_total(reward_set):
    scores = reward_set.score(PROBLEMS, COMPLETIONS)
    assert set(scores) == {"correct", "well_formatted", "within_length", "total"}
    for name, expected in EXPECTED.items():
        assert scores[name] == pytest.approx(expected), name
    totals = [c + 0.1 * f + 0.5 * n for c, f, n in zip(*EXPECTED.values())]
    assert scores["total"] == pytest.approx(totals)


def test_weight_zero_is_scored_but_not_added_to_the_total(pool):
    watched = RewardSpec("within_length", 0.0, {"soft_limit": 1, "hard_limit": 2})
    logged_only = build_rewards(REWARD_SPECS[:2] + [watched], SPECS, pool)
    scores = logged_only.score(PROBLEMS, COMPLETIONS)
    assert scores["within_length"] == [0.0] * len(CASES)
    assert scores["total"] == pytest.approx([c + 0.1 * f for c, f in zip(EXPECTED["correct"], EXPECTED["well_formatted"])])


# -- TRL's reward-function contract ------------------------------------------------------


@pytest.mark.parametrize("style", ["plain", "chat"])
def test_rewards_follow_trls_contract(reward_set, style):
    rows = trl_rows(PROBLEMS, PromptFormat(style, system_prompt="Be brief." if style == "chat" else None))
    if style == "plain":
        assert rows[0]["prompt"] == SUM.prompt + "\n"
        completions = COMPLETIONS
    else:
        assert rows[0]["prompt"][-1] == {"role": "user", "content": SUM.prompt}
        completions = [[{"role": "assistant", "content": text}] for text in COMPLETIONS]
    assert rows[0]["problem_prompt"] == SUM.prompt
    for name, function in zip(reward_set.names, reward_set.functions):
        rewards = trl_call(function, rows, completions, completion_ids=_as_tokens(COMPLETIONS))
        assert all(type(reward) is float for reward in rewards), name
        assert rewards == pytest.approx(EXPECTED[name]), name


def test_correctness_reward_logs_verifier_health(reward_set):
    log_metric = Recorder()
    trl_call(reward_set.functions[0], trl_rows(PROBLEMS, PromptFormat("plain")), COMPLETIONS, log_metric=log_metric)
    assert dict(log_metric.calls) == {"verifier/timeouts": 0.0, "verifier/errors": 0.0, "verifier/workers_replaced": 0.0}


def test_correctness_reward_counts_timeouts_in_its_metric():
    specs = {"echo": EnvironmentSpec.of("sample_envs:Echo")}  # answering "hang" makes its checker sleep
    echo = get_environment("sample_envs:Echo")
    problems = echo.problems(2, seed=0)
    completions = ["<answer>hang</answer>", f"<answer>{problems[1].answer}</answer>"]
    with VerifierPool(specs, num_workers=1, timeout_s=1.0) as pool:
        correct = build_rewards([RewardSpec("correct")], specs, pool).functions[0]
        log_metric = Recorder()
        rewards = trl_call(correct, trl_rows(problems, PromptFormat("plain")), completions, log_metric=log_metric)
    assert rewards == [0.0, 1.0]
    assert dict(log_metric.calls) == {"verifier/timeouts": 1.0, "verifier/errors": 0.0, "verifier/workers_replaced": 1.0}


def test_correctness_reward_scores_a_raising_checker_zero_and_counts_it():
    # A bug in a checker must not stop training: 0 for that completion, counted for the campaign to watch.
    specs = {"echo": EnvironmentSpec.of("sample_envs:Echo")}  # answering "crash" makes its checker raise
    echo = get_environment("sample_envs:Echo")
    problems = echo.problems(2, seed=0)
    completions = ["<answer>crash</answer>", f"<answer>{problems[1].answer}</answer>"]
    with VerifierPool(specs, num_workers=1) as pool:
        correct = build_rewards([RewardSpec("correct")], specs, pool).functions[0]
        log_metric = Recorder()
        rewards = trl_call(correct, trl_rows(problems, PromptFormat("plain")), completions, log_metric=log_metric)
        counts = pool.take_counts()
    assert rewards == [0.0, 1.0]
    assert dict(log_metric.calls)["verifier/errors"] == 1.0
    assert (counts.num_verified, counts.num_errors, counts.error_rate) == (2, 1, 0.5)
    assert pool.errors[0].env == "echo" and "ZeroDivisionError" in pool.errors[0].reason


@pytest.mark.parametrize("column", ["inputs", "answer", "env"])
def test_correctness_reward_names_a_missing_dataset_column(reward_set, column):
    rows = _without_column(trl_rows(PROBLEMS, PromptFormat("plain")), column)
    with pytest.raises(KeyError, match=repr(column)):
        trl_call(reward_set.functions[0], rows, COMPLETIONS)


def test_format_reward_names_a_missing_env_column(reward_set):
    rows = _without_column(trl_rows(PROBLEMS, PromptFormat("plain")), "env")
    with pytest.raises(KeyError, match="'env'"):
        trl_call(reward_set.functions[1], rows, COMPLETIONS)


# -- the length reward -------------------------------------------------------------------


def test_within_length_counts_tokens_when_given_and_characters_otherwise(reward_set):
    within_length = reward_set.functions[2]  # soft_limit 20, hard_limit 40
    long_text, short_text = "x" * 100, "x"
    assert within_length(completions=[long_text, short_text], completion_ids=[[1] * 5, [1] * 100]) == [1.0, 0.0]
    assert within_length(completions=[long_text, short_text]) == [0.0, 1.0]


def test_within_length_is_one_up_to_the_soft_limit_and_zero_at_the_hard_limit(reward_set):
    within_length = reward_set.functions[2]  # soft_limit 20, hard_limit 40
    lengths = [0, 1, 20, 25, 30, 39, 40, 41, 1000]
    rewards = within_length(completions=[""] * len(lengths), completion_ids=[[7] * n for n in lengths])
    assert rewards == pytest.approx([1.0, 1.0, 1.0, 0.75, 0.5, 0.05, 0.0, 0.0, 0.0])


# -- bad configurations ------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, message",
    [
        (RewardSpec("within_length", 1.0, {"soft_limit": 40, "hard_limit": 20}), "need 0 < soft_limit < hard_limit"),
        (RewardSpec("within_length", 1.0, {"soft_limit": 0, "hard_limit": 20}), "need 0 < soft_limit < hard_limit"),
        (RewardSpec("within_length", 1.0, {"max_tokens": 10}), "bad options for 'within_length'.*max_tokens"),
        (RewardSpec("correct", 1.0, {"strict": True}), "bad options for 'correct'.*strict"),
        (RewardSpec("well_formatted", 1.0, {"tag": "answer"}), "bad options for 'well_formatted'"),
    ],
)
def test_bad_reward_options_are_rejected_naming_them(pool, spec, message):
    with pytest.raises(ValueError, match=message):
        build_rewards([spec], SPECS, pool)


def test_unknown_reward_name_is_rejected_listing_the_names():
    with pytest.raises(ValueError, match="unknown reward 'accuracy'; choose from correct, well_formatted, within_length"):
        RewardSpec("accuracy")


def test_negative_weight_is_rejected():
    with pytest.raises(ValueError, match="weight of 'correct' must be >= 0, got -1"):
        RewardSpec("correct", -1.0)


def test_all_zero_weights_are_rejected(pool):
    with pytest.raises(ValueError, match="at least one reward needs a weight above 0"):
        build_rewards([RewardSpec("correct", 0.0), RewardSpec("well_formatted", 0.0)], SPECS, pool)
