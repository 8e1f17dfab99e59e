"""Find games by name: built-ins, installed plugins, or `package.module:ClassName`, as env/registry.py does for environments.

A third-party package registers its game under the entry-point group
`selfplay.games`:

    [project.entry-points."selfplay.games"]
    race = "my_games.race:Race"

Modules are imported only when their name is asked for. A name that cannot be
loaded (unknown, or its module fails to import) raises UserError, which the
command line reports in one line with exit code 2.

    >>> get_game("connect_four", rows=6, columns=7)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from env.errors import UserError
from env.games.game import Game, check_class_attributes, closest_hint
from env.registry import import_plugin_class

ENTRY_POINT_GROUP = "selfplay.games"

BUILTINS = {
    "tictactoe": "env.games.tictactoe:TicTacToe",
    "connect_four": "env.games.connect_four:ConnectFour",
    "nim": "env.games.nim:Nim",
}


@dataclass(frozen=True)
class GameInfo:
    """One row of the games table of `selfplay envs list`."""

    name: str
    source: str  # distribution that provides it, "selfplay" for built-ins
    target: str  # "package.module:ClassName"
    description: str
    players: list[str]  # reference opponents, e.g. random, greedy, teacher, perfect


def get_game(spec: str, **options) -> Game:
    """A game instance from a registered name or a `package.module:ClassName` reference; options go to its constructor."""
    return game_class(spec)(**options)


def game_class(spec: str) -> type[Game]:
    """The class behind `spec`; UserError with the known names and the closest match if unknown."""
    target = spec if ":" in spec else _targets().get(spec)
    if target is None:
        known = sorted(_targets())
        raise UserError(f"unknown game {spec!r}{closest_hint(spec, known)} (known: {', '.join(known)})")
    return _import_class(spec, target)


def is_game(spec: str) -> bool:
    """Whether `spec` names a game rather than an environment (a reference that cannot be imported is not one)."""
    if ":" not in spec:
        return spec in _targets()
    try:
        game_class(spec)
    except UserError:
        return False
    return True


def list_games() -> list[GameInfo]:
    """Every game that can be loaded by name; one that fails to import is listed with the error as its description."""
    infos = []
    for name, (target, source) in _registered().items():
        try:
            cls = _import_class(name, target)
        except UserError as error:
            infos.append(GameInfo(name, source, target, f"cannot load: {error.args[0]}", []))
            continue
        try:
            players = cls().player_names
        except Exception as error:  # a plugin's constructor bug must not hide the other games
            infos.append(GameInfo(name, source, target, f"cannot construct: {type(error).__name__}: {error}", []))
            continue
        infos.append(GameInfo(name, source, target, cls.description, players))
    return infos


def _registered() -> dict[str, tuple[str, str]]:
    """name -> (target, source): built-ins first, then plugins (a plugin cannot replace a built-in)."""
    registered = {name: (target, "selfplay") for name, target in BUILTINS.items()}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist is not None else "?"
        registered.setdefault(entry_point.name, (entry_point.value, distribution))
    return registered


def _targets() -> dict[str, str]:
    return {name: target for name, (target, _) in _registered().items()}


def _import_class(spec: str, target: str) -> type[Game]:
    return import_plugin_class("game", spec, target, Game, "env.games.Game", check_class_attributes)
