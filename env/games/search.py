"""Monte-Carlo tree search over a game's rules: the value of a position, with no model and no game knowledge.

UCT (Kocsis and Szepesvári, 2006) as in AlphaGo's rollouts, using only the
`Game` contract: each simulation walks down the tree by the UCB1 rule, adds
one position, and finishes the game with uniformly random moves; the points
are backed up along the path. A position whose value is known exactly (a
finished game, a move that wins at once, or every move searched to the end)
is "proven" (MCTS-Solver, Winands et al., 2008) and gives that value instead
of samples, so a win in one is worth exactly 1 and a small game's endings are
solved rather than estimated.

    >>> game = get_game("tictactoe")
    >>> search_value(game, Board("XX." "OO." "..."), side=0, simulations=200, seed=0)
    1.0

Every value is the expected points (1 win, 0.5 draw, 0 loss) for one side,
deterministic per (game, state, side, simulations, seed): the random stream
is `game.rng_for(state, ...)`, never the global one. A call always ends: it
runs `simulations` simulations, and a rollout plays at most MAX_ROLLOUT_PLIES
moves (or the game's `max_moves`, if fewer) before it counts as a draw, as
`play_game` scores a game reaching its move limit.

Pure Python, like all of env/: no torch, transformers or trl.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from env.games.game import Game, Move, Outcome, State

MAX_ROLLOUT_PLIES = 1_000  # a rollout longer than this (or the game's max_moves) is a draw
# Moves a node considers: all of them in tic-tac-toe or Connect Four, a random sample of Nim's millions
# (a few hundred simulations could not tell a million moves apart anyway; a sampled node is never proven lost).
MAX_CHILDREN = 64


@dataclass(eq=False)
class Node:
    """A position in the search tree; `total` and `proven` are points for side 0 (the other side's are 1 minus)."""

    state: State
    to_move: int
    untried: list[Move]  # the moves not yet expanded into children
    complete: bool  # whether `untried` started as all the legal moves (else a sample of them)
    children: list["Node"] = field(default_factory=list)
    visits: int = 0
    total: float = 0.0
    proven: float | None = None  # the exact value, once known


def search_value(game: Game, state: State, side: int, simulations: int, seed: int | str = 0,
                 exploration: float = 1.4) -> float:
    """The expected points for `side` at `state`: its exact value if the search proves it, else the UCT mean."""
    _check_count("simulations", simulations)
    rng = game.rng_for(state, f"search:{seed}")
    root = _node(game, state, rng)
    for _ in range(simulations):
        if root.proven is not None:
            break  # nothing left to learn
        _simulate(game, root, rng, exploration)
    points = root.proven if root.proven is not None else root.total / root.visits
    return _for(side, points)


class SearchValues:
    """`search_value` with fixed settings, remembered per state: a position asked for twice is searched once."""

    def __init__(self, game: Game, simulations: int, seed: int | str = 0, exploration: float = 1.4,
                 symmetric: bool = False):
        _check_count("simulations", simulations)  # at construction, not at the first position asked
        self.game, self.simulations, self.seed, self.exploration = game, simulations, seed, exploration
        # symmetric: a position's images (Game.symmetries) share the value and win share of the first one asked,
        # so the labels of a position and of its mirror agree (each searched alone, Connect Four's mirror pairs
        # got mirrored labels in only 0.64 of 3,000 pairs: benchmarks/mirror_labels.py)
        self.symmetric = symmetric
        self._points: dict[State, float] = {}  # state -> points for side 0
        self._searched: set[State] = set()  # the states of _points this search valued itself (not recalled)
        self._recalled: dict[str, float] = {}  # repr(state) -> points for side 0, from an earlier search
        self._wins: dict[tuple[State, int, int], float] = {}  # (state, side, playouts) -> random_win_share

    def __call__(self, state: State, side: int) -> float:
        if state not in self._points:
            self._points[state] = self._points_for_side_0(state)
        return _for(side, self._points[state])

    def _points_for_side_0(self, state: State) -> float:
        """A twin's value (with `symmetric`), else a recalled one, else this search's own."""
        images = self._images(state)
        for image in images:
            points = self._points.get(image)
            if points is not None:
                return points
        for image in images if self._recalled else ():
            if repr(image) in self._recalled:
                return self._recalled[repr(image)]
        self._searched.add(state)
        return search_value(self.game, state, 0, self.simulations, self.seed, self.exploration)

    def _images(self, state: State) -> list[State]:
        return self.game.symmetries(state) if self.symmetric else [state]

    def searched(self) -> dict[str, float]:
        """The values this search computed (not those it recalled), by `repr(state)`, as points for side 0: what
        `recall` takes back, in another process. A plugin state whose repr is not stable is only searched again."""
        return {repr(state): self._points[state] for state in self._searched}

    def recall(self, values: dict[str, float]) -> None:
        """Take the values an earlier search stored (`searched`): a position found there is not searched again,
        as AlphaGo Zero kept each game's search targets instead of searching its old games anew."""
        for key, points in values.items():
            if not isinstance(key, str) or isinstance(points, bool) or not isinstance(points, (int, float)) \
                    or not 0.0 <= points <= 1.0:
                raise ValueError(f"a stored search value must map a position to points in [0, 1], got {key!r}: {points!r}")
        self._recalled.update(values)

    def win_share(self, state: State, side: int, playouts: int) -> float:
        """`random_win_share`, remembered per (state, side, playouts). Not seeded by this search's seed: a
        tie-break that changed with each generation's seed would relabel close ties from one to the next."""
        key = (state, side, playouts)
        if key not in self._wins:
            twins = (self._wins.get((image, side, playouts)) for image in self._images(state))
            twin = next((share for share in twins if share is not None), None)
            self._wins[key] = twin if twin is not None else random_win_share(self.game, state, side, playouts)
        return self._wins[key]

    def __len__(self) -> int:
        return len(self._points)


def random_win_share(game: Game, state: State, side: int, playouts: int, seed: int | str = 0) -> float:
    """The share of `playouts` games from `state`, uniformly random moves on both sides, that `side` wins.

    A tie-break between moves of equal value: of two moves that both draw under perfect play, the one after
    which random play wins more often leaves the opponent more ways to go wrong (a trap). Deterministic per
    (game, state, side, playouts, seed); a finished `state` gives 1 or 0.
    """
    _check_count("playouts", playouts)
    outcome = game.outcome(state)
    if outcome is not None:
        return float(outcome.winner == side)
    rng = game.rng_for(state, f"playouts:{seed}")
    return sum(_rollout_winner(game, state, rng) == side for _ in range(playouts)) / playouts


# -- one simulation ------------------------------------------------------------------


def _simulate(game: Game, root: Node, rng: random.Random, exploration: float) -> None:
    """Select down the tree, expand one position, roll out from it, back up the points, update the proofs."""
    path = [root]
    node = root
    while node.proven is None and not node.untried:  # fully expanded: go down
        node = _select(node, exploration)
        path.append(node)
    if node.proven is None:
        node = _expand(game, node, rng)
        path.append(node)
    points = node.proven if node.proven is not None else _rollout(game, node.state, rng)
    for visited in path:
        visited.visits += 1
        visited.total += points
    for visited in reversed(path):  # only the nodes on the path can have become proven
        _prove(visited)


def _select(node: Node, exploration: float) -> Node:
    """The child with the best UCB1 score for the side to move: its mean points plus an exploration bonus."""
    log_visits = math.log(node.visits)

    def score(child: Node) -> float:
        mean = child.proven if child.proven is not None else child.total / child.visits
        return _for(node.to_move, mean) + exploration * math.sqrt(log_visits / child.visits)

    return max(node.children, key=score)  # the first of equal scores: deterministic


def _expand(game: Game, node: Node, rng: random.Random) -> Node:
    """A child for one untried move (they were shuffled when the node was made)."""
    child = _node(game, game.apply(node.state, node.untried.pop()), rng)
    node.children.append(child)
    return child


def _rollout(game: Game, state: State, rng: random.Random) -> float:
    """Points for side 0 after uniformly random moves to the end; a draw if the ply cap is reached first."""
    outcome = _random_ending(game, state, rng)
    return outcome.points(0) if outcome is not None else 0.5


def _rollout_winner(game: Game, state: State, rng: random.Random) -> int | None:
    """The side that wins after uniformly random moves to the end; None for a draw or the ply cap."""
    outcome = _random_ending(game, state, rng)
    return outcome.winner if outcome is not None else None


def _random_ending(game: Game, state: State, rng: random.Random) -> Outcome | None:
    """The outcome after uniformly random moves from `state`, or None if the ply cap comes first."""
    for _ in range(min(game.max_moves, MAX_ROLLOUT_PLIES)):
        outcome = game.outcome(state)
        if outcome is not None:
            return outcome
        moves = game.legal_moves(state)
        state = game.apply(state, moves[rng.randrange(len(moves))])
    return game.outcome(state)


def _prove(node: Node) -> None:
    """Mark `node` proven when one child wins for the side to move, or when every move's child is proven."""
    if node.proven is not None:
        return
    known = [_for(node.to_move, child.proven) for child in node.children if child.proven is not None]
    if 1.0 in known:
        node.proven = _for(node.to_move, 1.0)  # the side to move plays the winning move
    elif node.complete and not node.untried and len(known) == len(node.children):
        node.proven = _for(node.to_move, max(known))  # minimax over all the moves


# -- small helpers -------------------------------------------------------------------------


def _node(game: Game, state: State, rng: random.Random) -> Node:
    """A new node: proven if the game is over, else holding its moves (up to MAX_CHILDREN, in random order)."""
    outcome = game.outcome(state)
    if outcome is not None:
        return Node(state, game.to_move(state), [], True, proven=outcome.points(0))
    moves = game.legal_moves(state)
    if len(moves) <= MAX_CHILDREN:
        untried = list(moves)
        rng.shuffle(untried)
    else:  # sampled by index: Nim's move list is computed on demand and never built
        untried = [moves[index] for index in rng.sample(range(len(moves)), MAX_CHILDREN)]
    return Node(state, game.to_move(state), untried, len(untried) == len(moves))


def _check_count(name: str, count: int) -> None:
    if count < 1:
        raise ValueError(f"search: {name} must be >= 1, got {count}")


def _for(side: int, points_for_side_0: float) -> float:
    """Points for `side`, from side 0's: the game is zero-sum."""
    return points_for_side_0 if side == 0 else 1.0 - points_for_side_0
