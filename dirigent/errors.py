"""One exception tree for Dirigent: callers catch ``DirigentError`` or a precise child."""


class DirigentError(Exception):
    """Base of every error Dirigent raises on purpose."""


class ParameterError(DirigentError, ValueError):
    """A value given by a user or client is out of range or of the wrong form."""


class ConfigError(DirigentError):
    """The configuration (TOML file, environment, flags) cannot be used."""


class AudioError(DirigentError):
    """An audio file cannot be read or holds unusable audio; the message says why."""


class CatalogError(DirigentError):
    """The DuckDB catalog cannot be opened, migrated or written."""
