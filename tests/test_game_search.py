"""The rules-only tree search (env/games/search.py) and the game reward's search credit, checked against perfect play.

    $ .venv/bin/python -m pytest tests/test_game_search.py -q
"""

import json
import random

import pytest

from env.games import get_game
from env.games.connect_four import ConnectFour, Grid
from env.games.nim import Heaps
from env.games.opponents import MinimaxPlayer
from env.games.search import SearchValues, random_win_share, search_value
from env.games.tictactoe import Board
from selfplay.game_config import GameRewardSettings
from selfplay.game_rewards import PlayoutReward

SIMULATIONS = 100  # measured: 97-100% minimax-optimal choices at 100, ~95% at 25, 100% from 200 up
OPTIMAL_SHARE = 0.95


@pytest.fixture(scope="module")
def tictactoe():
    return get_game("tictactoe", answer_format="answer_line")


def decisive_positions(game, solver, count, seed=0):
    """Distinct reachable positions where some move is worse than another under perfect play (a real choice)."""
    rng, found = random.Random(seed), {}
    while len(found) < count:
        state = game.initial_state(None)
        for _ in range(rng.randint(0, 7)):
            if game.outcome(state) is not None:
                break
            state = game.apply(state, rng.choice(game.legal_moves(state)))
        if game.outcome(state) is None and len(set(solver.move_values(state).values())) > 1:
            found[state] = None
    return list(found)


def test_search_chooses_minimax_optimal_moves_where_a_random_chooser_does_not(tictactoe):
    solver = MinimaxPlayer(tictactoe)
    positions = decisive_positions(tictactoe, solver, 50)
    optimal, random_share = 0, 0.0
    for state in positions:
        me, perfect = tictactoe.to_move(state), solver.move_values(state)
        values = {move: search_value(tictactoe, tictactoe.apply(state, move), me, SIMULATIONS, seed=0)
                  for move in tictactoe.legal_moves(state)}
        chosen = max(values, key=values.get)
        optimal += perfect[chosen] == max(perfect.values())
        random_share += sum(value == max(perfect.values()) for value in perfect.values()) / len(perfect)
    assert optimal >= OPTIMAL_SHARE * len(positions), f"{optimal}/{len(positions)} optimal"
    # The bar tells search from chance: a uniform random move is optimal in well under 95% of these positions.
    assert random_share / len(positions) < OPTIMAL_SHARE - 0.2


def test_finished_games_give_their_exact_points(tictactoe):
    x_won, o_won, full = Board("XXX" "OO." "..."), Board("XX." "OOO" "X.."), Board("XOX" "XOO" "OXX")
    for state, points_for_x in ((x_won, 1.0), (o_won, 0.0), (full, 0.5)):
        assert search_value(tictactoe, state, 0, 1, seed=0) == points_for_x
        assert search_value(tictactoe, state, 1, 1, seed=0) == 1.0 - points_for_x


def test_a_win_in_one_is_worth_exactly_one_and_allowing_one_exactly_zero(tictactoe):
    threats = Board("XX." "OO." "...")  # X to move: 3 wins; O also threatens 6
    assert search_value(tictactoe, threats, 0, 50, seed=0) == 1.0
    assert search_value(tictactoe, threats, 1, 50, seed=0) == 0.0
    assert search_value(tictactoe, tictactoe.apply(threats, 9), 0, 50, seed=0) == 0.0  # O completes its row


def test_values_are_deterministic_per_seed_in_range_and_zero_sum(tictactoe):
    opening = tictactoe.apply(tictactoe.initial_state(None), 1)
    values = {seed: search_value(tictactoe, opening, 0, 40, seed) for seed in range(5)}
    assert all(0.0 <= value <= 1.0 for value in values.values())
    assert values[3] == search_value(tictactoe, opening, 0, 40, 3)
    assert len(set(values.values())) > 1  # the seed does choose the rollouts
    assert search_value(tictactoe, opening, 1, 40, 3) == pytest.approx(1.0 - values[3])
    with pytest.raises(ValueError, match="simulations must be >= 1"):
        search_value(tictactoe, opening, 0, 0)


def test_search_values_remember_each_position(tictactoe):
    values = SearchValues(tictactoe, 30, seed=7)
    state = Board("X........")
    first = values(state, 1)
    assert first == search_value(tictactoe, state, 1, 30, seed=7)
    assert values(state, 0) == pytest.approx(1.0 - first) and len(values) == 1  # asked again: not searched again


def test_stored_search_values_are_recalled_in_another_search_and_not_searched_again(tictactoe):
    """`searched` then `recall`, through JSON as a campaign stores them: a stored position keeps its stored value
    (not the one a search with another seed would give) and is not stored again; a new one is searched."""
    stored, new = Board("X........"), Board("X...O....")
    first = SearchValues(tictactoe, 30, seed=7)
    first(stored, 0)
    saved = json.loads(json.dumps(first.searched()))
    assert list(saved) == [repr(stored)]
    later = SearchValues(tictactoe, 30, seed=8)
    later.recall(saved)
    assert later(stored, 1) == pytest.approx(1.0 - first(stored, 0))
    later(new, 0)
    assert list(later.searched()) == [repr(new)]
    # a value planted under the stored key is what is recalled: the position is really not searched again
    planted = SearchValues(tictactoe, 30, seed=8)
    planted.recall({repr(stored): 0.125})
    assert planted(stored, 0) == 0.125


@pytest.mark.parametrize("values", [{"Board(cells='X........')": 1.5}, {"x": "0.5"}, {"x": True}, {3: 0.5}])
def test_recalling_malformed_stored_values_is_refused(tictactoe, values):
    with pytest.raises(ValueError, match="points in \\[0, 1\\]"):
        SearchValues(tictactoe, 30).recall(values)


def test_random_win_share_estimates_the_share_of_random_games_a_side_wins(tictactoe):
    # X at 1 2 9, O at 3 8, O to move; every random game from here enumerated: X wins 2/3 of them, O 1/6
    state = Board("XXO....OX")
    share = random_win_share(tictactoe, state, 0, 2000, seed=1)
    assert share == pytest.approx(2 / 3, abs=0.04)
    assert random_win_share(tictactoe, state, 1, 2000, seed=1) == pytest.approx(1 / 6, abs=0.03)
    assert share == random_win_share(tictactoe, state, 0, 2000, seed=1)  # deterministic per seed
    assert random_win_share(tictactoe, Board("XXXOO...."), 0, 5) == 1.0  # finished: the winner's share is 1
    assert random_win_share(tictactoe, Board("XXXOO...."), 1, 5) == 0.0
    # the search's seed changes every generation; the tie-break it feeds does not, so labels stay put
    remembered = [SearchValues(tictactoe, 30, seed=seed).win_share(state, 0, 2000) for seed in (1, 2)]
    assert remembered[0] == remembered[1] == random_win_share(tictactoe, state, 0, 2000)
    with pytest.raises(ValueError, match="playouts must be >= 1"):
        random_win_share(tictactoe, state, 0, 0)


def test_nim_small_heaps_are_solved_and_large_ones_stay_in_range():
    nim = get_game("nim")
    assert search_value(nim, Heaps((2, 2)), 0, 300, seed=0) == 0.0  # nim-sum 0: the side to move loses
    assert search_value(nim, Heaps((2, 3)), 0, 300, seed=0) == 1.0  # take 1 from heap 2 leaves (2, 2)
    large = nim.opening(seed=0, index=0).state  # heaps up to a million: a sample of the moves per node
    value = search_value(nim, large, 1, 50, seed=0)
    assert 0.0 <= value <= 1.0 and value == search_value(nim, large, 1, 50, seed=0)


def test_connect_four_values_are_in_range_deterministic_and_see_a_win_in_one():
    game = ConnectFour()
    state = game.opening(seed=0, index=0).state
    value = search_value(game, state, 0, 50, seed=1)
    assert 0.0 <= value <= 1.0 and value == search_value(game, state, 0, 50, seed=1)
    three_down = Grid("XXX.OO" "O....." "......" "......" "......", to_move=0)  # X connects in column 4
    assert search_value(game, three_down, 0, 50, seed=0) == 1.0


def test_search_credit_orders_moves_without_any_player(tictactoe):
    threats = Board("XX." "OO." "...")  # X to move: 3 wins; 6 blocks O (a draw with best play); 9 lets O win
    reward = PlayoutReward(tictactoe, [(threats, "perfect")], {}, "champion", num_playouts=2, credit="search",
                           search_simulations=100)  # no players: search credit must never ask for one
    completions = ["Answer: 3", "Answer: 6", "Answer: 9", "Answer: 1", "no move here"]
    win, block, lose, taken, unreadable = reward(completions, [0] * 5)
    assert win == 1.0 and 0.0 < block < 1.0 and lose == 0.0 and taken == unreadable == 0.0
    assert reward.stats.moves == 5 and reward.stats.illegal == 2 and reward.calls == 0  # no playout was played
    assert len(reward.search) == 2  # the positions after 6 and after 9
    assert reward(["Answer: 6"], [0]) == [block] and len(reward.search) == 2


def test_credit_settings_are_checked():
    assert GameRewardSettings().credit == "playouts"  # LM playouts stay the default
    with pytest.raises(ValueError, match="game.reward.credit must be one of playouts, search"):
        GameRewardSettings(credit="mcts")
    with pytest.raises(ValueError, match="game.reward.search_simulations must be >= 1"):
        GameRewardSettings(credit="search", search_simulations=0)
    with pytest.raises(ValueError, match="credit must be one of"):
        PlayoutReward(get_game("tictactoe"), [], {}, "champion", 1, credit="minimax")
