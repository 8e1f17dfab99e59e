"""The errors the `selfplay` command reports in one line; everything else keeps its traceback.

Two kinds, each one base class defined in env/errors.py (the bottom layer, so
every layer can raise them) and re-exported here:

  UserError (exit code 2)        ConfigError, policy.errors.SettingError, unknown names
  CampaignStopped (exit code 1)  CampaignError, tracking.TrackingError, rewards.VerifierError

    >>> raise CampaignError("environment 'boom' raised while generating problems: RuntimeError: boom")
"""

from env.errors import CampaignStopped, UserError

__all__ = ["CampaignError", "CampaignStopped", "ConfigError", "UserError"]


class ConfigError(UserError):
    """A config that cannot be loaded or is invalid; the message names the file and field."""


class CampaignError(CampaignStopped):
    """The campaign cannot go on (a plugin failed, the run folder is unusable); the message says why."""
