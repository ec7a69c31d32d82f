"""refbot's errors, and what each means for the person who meets it.

    RefbotError                 base; ``user_message`` is safe to show a person
    ├── ConfigError             config.yaml or the environment is wrong; names the key
    ├── SourceError             a search source failed; the draft gets a note instead
    │   └── SourceTimeout       the source did not answer within its budget
    ├── ChannelError            the messaging channel refused or failed a send or a download
    │   ├── SendInDoubt         no answer came: the channel may or may not have taken it
    │   ├── MediaError          a patron's media could not be fetched (transient) or was refused
    │   └── MessageRefused      a message the channel's rules forbid; never retried
    ├── LibraryUnavailable      the library system (Koha) is down, slow or refuses refbot
    ├── JournalError            a webhook body could not be written down (Meta delivers it again)
    ├── StoreTooNew             the store was upgraded by a newer refbot; this one must not touch it
    ├── CatalogError            the catalog index is missing, corrupt or cannot be built
    │   └── HarvestError        an OAI-PMH repository could not be harvested (refbot.catalog.harvest.client)
    ├── RecordError             one catalog record could not be read; it is skipped
    ├── DecisionConflict        someone else decided first (the one rule of both state machines)
    │   ├── DraftConflict       a draft was changed or decided by someone else first
    │   └── RequestConflict     a service request is gone, of another kind, or already decided
    └── EditRefused             a librarian's edit names an item or a command that does not exist

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


class MessageRefused(ChannelError):
    """A message the channel's rules forbid (no recipient, no text, too big, a type it cannot carry).

    Never transient: sending it again cannot help; the message is marked failed with this reason.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


class LibraryUnavailable(RefbotError):
    """The library system could not be asked: down, too slow, or refusing refbot's credentials."""

    transient = True


class MediaError(ChannelError):
    """A patron's image or file could not be fetched, or was refused.

    ``transient`` true: the channel was unreachable or slow, a download link expired, the bytes
    arrived corrupt; trying again later may succeed. False: too big, a type refbot does not take,
    bytes that are not what they claim, an unknown media id. ``code`` is the channel's error
    code when it gave one.
    """


class JournalError(RefbotError):
    """A verified webhook body could not be written down; the webhook answers 500 and Meta retries."""

    transient = True


class StoreTooNew(RefbotError):
    """The store's schema is newer than this refbot knows: an older version must not run on it."""


class CatalogError(RefbotError):
    """The catalog index cannot be opened or built."""


class RecordError(RefbotError):
    """One catalog record could not be read."""

    def __init__(self, reason: str, *, position: int = 0, control_number: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position
        self.control_number = control_number


class DecisionConflict(RefbotError):
    """Someone else decided first: the draft or request is gone, decided, or has moved on.

    Two librarians pressing a button at once is normal; the second is told who was first.
    """


class DraftConflict(DecisionConflict):
    """A draft was already decided or changed by someone else."""


class RequestConflict(DecisionConflict):
    """A service request is gone, of another kind, or already decided."""

    def __init__(self, message: str, *, decided_by: str = "", status: str = "") -> None:
        super().__init__(message)
        self.decided_by = decided_by
        self.status = status


class EditRefused(RefbotError):
    """A librarian's edit cannot be made as asked: no such item in the draft, or no such command.

    The message says what was wrong (for logs); ``key`` and ``values`` name the text that tells the
    librarian in their language (``edit_no_item``, ``edit_unknown_command``).
    """

    def __init__(self, message: str, *, key: str = "", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values
