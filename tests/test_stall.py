"""Stall detection and its remedies, on hand-written campaign histories."""

import pytest

from selfplay.config import StallSettings, TrainSettings
from selfplay.stall import detect_stall, remedied_train_settings
from selfplay.state import GenerationRecord


def record(generation, promoted, champion, level=2, score=0.8):
    return GenerationRecord(
        generation=generation, promoted=promoted, champion_generation=champion, pass_at_1=score, pass_at_k=score,
        reward=score, length=3.0, p_value=None, difficulty={"arithmetic": level}, wall_time_s=1.0, elapsed_s=1.0,
        per_level={f"arithmetic/{level}": score},
    )


def history(*steps):
    """steps: (promoted, score) per generation after generation 0 at score 0.5."""
    records, champion = [record(0, True, 0, score=0.5)], 0
    for generation, (promoted, score) in enumerate(steps, start=1):
        champion = generation if promoted else champion
        records.append(record(generation, promoted, champion, score=score))
    return records


def detect(records, **settings):
    return detect_stall(records, StallSettings(**settings), current={"arithmetic": 2}, threshold=0.9)


def test_rejections_in_a_row_are_a_stall():
    stall = detect(history((True, 0.7), (False, 0.6), (False, 0.65)))
    assert stall is not None and stall.reason == "2 candidates rejected in a row"
    assert stall.remedy == "continue_from_candidate"


def test_one_rejection_is_not_yet_a_stall():
    assert detect(history((True, 0.7), (False, 0.6))) is None


def test_promotions_that_do_not_move_the_level_are_a_stall():
    stall = detect(history((True, 0.7), (True, 0.703), (True, 0.705)), min_gain=0.01)
    assert stall is not None and "arithmetic/2" in stall.reason


def test_promotions_that_move_the_level_are_progress():
    assert detect(history((True, 0.7), (True, 0.75), (True, 0.8))) is None


def test_a_mastered_level_is_not_stalled():
    assert detect(history((True, 0.7), (True, 0.95), (True, 0.95))) is None


def test_patience_zero_never_reports():
    assert detect(history((False, 0.5), (False, 0.5), (False, 0.5)), patience=0) is None


def test_remedies_change_only_what_they_name():
    train = TrainSettings(max_steps=100, learning_rate=4e-5)
    settings = StallSettings(step_factor=3.0, learning_rate_factor=0.25)
    assert remedied_train_settings(train, settings, "more_steps").max_steps == 300
    assert remedied_train_settings(train, settings, "lower_learning_rate").learning_rate == pytest.approx(1e-5)
    assert remedied_train_settings(train, settings, "continue_from_candidate") == train
    assert remedied_train_settings(train, settings, None) == train


@pytest.mark.parametrize("field, value", [("remedy", "pray"), ("patience", -1), ("step_factor", 0.5), ("learning_rate_factor", 0)])
def test_impossible_stall_settings_are_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"stall.{field}"):
        StallSettings(**{field: value})
