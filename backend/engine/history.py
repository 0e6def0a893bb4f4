"""A run's history: what each frame that trained showed of the training, kept compactly, so that the charts
survive a reload and a saved run carries them.

One row per frame: its epoch and the fields declared with history=True (fields.FIELDS), a per-layer field
padded to its padded length with NaN (a few hundred bytes a row: README "Looking back"). At most HISTORY_LIMIT rows: when full, every other row goes (the first
stays), so a long run keeps an even sample of its whole course in a fixed amount of memory.
"""
from __future__ import annotations

import numpy as np

from .config import finite_or_none
from .fields import FIELDS, Sizes

HISTORY_LIMIT = 2000  # rows kept at most; then every other goes
KEPT = tuple(f for f in FIELDS if f.history)
_SIZES = Sizes(slots=0, picture_width=0)  # the kept fields' padded shapes do not depend on the data or pictures
COLUMNS = {f.name: int(np.prod(f.kind.padded(_SIZES), dtype=int)) for f in KEPT}  # padded length of each


def _slices() -> dict[str, slice]:
    start, found = 0, {}
    for name, width in COLUMNS.items():
        found[name] = slice(start, start + width)
        start += width
    return found


SLICES = _slices()
ROW = sum(COLUMNS.values())  # float32 values a frame keeps, beside its epoch


class History:
    """The rows of a run's frames, oldest first (see the module's docstring): each frame's epoch (a whole
    number, exact however long the run) and its values."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self._epochs = np.empty(limit + 1, np.int64)  # made once: a frame only writes a row
        self._values = np.empty((limit + 1, ROW), np.float32)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _keep(self, epochs: np.ndarray, values: np.ndarray) -> None:
        self._count = len(epochs)
        self._epochs[:self._count], self._values[:self._count] = epochs, values

    def add(self, epoch: int, snapshot) -> None:
        """Keep what `snapshot` (a run.Snapshot) shows of the fields in KEPT, at `epoch`."""
        row = self._values[self._count]
        row[:] = np.nan
        for name, where in SLICES.items():
            value = getattr(snapshot, name)
            values = np.atleast_1d(np.asarray(np.nan if value is None else value, np.float32))  # None: not finite
            row[where.start:where.start + len(values)] = values
        self._epochs[self._count] = epoch
        self._count += 1
        if self._count == len(self._epochs):
            self._keep(self._epochs[::2].copy(), self._values[::2].copy())

    def copy(self) -> "History":
        twin = History(limit=len(self._epochs) - 1)
        twin._keep(self._epochs[:self._count], self._values[:self._count])
        return twin

    def until(self, epoch: int) -> None:
        """Forget the rows after `epoch` (a run continued from there)."""
        kept = self._epochs[:self._count] <= epoch
        self._keep(self._epochs[:self._count][kept], self._values[:self._count][kept])

    @property
    def epochs(self) -> list[int]:
        return self._epochs[:self._count].tolist()

    def to_json(self, weight_layers: int) -> dict:
        """Column by column, per-layer ones row by row sliced to `weight_layers`, non-finite values as null."""
        out = {"epoch": self.epochs}
        for name, where in SLICES.items():
            block = self._values[:self._count, where]
            if COLUMNS[name] == 1:
                out[name] = [finite_or_none(float(v)) for v in block[:, 0]]
            else:
                out[name] = [[finite_or_none(float(v)) for v in row[:weight_layers]] for row in block]
        return out

    @classmethod
    def from_json(cls, document: dict) -> "History":
        """The history to_json wrote; ValueError names a column that does not fit."""
        history = cls()
        epochs = document.get("epoch")
        if not isinstance(epochs, list) or len(epochs) > HISTORY_LIMIT:
            raise ValueError(f"history.epoch: a list of at most {HISTORY_LIMIT} epochs")
        rows = np.full((len(epochs), ROW), np.nan, np.float32)
        for name, where in SLICES.items():
            column = document.get(name)
            if not isinstance(column, list) or len(column) != len(epochs):
                raise ValueError(f"history.{name}: one entry per epoch")
            for i, value in enumerate(column):
                values = value if isinstance(value, list) else [value]
                if len(values) > COLUMNS[name]:
                    raise ValueError(f"history.{name}: at most {COLUMNS[name]} values per epoch")
                rows[i, where.start:where.start + len(values)] = [np.nan if v is None else v for v in values]
        history._keep(np.asarray(epochs, np.int64), rows)
        return history
