"""Champion gating (who becomes the next policy) and the curriculum (which level comes next).

    $ .venv/bin/python -m pytest tests/test_gating_curriculum.py -q
"""

import pytest

from selfplay.config import GateSettings
from selfplay.curriculum import next_difficulty
from selfplay.gating import decide, sign_test_p_value


def _results(wins, losses, both_right=0, both_wrong=0):
    """Per-problem correctness (candidate, champion) with the given counts of each outcome."""
    outcomes = [(True, False)] * wins + [(False, True)] * losses
    outcomes += [(True, True)] * both_right + [(False, False)] * both_wrong
    candidate = {f"p{i}": mine for i, (mine, _) in enumerate(outcomes)}
    champion = {f"p{i}": theirs for i, (_, theirs) in enumerate(outcomes)}
    return candidate, champion


# -- the sign test ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "wins, losses, p_value",
    [
        (5, 0, 1 / 32),  # 0.03125
        (0, 5, 1.0),
        (8, 2, 56 / 1024),  # 0.0546875: C(10,8) + C(10,9) + C(10,10) = 45 + 10 + 1
        (9, 1, 11 / 1024),  # 0.0107421875
        (3, 3, 42 / 64),  # 0.65625
        (15, 5, 21700 / 2**20),  # 0.0206947...: the textbook one-sided value for 15 of 20
        (1, 0, 0.5),
        (0, 0, 1.0),  # no discordant problems: no evidence either way
    ],
)
def test_sign_test_p_value_matches_the_binomial_tail(wins, losses, p_value):
    assert sign_test_p_value(wins, losses) == pytest.approx(p_value, rel=1e-12)


def test_ties_do_not_count():
    sign = GateSettings(test="sign")
    without_ties = decide(sign, *_results(wins=8, losses=2))
    with_ties = decide(sign, *_results(wins=8, losses=2, both_right=500, both_wrong=300))
    assert (with_ties.wins, with_ties.losses) == (without_ties.wins, without_ties.losses) == (8, 2)
    assert with_ties.p_value == without_ties.p_value


def test_sign_test_promotes_a_clear_winner():
    decision = decide(GateSettings(test="sign", significance=0.05), *_results(wins=15, losses=5, both_right=80))
    assert decision.promoted and decision.p_value == pytest.approx(0.0207, abs=1e-4)
    assert "p=0.0207 < 0.05" in decision.reason


@pytest.mark.parametrize("wins, losses", [(0, 0), (10, 10), (8, 2), (2, 8)])
def test_sign_test_rejects_an_equal_or_not_clearly_better_candidate(wins, losses):
    decision = decide(GateSettings(test="sign", significance=0.05), *_results(wins, losses, both_right=50))
    assert not decision.promoted


def test_sign_test_obeys_the_significance_setting():
    results = _results(wins=8, losses=2)  # p = 0.0547
    assert not decide(GateSettings(test="sign", significance=0.05), *results).promoted
    assert decide(GateSettings(test="sign", significance=0.06), *results).promoted


# -- the other gates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "wins, losses, promoted", [(11, 9, True), (55, 45, True), (54, 46, False), (10, 10, False), (0, 0, False)]
)
def test_win_rate_gate_needs_55_percent_of_the_discordant_problems(wins, losses, promoted):
    decision = decide(GateSettings(test="win_rate", min_win_rate=0.55), *_results(wins, losses, both_right=30))
    assert decision.promoted is promoted
    assert decision.p_value == pytest.approx(sign_test_p_value(wins, losses))  # logged for every gate


@pytest.mark.parametrize(
    "wins, losses, min_margin, promoted",
    [(5, 0, 0.05, True), (4, 0, 0.05, False), (7, 2, 0.05, True), (1, 0, 0.0, True), (3, 3, 0.0, False), (0, 2, 0.0, False)],
)
def test_margin_gate_needs_a_pass_at_1_gain_of_at_least_the_margin(wins, losses, min_margin, promoted):
    # 100 shared problems, so each net win is one point of pass@1.
    candidate, champion = _results(wins, losses, both_right=100 - wins - losses)
    decision = decide(GateSettings(test="margin", min_margin=min_margin), candidate, champion)
    assert decision.promoted is promoted


def test_no_gate_always_promotes_even_a_worse_candidate():
    decision = decide(GateSettings(test="none"), *_results(wins=0, losses=30))
    assert decision.promoted and (decision.wins, decision.losses) == (0, 30)


def test_only_problems_both_were_evaluated_on_count():
    candidate, champion = _results(wins=3, losses=1)
    candidate.update({f"only-candidate-{i}": True for i in range(50)})
    champion.update({f"only-champion-{i}": False for i in range(50)})
    decision = decide(GateSettings(test="sign"), candidate, champion)
    assert (decision.wins, decision.losses) == (3, 1)


def test_no_shared_problems_is_an_error():
    with pytest.raises(ValueError, match="share no evaluated problems"):
        decide(GateSettings(test="sign"), {"a": True}, {"b": False})


@pytest.mark.parametrize(
    "settings, field",
    [({"test": "t_test"}, "gate.test"), ({"significance": 0.0}, "gate.significance"),
     ({"significance": 1.0}, "gate.significance"), ({"min_win_rate": 0.0}, "gate.min_win_rate"),
     ({"mastered_at": 1.5}, "gate.mastered_at")],
)  # fmt: skip
def test_bad_gate_settings_are_rejected_naming_the_field(settings, field):
    with pytest.raises(ValueError, match=field):
        GateSettings(**settings)


# -- mastered levels apart ----------------------------------------------------------------
def _levels(level1_champion, level1_candidate, level2_champion, level2_candidate, size=200):
    """Problems at two levels; each list gives how many of `size` are wrong, the first ones."""
    champion, candidate, level_of = {}, {}, {}
    for level, wrong_champion, wrong_candidate in ((1, level1_champion, level1_candidate), (2, level2_champion, level2_candidate)):
        for i in range(size):
            problem = f"arithmetic-{level}-{i}"
            level_of[problem] = f"arithmetic/{level}"
            champion[problem], candidate[problem] = i >= wrong_champion, i >= wrong_candidate
    return candidate, champion, level_of


def test_noise_at_a_mastered_level_does_not_cancel_a_gain_at_the_unmastered_one():
    # 0.995 -> 0.975 at mastered level 1, 0.94 -> 0.96 at level 2: a tie over all problems
    candidate, champion, level_of = _levels(1, 5, 12, 8)
    assert not decide(GateSettings(), candidate, champion).promoted
    decision = decide(GateSettings(), candidate, champion, level_of)
    assert decision.promoted and (decision.wins, decision.losses) == (4, 0)
    assert decision.reason == "win rate 1.000 (4/4) vs required 0.55 on unmastered arithmetic/2; mastered arithmetic/1 kept"


def test_falling_below_mastery_is_forgetting_whatever_the_gain_elsewhere():
    candidate, champion, level_of = _levels(1, 11, 60, 20)  # level 1 0.995 -> 0.945, level 2 0.70 -> 0.90
    decision = decide(GateSettings(), candidate, champion, level_of)
    assert not decision.promoted
    assert decision.reason == "forgets mastered arithmetic/1 0.995 -> 0.945 (below 0.95)"


@pytest.mark.parametrize("wrong_at_level_1", [40, 0])  # nothing mastered yet / everything mastered
def test_with_all_or_no_levels_mastered_the_test_runs_over_every_problem(wrong_at_level_1):
    candidate, champion, level_of = _levels(wrong_at_level_1, wrong_at_level_1 + 4, 0 if not wrong_at_level_1 else 60, 56)
    assert decide(GateSettings(), candidate, champion, level_of) == decide(GateSettings(), candidate, champion)


def test_mastered_at_null_judges_every_problem_together():
    candidate, champion, level_of = _levels(1, 5, 12, 8)
    assert not decide(GateSettings(mastered_at=None), candidate, champion, level_of).promoted


# -- the curriculum --------------------------------------------------------------------


def test_curriculum_advances_at_the_threshold():
    assert next_difficulty({"arithmetic": 1}, {"arithmetic/1": 0.9}, {"arithmetic": 3}, threshold=0.9) == {"arithmetic": 2}
    assert next_difficulty({"arithmetic": 1}, {"arithmetic/1": 0.97}, {"arithmetic": 3}, threshold=0.9) == {"arithmetic": 2}


def test_curriculum_stays_below_the_threshold():
    assert next_difficulty({"arithmetic": 1}, {"arithmetic/1": 0.899}, {"arithmetic": 3}, threshold=0.9) == {"arithmetic": 1}


def test_curriculum_never_goes_beyond_the_max_level():
    assert next_difficulty({"arithmetic": 3}, {"arithmetic/3": 1.0}, {"arithmetic": 3}, threshold=0.9) == {"arithmetic": 3}


def test_curriculum_moves_one_level_at_a_time():
    scores = {"arithmetic/1": 1.0, "arithmetic/2": 1.0, "arithmetic/3": 1.0}
    assert next_difficulty({"arithmetic": 1}, scores, {"arithmetic": 5}, threshold=0.9) == {"arithmetic": 2}


def test_curriculum_judges_only_the_current_level():
    # Mastering another level does not count; a missing score counts as not mastered.
    scores = {"algebra/1": 1.0, "algebra/3": 1.0}
    assert next_difficulty({"algebra": 2}, scores, {"algebra": 3}, threshold=0.9) == {"algebra": 2}


def test_curriculum_treats_each_environment_independently():
    current = {"algebra": 1, "arithmetic": 2, "countdown": 4}
    scores = {"algebra/1": 0.95, "arithmetic/2": 0.5, "countdown/4": 1.0}
    maximum = {"algebra": 3, "arithmetic": 5, "countdown": 4}
    assert next_difficulty(current, scores, maximum, threshold=0.9) == {"algebra": 2, "arithmetic": 2, "countdown": 4}
