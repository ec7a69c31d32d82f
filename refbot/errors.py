"""refbot's errors, and what each means for the person who meets it.

    RefbotError                 base; ``user_message`` is safe to show a person
    ├── ConfigError             config.yaml or the environment is wrong; names the key
    ├── SourceError             a search source failed; the draft gets a note instead
    │   └── SourceTimeout       the source did not answer within its budget
    ├── ChannelError            the messaging channel refused or failed a send
    │   └── SendInDoubt         no answer came: the channel may or may not have taken it
    ├── CatalogError            the catalog index is missing, corrupt or cannot be built
    ├── RecordError             one catalog record could not be read; it is skipped
    └── DraftConflict           a draft was changed or decided by someone else first

``transient`` says whether trying again later may succeed.
"""

from __future__ import annotations


class RefbotError(Exception):
    """Base of every error refbot raises on purpose."""

    transient = False

    @property
    def user_message(self) -> str:
        """What a person may be told."""
        return str(self)


class ConfigError(RefbotError):
    """The configuration is wrong; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config key '{key}': {problem}")
        self.key = key


class SourceError(RefbotError):
    """A search source failed; the question still gets a draft with a note."""

    transient = True

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SourceTimeout(SourceError):
    """A source did not answer within its time budget."""


class ChannelError(RefbotError):
    """Sending through the messaging channel failed."""

    def __init__(self, message: str, *, code: int | None = None, transient: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient


class SendInDoubt(ChannelError):
    """A send whose outcome is unknown: the channel may or may not have taken the message.

    It timed out, or the connection dropped after the request went out. Sending again at
    once could deliver it twice; the channel's status webhooks settle it instead.
    """


class CatalogError(RefbotError):
    """The catalog index cannot be opened or built."""


class RecordError(RefbotError):
    """One catalog record could not be read."""

    def __init__(self, reason: str, *, position: int = 0, control_number: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position
        self.control_number = control_number


class DraftConflict(RefbotError):
    """A draft was already decided or changed by someone else."""
