"""The child process that test_sigkill kills: saves whole documents through a RunStore, one after another,
and says on stdout where each save is, so the test can kill it inside one.

    python saver.py URL PAUSE_AT

prints `saving N` as save N's INSERT starts, `inserted N` once it has run (not yet committed) and
`saved N ID` once save N has returned. Save PAUSE_AT (0: none) stops after its INSERT, before its commit,
and waits on stdin for ever.
"""
from __future__ import annotations

import asyncio
import sys

from sqlalchemy import Engine, event

from backend.store import Limits, RunStore
from documents import whole_document

PAYLOAD_BYTES = 750_000  # random bytes per document: about 1 MB of JSON once in base64
MOST_SAVES = 100  # the test kills the child long before this; stop rather than fill the disk if it doesn't


def main(url: str, pause_at: int) -> None:
    count = 0

    def before(_connection, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO runs"):
            say(f"saving {count}")

    def after(_connection, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO runs"):
            say(f"inserted {count}")
            if count == pause_at:
                sys.stdin.read()

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)

    async def save_many() -> None:
        nonlocal count
        async with RunStore(url, Limits(max_saves_per_client_per_hour=MOST_SAVES)) as store:
            while count < MOST_SAVES:
                count += 1
                saved = await store.save("playground", whole_document(PAYLOAD_BYTES), "saver")
                say(f"saved {count} {saved.id}")

    asyncio.run(save_many())


def say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
