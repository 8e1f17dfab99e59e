"""A game campaign's settings: the `game:` section of a campaign YAML (instead of `environments:`).

    game:
      name: tictactoe
      options: {answer_format: answer_line}
      prompt: board                      # the tiny model reads the board alone, not the rules
      league: {latest_probability: 0.5, reference_players: [random, greedy]}
      reward: {num_playouts: 2}
      gate: {games: 400}
      eval: {opponents: [random, greedy, perfect], games: 100}

The rest of the campaign config still applies: `policy`, `pretrain` (the
imitation of the game's teacher), `train` (GRPO through TRL), `generations`,
`seed`, `tracking`. `environments`, `rewards`, `curriculum`,
`expert_iteration`, `gate` (the problem gate) and `eval` (held-out problems)
are ignored. Names of players are checked against the game when the campaign
launches (selfplay/game_campaign.py); here only what needs no game.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ANCHOR = "random"  # ratings are anchored at the random player (selfplay/ratings.py), so it must play
PROMPTS = ("full", "board", "compact")
ON_REJECT = ("champion", "candidate")
CREDITS = ("playouts", "search")  # how game.reward scores a move that does not end the game
OPPONENT_WEIGHTINGS = ("uniform", "hard")  # how game.league draws the opponents other than the latest champion


@dataclass(frozen=True)
class LeagueSettings:
    """Who the champion plays for its training positions (selfplay/league.py)."""

    # Each training game's opponent is the latest champion with this probability (self-play), else
    # drawn uniformly from the earlier champions and `reference_players`. Self-play alone can forget how
    # to beat what it no longer meets (a cycle of strategies); the past champions and fixed opponents
    # keep those positions in the data, as in AlphaStar's league and OpenAI Five's 80/20 rule.
    latest_probability: float = 0.5
    reference_players: list[str] = field(default_factory=lambda: ["random", "greedy"])
    num_games: int = 64  # games per generation whose positions (the champion to move) are trained on
    # Of those, how many start from the game's first position (all of AlphaGo Zero's did); the rest start from
    # varied train-split openings. Only these reach the positions before an opening, some of which are
    # held-out openings themselves (tic-tac-toe's replies to a corner or the centre): a champion that never
    # played from the start never learns them, and a person playing it starts there.
    start_games: int = 0
    temperature: float = 1.0  # the champion's sampling temperature in those games: varied positions
    # How the rest are drawn: "uniform", or "hard": in proportion to (1 - x)^2, x the champion's expected score
    # against each from the league's Elo (AlphaStar's prioritized fictitious self-play). Uniform, the share
    # of games against any one reference player falls as champions accumulate (1/4 of the games at generation
    # 1 of configs/connect_four.yaml, 1/10 at generation 4), however hard that player still is for the champion.
    opponent_weighting: str = "uniform"

    def __post_init__(self):
        if self.opponent_weighting not in OPPONENT_WEIGHTINGS:
            raise ValueError(f"game.league.opponent_weighting must be one of {', '.join(OPPONENT_WEIGHTINGS)}; "
                             f"got {self.opponent_weighting!r}")
        if not 0.0 <= self.latest_probability <= 1.0:
            raise ValueError(f"game.league.latest_probability must be in [0, 1], got {self.latest_probability}")
        if self.latest_probability < 1.0 and not self.reference_players:
            raise ValueError("game.league.reference_players must list at least one player when "
                             "latest_probability < 1 (generation 1 has no earlier champion)")
        _at_least("game.league.num_games", self.num_games, 1)
        if not 0 <= self.start_games <= self.num_games:
            raise ValueError(f"game.league.start_games must be in [0, game.league.num_games ({self.num_games})], "
                             f"got {self.start_games}")
        _positive("game.league.temperature", self.temperature)


@dataclass(frozen=True)
class GameRewardSettings:
    """How a sampled move is scored (selfplay/game_rewards.py)."""

    # Playouts per sampled move: the game is played on from the move, the mover's later moves by the frozen
    # champion (its own value estimate, so the reward needs no solver and works for any game) and the other
    # side by the position's league opponent; the reward is the mover's mean points (1 win, 0.5 draw, 0 loss).
    # More playouts cut the noise of sampled play and cost one batched generate per ply each.
    num_playouts: int = 2
    continuation: str = "champion"  # who plays the mover's later moves: champion, or a reference player's name
    illegal_reward: float = 0.0  # an unreadable or illegal move (it would lose the game): below any loss would over-punish
    temperature: float = 1.0  # the models' sampling temperature in playouts
    # playouts: as above. search: a rules-only Monte-Carlo tree search value of the position after the move
    # (env/games/search.py, UCT with random rollouts): no model plays on, so it is cheaper and less noisy.
    credit: str = "playouts"
    search_simulations: int = 200  # UCT simulations per position scored when credit is search

    def __post_init__(self):
        _at_least("game.reward.num_playouts", self.num_playouts, 1)
        if self.credit not in CREDITS:
            raise ValueError(f"game.reward.credit must be one of {', '.join(CREDITS)}; got {self.credit!r}")
        _at_least("game.reward.search_simulations", self.search_simulations, 1)
        _positive("game.reward.temperature", self.temperature)
        if not -1.0 <= self.illegal_reward <= 0.0:
            raise ValueError(f"game.reward.illegal_reward must be in [-1, 0], got {self.illegal_reward}")


@dataclass(frozen=True)
class GameGateSettings:
    """The candidate plays the champion; AlphaGo Zero's gate on decisive games (selfplay/ratings.py)."""

    games: int = 400  # decisive games needed (draws are reported, not counted)
    # Stop the match here even with fewer decisive games: between strong tic-tac-toe players most games are
    # drawn, and a match that cannot reach `games` decisive ones does not promote.
    max_games: int = 1_200
    min_win_rate: float = 0.55  # share of the decisive games the candidate must win
    temperature: float = 0.7  # sampled moves from varied openings, so the games are not copies of each other
    # Every gate game from the game's first position, as AlphaGo Zero's evaluation games were, instead of from
    # random training openings. A random opening can be lost already; played with both colours it gives each
    # player one win and pulls the match toward 50%: in tic-tac-toe a candidate that no longer lost to perfect
    # play beat its flawed champion in 54.5% of decisive games from openings (temperature 0.7), 90.5% from the
    # empty board (temperature 1.0). From one position, raise the temperature until enough games are decisive.
    from_start: bool = False
    batch_games: int = 200  # games played at once (one batched generate per ply); the match stops between batches
    # What the next generation trains from after a rejection: "champion" drops the rejected training;
    # "candidate" keeps training it, as AlphaGo Zero optimised one network throughout and gated only which
    # one plays the league games (and is the campaign's champion).
    on_reject: str = "champion"

    def __post_init__(self):
        _at_least("game.gate.games", self.games, 1)
        if self.on_reject not in ON_REJECT:
            raise ValueError(f"game.gate.on_reject must be one of {', '.join(ON_REJECT)}; got {self.on_reject!r}")
        _at_least("game.gate.batch_games", self.batch_games, 2)
        if self.max_games < self.games:
            raise ValueError(f"game.gate.max_games ({self.max_games}) must be >= game.gate.games ({self.games})")
        if not 0.5 <= self.min_win_rate <= 1.0:
            raise ValueError(f"game.gate.min_win_rate must be in [0.5, 1], got {self.min_win_rate}")
        if self.temperature < 0:
            raise ValueError(f"game.gate.temperature must be >= 0, got {self.temperature}")


@dataclass(frozen=True)
class GameEvalSettings:
    """Games against reference opponents each generation, from held-out openings: the score and the ratings."""

    opponents: list[str] = field(default_factory=lambda: ["random", "greedy", "perfect"])
    games: int = 100  # per opponent, half with each colour
    # Games per opponent from the game's first position (the empty board), half with each colour, besides the
    # held-out openings: the game as a person plays it. A random opening can leave a side lost or a win out of reach.
    start_games: int = 0
    temperature: float = 0.0  # 0: the model's greedy move, as a person playing it would meet it

    def __post_init__(self):
        if ANCHOR not in self.opponents:
            raise ValueError(f"game.eval.opponents must include {ANCHOR!r}, the player ratings are anchored at; "
                             f"got {self.opponents}")
        _at_least("game.eval.games", self.games, 2)
        _at_least("game.eval.start_games", self.start_games, 0)
        if self.temperature < 0:
            raise ValueError(f"game.eval.temperature must be >= 0, got {self.temperature}")


@dataclass(frozen=True)
class GameDistillSettings:
    """Before GRPO, fine-tune the champion on the search's best move at the positions of its league games, both
    sides' (selfplay/game_distill.py).

    AlphaGo Zero's policy learns the move its tree search prefers. Here the search is the rules-only one of
    `reward.credit: search` (`reward.search_simulations` each), and the champion imitates its choice with
    TRL's SFTTrainer; 0 steps turns it off. benchmarks/RESULTS.md, "Tic-tac-toe", has what it gains.
    """

    steps: int = 0  # optimizer steps of supervised fine-tuning a generation; 0: off
    learning_rate: float = 1.0e-3
    # Generation g distills at learning_rate * learning_rate_decay ** (g - 1): one network trained across the
    # campaign is annealed as AlphaGo Zero's was (its rate fell 10x twice), so what early generations fitted
    # is refined, not shaken loose, by later ones. 1: the same rate every generation.
    learning_rate_decay: float = 1.0
    batch_size: int = 64  # positions per optimizer step
    # A replay buffer, as AlphaGo Zero trained on its last 500,000 games: the positions of this many earlier
    # generations' league games join this generation's (each distinct position once). 0: this one only.
    replay_generations: int = 0
    # Replayed positions keep the values their own generation's search gave them (generations/N/
    # search_values.json: the positions it searched first), as AlphaGo Zero stored each game's search targets,
    # instead of being searched again with this generation's seed: a replayed position costs no search.
    # false: every generation searches its replayed positions anew (how tic-tac-toe's figures were measured).
    reuse_search: bool = False
    # Train on every symmetric image of each position too (Game.symmetries: tic-tac-toe's 8, Connect Four's
    # mirror), as AlphaGo Zero did: positions the league has not reached yet are covered by their twins.
    symmetries: bool = True
    # A position and its symmetric images share one searched value (and tie-break playouts), and equal moves are
    # ordered by the position they lead to, so the images' labels are each other's images. false: each image is
    # searched alone, and its label agrees with the mirrored label of its twin in about 0.64 of Connect Four's
    # pairs (benchmarks/mirror_labels.py); how tic-tac-toe's and Connect Four's figures were measured.
    symmetric_labels: bool = False
    # Distil again, another schedule of `steps` at the generation's rate, while the champion's greedy move is one
    # of the search's best at fewer than `fit_target` of the positions, up to `max_rounds` in all: a seed whose
    # network fits slowly gets the steps it needs, one that fits at once spends no more.
    fit_target: float = 1.0
    max_rounds: int = 1
    # Among moves of equal search value (in tic-tac-toe most moves of a drawn position), label the one after
    # which this many uniformly random playouts win most often for the mover: the line that leaves the
    # opponent the most ways to go wrong. 0: the first of the equals in legal-move order.
    tie_break_playouts: int = 0

    def __post_init__(self):
        _at_least("game.distill.steps", self.steps, 0)
        _at_least("game.distill.max_rounds", self.max_rounds, 1)
        _at_least("game.distill.tie_break_playouts", self.tie_break_playouts, 0)
        if not 0 <= self.fit_target <= 1:
            raise ValueError(f"game.distill.fit_target must be in [0, 1], got {self.fit_target}")
        _at_least("game.distill.replay_generations", self.replay_generations, 0)
        _at_least("game.distill.batch_size", self.batch_size, 1)
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"game.distill.learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0 < self.learning_rate_decay <= 1:
            raise ValueError(f"game.distill.learning_rate_decay must be in (0, 1], got {self.learning_rate_decay}")


@dataclass(frozen=True)
class GameSettings:
    name: str = ""  # registered game (tictactoe, connect_four, nim) or package.module:ClassName
    options: dict[str, Any] = field(default_factory=dict)  # constructor options, e.g. answer_format, rows
    # full: the game's whole prompt (rules, side, board, move syntax, answer format), for models that read;
    # board: "You play X." and the board only, for the tiny model (the rules are 70% of the characters and
    # the same in every prompt; it learns the game from its teacher, not from English);
    # compact: the side's name and the board in the game's fewest characters (tic-tac-toe: "X\n12X\n4O6\n789").
    prompt: str = "full"
    league: LeagueSettings = field(default_factory=LeagueSettings)
    reward: GameRewardSettings = field(default_factory=GameRewardSettings)
    gate: GameGateSettings = field(default_factory=GameGateSettings)
    eval: GameEvalSettings = field(default_factory=GameEvalSettings)
    distill: GameDistillSettings = field(default_factory=GameDistillSettings)

    def __post_init__(self):
        if not self.name:
            raise ValueError("game.name must name a game: tictactoe, connect_four, nim or package.module:ClassName")
        if self.prompt not in PROMPTS:
            raise ValueError(f"game.prompt must be one of {', '.join(PROMPTS)}; got {self.prompt!r}")


def _at_least(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
