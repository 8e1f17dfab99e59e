"""The exception for a setting that cannot work, raised where the problem is found.

A UserError (env/errors.py): the command line prints it as one line and exits
2, like a config error. It names the setting to change; every other exception
from a campaign is a bug (ours or a plugin's) and keeps its traceback.

    >>> raise SettingError("policy.model: folder 'x' has no config.json, so it is not a model folder")
"""

from env.errors import UserError


class SettingError(UserError):
    """A setting the user chose cannot work (an unloadable model, a length too short, a missing level)."""
