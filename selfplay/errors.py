"""Errors that stop a campaign with a clear one-line message (exit code 1); the run folder allows resume."""


class CampaignError(RuntimeError):
    """The campaign cannot go on (a plugin failed, the run folder is unusable); the message says why."""
