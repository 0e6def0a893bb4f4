"""What the store accepts: the largest run, saves per client per hour and the total stored, and the refusal
that names the limit a save ran into."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

MIB = 1 << 20  # bytes in a mebibyte
SAVE_WINDOW = timedelta(hours=1)  # the window max_saves_per_client_per_hour counts over


@dataclass(frozen=True)
class Limits:
    """The store's limits; a field's name is the name a `StoreLimit` carries."""

    max_run_bytes: int = 8 * MIB  # largest document one run may hold (413)
    max_saves_per_client_per_hour: int = 60  # saves one client may make in any hour (429)
    max_store_bytes: int = 1024 * MIB  # documents' bytes the whole store may hold (507)

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) < 1:
                raise ValueError(f"{field.name} must be at least 1, not {getattr(self, field.name)}")


class StoreLimit(Exception):
    """A save refused by one of `Limits`: nothing was written.

    `limit` is the field of `Limits` that refused it; `retry_after` is the seconds until the same save would
    be accepted, where waiting helps (the hourly limit), else None.
    """

    def __init__(self, limit: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.retry_after = retry_after
