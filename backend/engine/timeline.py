"""A run's past: enough to show any earlier epoch again and to continue training from it exactly.

Checkpoints of the training state (the packed vector, zlib-compressed: it is mostly padding; sizes in the
README's "Looking back") at the first frame at least `step` epochs after the last one kept. When more than
MAX_CHECKPOINTS are held every other one goes (the origin stays) and the step doubles, so they stay evenly
spread over the whole run, at most MAX_CHECKPOINTS of them, and reaching any epoch again re-trains at most
about epoch / (MAX_CHECKPOINTS / 2) epochs (and never more than MAX_REPLAY). Beside them, every config change that kept the
weights (learning rate, optimiser, batch size, regularisation, loss), at its epoch, in order.

The state at an earlier epoch is the last checkpoint at or before it, trained on to it through the changes
in between (run.Run.at): training is deterministic however its epochs are split between calls (a test
checks). A checkpoint at epoch e holds the state before any change made at e.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import zlib
from dataclasses import dataclass, field

import numpy as np

from .config import RESTARTING, Config

MAX_CHECKPOINTS = 64  # held at most; then every other goes and the step doubles
MAX_REPLAY = 20000  # epochs re-trained to reach a past epoch at most (seconds of work): beyond, it is refused
MAX_EPOCH = 10**8  # the largest epoch a timeline document may name
MAX_CHANGES = 256  # config changes remembered; one more starts the timeline afresh at that epoch
LEVEL = 1  # zlib's fastest level: padding compresses as well as at 6, in a third of the time


@dataclass
class Timeline:
    """Checkpoints and changes from `origin` (the first epoch that can be reached again) to now."""

    origin: int
    config: Config  # in force at the origin's checkpoint
    checkpoints: dict[int, bytes] = field(default_factory=dict)  # epoch -> compressed packed state
    changes: list[tuple[int, Config]] = field(default_factory=list)  # (epoch, the config from then on)
    step: int = 1  # epochs between checkpoints, at least

    @classmethod
    def begin(cls, epoch: int, packed: np.ndarray, config: Config) -> "Timeline":
        timeline = cls(origin=epoch, config=config)
        timeline.keep(epoch, packed)
        return timeline

    def due(self, epoch: int) -> bool:
        """Whether a frame at `epoch` should be kept (then `keep` it)."""
        return epoch - max(self.checkpoints) >= self.step

    def keep(self, epoch: int, packed: np.ndarray) -> None:
        self.checkpoints[epoch] = zlib.compress(np.asarray(packed).tobytes(), LEVEL)
        if len(self.checkpoints) > MAX_CHECKPOINTS:
            self.checkpoints = {e: self.checkpoints[e] for e in sorted(self.checkpoints)[::2]}
            self.step *= 2

    def changed(self, epoch: int, config: Config) -> bool:
        """Remember a change that kept the weights; False when there are too many to remember (then begin a
        new timeline here)."""
        if len(self.changes) >= MAX_CHANGES:
            return False
        self.changes.append((epoch, config))
        return True

    def path_to(self, epoch: int) -> tuple[int, np.ndarray, Config, list[tuple[int, Config]]]:
        """How to reach `epoch` again: the last checkpoint at or before it (its epoch, packed state and config
        in force), and the changes made from then up to `epoch`."""
        if not self.origin <= epoch:
            raise ValueError(f"epoch: the run's past reaches back to epoch {self.origin}")
        start = max(e for e in self.checkpoints if e <= epoch)
        if epoch - start > MAX_REPLAY:
            raise ValueError(f"epoch: {epoch - start} epochs after the nearest checkpoint; at most {MAX_REPLAY} are "
                             "trained again to look back")
        config = self.config
        for at, changed in self.changes:
            if at < start:
                config = changed
        packed = np.frombuffer(zlib.decompress(self.checkpoints[start]), np.float32)
        return start, packed, config, [(at, c) for at, c in self.changes if start <= at <= epoch]

    def copy(self) -> "Timeline":
        return dataclasses.replace(self, checkpoints=dict(self.checkpoints), changes=list(self.changes))

    def until(self, epoch: int) -> None:
        """Forget everything after `epoch` (the run goes on from there)."""
        self.checkpoints = {e: c for e, c in self.checkpoints.items() if e <= epoch}
        self.changes = [(at, c) for at, c in self.changes if at <= epoch]

    def to_json(self) -> dict:
        return {
            "origin": self.origin, "config": self.config.model_dump(), "step": self.step,
            "checkpoints": {str(e): base64.b64encode(c).decode("ascii") for e, c in sorted(self.checkpoints.items())},
            "changes": [[at, c.model_dump()] for at, c in self.changes],
        }

    @classmethod
    def from_json(cls, document: dict, state_size: int) -> "Timeline":
        """The timeline to_json wrote; ValueError names what does not fit (a checkpoint must unpack to
        `state_size` values)."""
        timeline = cls(origin=int(document["origin"]), config=Config.model_validate(document["config"]),
                       step=max(1, int(document["step"])))
        if not 0 < len(document["checkpoints"]) <= MAX_CHECKPOINTS:
            raise ValueError(f"timeline.checkpoints: 1 to {MAX_CHECKPOINTS} of them")
        for epoch, data in document["checkpoints"].items():
            if not str(epoch).isdigit() or int(epoch) > MAX_EPOCH:
                raise ValueError(f"timeline.checkpoints: {str(epoch)[:20]} is not an epoch")
            try:
                raw = zlib.decompressobj().decompress(base64.b64decode(data, validate=True), 4 * state_size + 1)
            except (zlib.error, binascii.Error):
                raise ValueError(f"timeline.checkpoints.{epoch}: not a compressed state") from None
            if len(raw) != 4 * state_size:
                raise ValueError(f"timeline.checkpoints.{epoch}: expected {state_size} float32 values")
            timeline.checkpoints[int(epoch)] = zlib.compress(raw, LEVEL)
        if timeline.origin not in timeline.checkpoints:
            raise ValueError("timeline.checkpoints: none at the origin")
        if len(document["changes"]) > MAX_CHANGES:
            raise ValueError(f"timeline.changes: at most {MAX_CHANGES}")
        timeline.changes = [(int(at), Config.model_validate(c)) for at, c in document["changes"]]
        if [at for at, _ in timeline.changes] != sorted(at for at, _ in timeline.changes):
            raise ValueError("timeline.changes: in the order they were made")
        configs = [timeline.config, *(c for _, c in timeline.changes)]
        for i, (before, after) in enumerate(zip(configs, configs[1:])):
            if any(getattr(before, name) != getattr(after, name) for name in RESTARTING):
                raise ValueError(f"timeline.changes.{i}: a change that starts a new network")
        return timeline
