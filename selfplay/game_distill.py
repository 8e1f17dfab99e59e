"""Search distillation: the champion imitates the move a rules-only tree search prefers (`game.distill`).

AlphaGo Zero trains its policy toward the moves of its own tree search. A
game campaign with `game.distill.steps` > 0 does the same before GRPO: each
distinct position of the generation's league games, whichever side was to
move (and of `game.distill.replay_generations` earlier generations' games),
and the game's first position, is labelled with
the legal move of highest search value (env/games/search.py: a win at once
scores 1; otherwise the searched value of the position after the move, for
the mover; among equal values, with `game.distill.tie_break_playouts`, the
move after which random playouts win most often, a trap for a weaker
opponent), and the champion is fine-tuned on those moves with TRL's
SFTTrainer. The labels come from the rules alone, so they can be better than
any model in the league, and unlike a GRPO group they do not depend on the
champion sampling the good move first. `best_move_rate` measures the fit: the
share of positions where the champion's greedy move is one of the search's
best, or the tie-broken label (the campaign distils again while it is under `game.distill.fit_target`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Sequence

from env.games.game import Game, Move, State
from env.games.search import SearchValues
from policy.game_pretrain import position_prompt
from selfplay.config import ExpertIterationSettings
from selfplay.game_config import GameDistillSettings
from selfplay.game_play import ModelPlayer


def best_move(game: Game, values: SearchValues, state: State, tie_break_playouts: int = 0) -> Move:
    """The legal move with the highest value for the side to move; among equals, the one after which
    `tie_break_playouts` random playouts win most often for the mover (0: the first in legal-move order)."""
    tied = best_moves(game, values, state)
    if len(tied) == 1 or not (values.symmetric or tie_break_playouts):  # nothing to order: apply no move
        return tied[0]
    after = {move: game.apply(state, move) for move in tied}
    if values.symmetric:  # equals in an order that a mirror image keeps: the form of the position after the move
        tied = sorted(tied, key=lambda move: min(repr(image) for image in game.symmetries(after[move])))
    if tie_break_playouts:
        mover = game.to_move(state)
        return max(tied, key=lambda move: values.win_share(after[move], mover, tie_break_playouts))
    return tied[0]


def best_moves(game: Game, values: SearchValues, state: State) -> list[Move]:
    """Every legal move of the highest value for the side to move, in legal-move order; a move that wins at once
    outranks one the search proved to win later: a label that postpones a win teaches the model to skip wins
    (23% of Connect Four's win-in-one positions were labelled so, and the model missed wins against greedy)."""
    mover = game.to_move(state)
    after = {move: game.apply(state, move) for move in game.legal_moves(state)}
    outcomes = {move: game.outcome(position) for move, position in after.items()}
    wins_now = [move for move, outcome in outcomes.items() if outcome is not None and outcome.winner == mover]
    if wins_now:  # before any search: the other moves' values would not change the label
        return wins_now
    scored = {move: outcomes[move].points(mover) if outcomes[move] is not None else values(after[move], mover)
              for move in after}
    best = max(scored.values())
    return [move for move, value in scored.items() if value == best]


def best_move_rate(policy: Any, game: Game, states: Sequence[State], prompt: str, values: SearchValues,
                   max_new_tokens: int, tie_break_playouts: int = 0) -> float:
    """The share of unfinished `states` where the policy's greedy move is one of the search's best: how well the
    distillation fitted (1.0 at every position a game can reach means it never misses a win or a block). With
    `tie_break_playouts`, only the tie-broken label counts, as it is what distillation teaches."""
    open_states = [state for state in states if game.outcome(state) is None]
    if not open_states:
        return 1.0
    replies = ModelPlayer("fit", policy, prompt, 0.0, max_new_tokens).completions(game, open_states, seed=0)

    def hit(state: State, move: Move | None) -> bool:
        if tie_break_playouts:
            return move == best_move(game, values, state, tie_break_playouts)
        return move in best_moves(game, values, state)

    hits = sum(hit(state, game.read_move(state, reply).move) for state, reply in zip(open_states, replies))
    return round(hits / len(open_states), 4)


def distill(policy: Any, game: Game, states: Sequence[State], prompt: str, settings: GameDistillSettings,
            values: SearchValues, output_dir: Path, seed: int, generation: int = 1) -> int:
    """Fine-tune `policy` in place on the search's best move at each state, at generation `generation`'s
    learning rate (`settings.learning_rate_decay`); returns the examples trained on."""
    import datasets
    from trl import SFTTrainer

    from selfplay.trl_config import sft_config

    rows = [{"prompt": policy.prompt_format.model_input(position_prompt(game, state, prompt)),
             "completion": game.answer_format.render(game.render_move(best_move(game, values, state, settings.tie_break_playouts)))}
            for state in states if game.outcome(state) is None]
    learning_rate = settings.learning_rate * settings.learning_rate_decay ** (generation - 1)
    as_sft = ExpertIterationSettings(max_steps=settings.steps, learning_rate=learning_rate,
                                     batch_size=settings.batch_size)
    arguments = sft_config(as_sft, str(output_dir), seed, policy.max_length, schedule="cosine")  # fit, then settle
    trainer = SFTTrainer(model=policy.model, args=arguments, train_dataset=datasets.Dataset.from_list(rows),
                         processing_class=policy.tokenizer)
    trainer.train()
    policy.model = trainer.model
    shutil.rmtree(output_dir, ignore_errors=True)
    return len(rows)
