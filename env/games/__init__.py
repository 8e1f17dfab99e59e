"""Two-player zero-sum games a language model plays by writing moves: the contract, built-ins, opponents, checks.

Like the rest of `env/`, this package imports no torch, transformers or trl.

    >>> from env.games import get_game, play_game
    >>> game = get_game("tictactoe")
    >>> record = play_game(game, game.opening(seed=0, index=0), [game.player("greedy"), game.player("random")])
    >>> record.outcome, record.moves
"""

from env.games.game import Game, GameRecord, IllegalMove, MoveVerdict, Opening, Outcome, Player, play_game
from env.games.registry import GameInfo, game_class, get_game, is_game, list_games

__all__ = [
    "Game",
    "GameInfo",
    "GameRecord",
    "IllegalMove",
    "MoveVerdict",
    "Opening",
    "Outcome",
    "Player",
    "game_class",
    "get_game",
    "is_game",
    "list_games",
    "play_game",
]
