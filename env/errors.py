"""What an error means is its type: the user's to fix, a campaign that stopped, or a model's unreadable answer.

The `selfplay` command catches the first two and nothing else, so every other
exception is a bug (ours or a plugin's) and keeps its traceback:

  UserError        something the user asked for cannot work: a config, a name, a
                   setting, a folder. One line, exit code 2, nothing written.
  CampaignStopped  a campaign that had started cannot go on (a plugin failed
                   mid-run, the tracking store went away). One line, exit code 1;
                   the run folder allows `selfplay resume`.
  AnswerError      a model's answer cannot be scored; verification turns it into
                   a score of 0 with the message as the reason (never reaches the
                   command line).

They live here, in the bottom layer, so `env/`, `rewards/` and `policy/` can
raise them without importing `selfplay/`; each layer subclasses them for its
own cases (policy.errors.SettingError, selfplay.errors.ConfigError, ...).

    >>> raise UserError("environments: unknown environment 'algebr'; did you mean 'algebra'?")
    >>> raise AnswerError("not an integer: 'twelve'")
"""


class UserError(ValueError):
    """Something the user asked for cannot work; the message names it and says how to fix it (exit code 2).

    A ValueError, so code written against the older errors (SettingError and
    ConfigError were ValueErrors) still catches it.
    """


class TooFewProblems(UserError):
    """More distinct held-out problems were asked for than a level holds; the caller names the setting."""


class CampaignStopped(RuntimeError):
    """A started campaign cannot go on; the message says why and how to continue (exit code 1)."""


class AnswerError(ValueError):
    """A completion's answer cannot be scored: missing, ambiguous, malformed or too large."""
