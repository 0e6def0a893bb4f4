"""The WebSocket loop: client commands in, binary frames out, latest frame wins.

Each viewer has one slot for the newest frame, one for the points of the data it was
drawn from, and one sender task; a slow viewer only ever skips frames, so it can neither
queue memory nor hold back training or other viewers. A viewer gets a frame's points
before the frame whenever they are not the points it got last (see Viewer). A playing
session has one driver task that trains epochs_per_frame epochs per frame, at most
max_fps frames a second. A session's stream state (Channel) lives here, beside the session, not in it.
"""
from __future__ import annotations

import asyncio
import json
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Literal, Union

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..engine.config import MAX_SEED, Config
from ..engine.network import MAX_LAYERS
from ..settings import Settings
from .encoding import FrameEncoder, encode_points
from .schemas import MAX_EPOCHS_PER_FRAME, MAX_STEPS_PER_FRAME, ShowRequest
from .sessions import LiveSession

CLOSE_TRY_LATER = 1013  # WebSocket close code: too many streams
CLOSE_POLICY = 1008  # WebSocket close code: origin not allowed, or no such session
BUDGET_RECHECK_SECONDS = 1.0  # how often a session over its client's share of work looks again (pause, delete)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Play(_Message):
    type: Literal["play"]


class Pause(_Message):
    type: Literal["pause"]


class Step(_Message):
    type: Literal["step"]


class Reset(_Message):
    type: Literal["reset"]
    seed: int | None = Field(None, ge=0, le=MAX_SEED)


class ConfigChange(_Message):
    type: Literal["config"]
    config: dict = Field(description="part of a config, as PATCH takes")


class Speed(_Message):
    """How much a frame trains: the playground's epochs, the ConvNet lab's mini-batches (Lab.speed)."""

    type: Literal["speed"]
    epochs_per_frame: int | None = Field(None, ge=1, le=MAX_EPOCHS_PER_FRAME, description="the playground's")
    steps_per_frame: int | None = Field(None, ge=1, le=MAX_STEPS_PER_FRAME, description="the ConvNet lab's")


class View(_Message):
    type: Literal["view"]
    layer: int = Field(ge=0, lt=MAX_LAYERS, description="which hidden layer's projection frames carry")


class Seek(_Message):
    """The playground's: pause and show the run as it was at an earlier epoch (null: as it is now)."""

    type: Literal["seek"]
    epoch: int | None = Field(ge=0)


class Rewind(_Message):
    """The playground's: go back to an earlier epoch and continue from there; what came after is forgotten."""

    type: Literal["rewind"]
    epoch: int = Field(ge=0)


class Show(ShowRequest):
    """The ConvNet lab's: follow an image through the network (as POST .../show takes)."""

    type: Literal["show"]


ClientMessage = TypeAdapter(
    Annotated[Union[Play, Pause, Step, Reset, ConfigChange, Speed, View, Seek, Rewind, Show],
              Field(discriminator="type")]
)


def describe(error: ValidationError) -> str:
    """A short, bounded description of what was wrong, naming the field; never echoes the input."""
    parts = []
    for e in error.errors()[:3]:
        where = ".".join(str(p) for p in e["loc"]) or "message"
        parts.append(f"{where}: {e['msg']}"[:200])
    return "; ".join(parts)


@dataclass(frozen=True)
class Lab:
    """What a stream needs of a lab (the playground, the ConvNet lab): its config model, which field of the
    speed message sets how much a frame trains and its default, a frame encoder for a run (with `fits` and
    `encode`), the message of the data frames are drawn from, and, for a lab whose frames follow an image,
    how a show message makes them follow it."""

    config: Any  # a pydantic model class
    speed: str
    default_speed: int
    encoder: Callable  # (run, view_layer=) -> encoder
    data_message: Callable  # (run, data_version=) -> bytes
    follow: Callable | None = None  # (run, Show) -> None, raising ValueError naming what was wrong
    looks_back: bool = False  # its runs keep a timeline: seek and rewind (Run.at, Run.rewind)


PLAYGROUND = Lab(config=Config, speed="epochs_per_frame", default_speed=1, encoder=FrameEncoder,
                 data_message=encode_points, looks_back=True)


class Viewer:
    """One WebSocket watching a session: slots for the newest frame and its points, and a task that sends them.

    Every frame is drawn from one version of the run's data (its `data_version`). The points of a version go
    out before its first frame this viewer gets, and again only when a frame of another version comes: so the viewer has
    the points of every frame it draws, however frames are skipped, and however offers and sends interleave.
    """

    def __init__(self, ws: WebSocket, send_timeout: float) -> None:
        self.ws, self.send_timeout = ws, send_timeout
        self.latest: bytes | None = None
        self.points: bytes | None = None  # the points of the newest frame's data version, when this viewer lacks them
        self.data_version: int | None = None  # the data version whose points this viewer has, or will have next
        self.ready = asyncio.Event()
        self.texts: asyncio.Queue = asyncio.Queue(maxsize=16)

    def offer(self, frame: bytes, version: int, points: bytes) -> None:
        """The newest frame, of data version `version` whose points message is `points`; it replaces an unsent one."""
        self.latest = frame
        if version != self.data_version:
            self.points, self.data_version = points, version
        self.ready.set()

    def take(self) -> list[bytes]:
        """The binary messages to send now, in order, emptying both slots at once: points, then the frame."""
        messages = [m for m in (self.points, self.latest) if m is not None]
        self.points = self.latest = None
        return messages

    def say(self, message: dict) -> None:
        if not self.texts.full():
            self.texts.put_nowait(message)
            self.ready.set()

    async def pump(self) -> None:
        """Send texts, new points and the newest frame until the socket fails or stalls past the timeout."""
        while True:
            await self.ready.wait()
            self.ready.clear()
            # asyncio.timeout rather than wait_for, which on Python 3.11 runs each send as a Task of its own.
            while not self.texts.empty():
                async with asyncio.timeout(self.send_timeout):
                    await self.ws.send_text(json.dumps(self.texts.get_nowait()))
            for message in self.take():
                async with asyncio.timeout(self.send_timeout):
                    await self.ws.send_bytes(message)


@dataclass(eq=False)
class Channel:
    """A session's stream: who watches it, whether it plays and how fast, which layer's view its frames carry,
    the task that plays it, and the frame encoder and points message of the run's current data version."""

    owner: weakref.ref  # the session, held weakly: a channel goes with its session
    lab: Lab
    viewers: set[Viewer] = field(default_factory=set)
    playing: bool = False
    per_frame: int = 1  # epochs or mini-batches a frame trains (Lab.speed)
    view_layer: int = 0
    driver: asyncio.Task | None = None
    encoder: FrameEncoder | None = None  # for the current network and view
    points: tuple[int, bytes] | None = None  # the points message and the data version it is of

    @property
    def session(self) -> LiveSession:
        return self.owner()

    def pause(self) -> None:
        """Stop playing; the driver sees it before its next frame."""
        self.playing = False
        session = self.session  # None once the session is gone (a driver cancelled as the server stops)
        if session is not None and session.run.status == "running":
            session.run.status = "paused"


_channels: weakref.WeakKeyDictionary[LiveSession, Channel] = weakref.WeakKeyDictionary()


def channel(session: LiveSession, lab: Lab) -> Channel:
    """The session's stream, made when first watched; it goes with the session."""
    if session not in _channels:
        _channels[session] = Channel(weakref.ref(session), lab, per_frame=lab.default_speed)
    return _channels[session]


async def render(ch: Channel, epochs: int, past: int | None = None) -> tuple[bytes, int, bytes]:
    """Train the session's run and encode the frame in the worker pool: the frame, the data version it is
    drawn from (read there, where nothing can rebuild the run meanwhile) and that version's points. With
    `past`, no training: the frame of that earlier epoch (Run.at; ValueError when the run cannot reach it)."""
    view_layer = ch.view_layer

    def work(run):
        snapshot = run.train(epochs) if past is None else run.at(past).snapshot
        if ch.encoder is None or not ch.encoder.fits(run, view_layer=view_layer):
            ch.encoder = ch.lab.encoder(run, view_layer=view_layer)
        if ch.points is None or ch.points[0] != run.data_version:
            ch.points = (run.data_version, ch.lab.data_message(run, data_version=run.data_version))
        frame = ch.encoder.encode(snapshot, data_version=run.data_version, **({} if past is None else {"past": True}))
        return frame, run.data_version, ch.points[1]

    return await ch.session.work(work)


async def publish(ch: Channel, epochs: int) -> None:
    frame, version, points = await render(ch, epochs)
    for viewer in list(ch.viewers):
        viewer.offer(frame, version, points)


async def drive(ch: Channel, settings: Settings) -> None:
    """Train and publish while the session plays, someone watches and the session lives."""
    loop = asyncio.get_running_loop()
    period = 1.0 / settings.max_fps
    due = loop.time()
    run = ch.session.run
    told = False  # the viewers know the client is over its share of work
    try:
        while ch.playing and ch.viewers and not ch.session.closed:
            if wait := ch.session.training_wait():  # over its share: training waits, still watching the limit
                if not told:
                    for viewer in list(ch.viewers):
                        viewer.say({"type": "error", "error": ch.session.budget.refusal(wait)})
                    told = True
                await asyncio.sleep(min(wait, BUDGET_RECHECK_SECONDS))
                continue
            told = False
            await publish(ch, ch.per_frame)
            if run.status == "diverged":
                break
            # A fixed schedule, so sleep's overshoot does not add up; a late frame resets it.
            due = max(due + period, loop.time())
            await asyncio.sleep(due - loop.time())
    finally:
        ch.pause()
        ch.driver = None
        if run.status == "diverged":
            for viewer in list(ch.viewers):
                viewer.say({"type": "status", "status": "diverged"})


async def rewind(session: LiveSession, epoch: int) -> None:
    """Take the session's run back to `epoch` for good (Run.rewind; ValueError when it cannot reach it), and
    tell everyone watching it, with a frame of it: from the stream or from REST alike."""
    ch = _channels.get(session)
    if ch is not None:
        ch.pause()
    session.hurry()
    await session.work(lambda run: run.rewind(epoch))
    if ch is not None and ch.viewers:
        for viewer in list(ch.viewers):
            viewer.say({"type": "rewound", "epoch": session.run.epoch, "config": session.run.config.model_dump()})
        await publish(ch, 0)


def play(ch: Channel, settings: Settings) -> None:
    ch.playing = True
    ch.session.run.status = "running"
    if ch.driver is None:
        ch.driver = asyncio.create_task(drive(ch, settings))


async def handle(ch: Channel, message: dict, viewer: Viewer, settings: Settings) -> None:
    """Carry out one validated client message."""
    kind, session = message["type"], ch.session
    if kind == "play":
        if session.run.status == "diverged":
            viewer.say({"type": "error", "error": "the network diverged; reset to start again"})
        else:
            play(ch, settings)
    elif kind == "pause":
        ch.pause()
    elif kind == "step":
        ch.pause()
        if wait := session.training_wait():
            viewer.say({"type": "error", "error": session.budget.refusal(wait)})
            return
        session.hurry()
        await publish(ch, 1)
    elif kind == "reset":
        await session.reset(message.get("seed"))
        await publish(ch, 0)
    elif kind == "speed":
        if message[ch.lab.speed] is None:
            viewer.say({"type": "error", "error": f"speed: give {ch.lab.speed}"})
            return
        ch.per_frame = message[ch.lab.speed]
    elif kind == "view":
        ch.view_layer = message["layer"]
        session.hurry()
        if not ch.playing:
            await publish(ch, 0)
    elif kind in ("seek", "rewind"):
        if not ch.lab.looks_back:
            viewer.say({"type": "error", "error": f"{kind}: this lab keeps no timeline"})
            return
        ch.pause()
        session.hurry()
        epoch = message["epoch"]
        try:
            if kind == "rewind":
                await rewind(session, epoch)
            elif epoch is not None and epoch < session.run.epoch:  # for the viewer who asked, no other
                viewer.offer(*await render(ch, 0, past=epoch))
            else:
                await publish(ch, 0)
        except ValueError as error:
            viewer.say({"type": "error", "error": str(error)})
    elif kind == "show":
        if ch.lab.follow is None:
            viewer.say({"type": "error", "error": "show: this lab's frames follow no image"})
            return
        session.hurry()
        try:
            await session.work(lambda run: ch.lab.follow(run, Show.model_validate(message)))
        except ValueError as error:
            viewer.say({"type": "error", "error": f"{getattr(error, 'field', None) or 'show'}: {error}"})
            return
        if not ch.playing:
            await publish(ch, 0)
    elif kind == "config":
        merged = {**session.run.config.model_dump(), **message["config"]}
        try:
            config = ch.lab.config.model_validate(merged)
        except ValidationError as error:
            if len(message.get("parts", ())) > 1:  # merged changes, one of them bad: each on its own
                for part in message["parts"]:
                    await handle(ch, {"type": "config", "config": part}, viewer, settings)
                return
            viewer.say({"type": "error", "error": describe(error)})
            return
        restarted = await session.reconfigure(config)
        for other in list(ch.viewers):
            other.say({"type": "config", "config": config.model_dump(), "restarted": restarted})
        if not ch.playing:
            await publish(ch, 0)


@dataclass
class OpenStreams:
    """The server's open streams, in all and per client (Settings.client_of), against their limits."""

    total: int = 0
    by_client: Counter = field(default_factory=Counter)

    def refusal(self, client: str, settings: Settings) -> str | None:
        """Why one more stream for `client` is refused (a close reason naming the limit), or None."""
        if self.total >= settings.max_streams:
            return "too many streams; try again later"
        if self.by_client[client] >= settings.max_streams_per_client:
            return f"max_streams_per_client: one client may hold {settings.max_streams_per_client} streams"
        return None

    def opened(self, client: str) -> None:
        self.total += 1
        self.by_client[client] += 1

    def closed(self, client: str) -> None:
        self.total -= 1
        self.by_client[client] -= 1
        if not self.by_client[client]:
            del self.by_client[client]


async def serve(ws: WebSocket, session: LiveSession | None, lab: Lab, settings: Settings,
                open_streams: OpenStreams) -> None:
    """The whole life of one stream connection."""
    if not settings.origin_allowed(ws.headers.get("origin"), ws.headers.get("host")):
        await ws.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    if session is None:
        await ws.close(code=CLOSE_POLICY, reason="no such session")
        return
    client = settings.client_of_request(ws)
    if (refusal := open_streams.refusal(client, settings)) is not None:
        await ws.close(code=CLOSE_TRY_LATER, reason=refusal)
        return
    await ws.accept()
    open_streams.opened(client)
    viewer, ch = Viewer(ws, settings.send_timeout), channel(session, lab)
    ch.viewers.add(viewer)
    session.watchers += 1
    session.used = True
    sender = asyncio.create_task(viewer.pump())
    try:
        await publish(ch, 0)
        receiver = asyncio.create_task(_receive(ws, ch, viewer, settings))
        ended = asyncio.create_task(session.ended.wait())
        done, _ = await asyncio.wait({sender, receiver, ended}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sender, receiver, ended):
            task.cancel()
        for task in done:  # a stalled or closed peer ends the stream; its error is expected, not news
            if not task.cancelled():
                task.exception()
        if ended in done:  # the page hears "no such session" and starts a new one
            await ws.close(code=CLOSE_POLICY, reason="the session was deleted")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sender.cancel()
        ch.viewers.discard(viewer)
        session.watchers -= 1
        open_streams.closed(client)
        if not ch.viewers:
            ch.pause()
        session.touch()


MAX_WAITING = 16  # client messages a stream holds unread at most: beyond it, reading waits (TCP pushes back)


class Inbox:
    """A stream's validated client messages, waiting their turn in arrival order. A config change that
    arrives while another waits merges into it (the later value of a field wins): a burst of changes, made
    faster than each new network shape compiles, builds one network rather than each in turn. The merged
    message keeps its parts, so that one bad change does not sink the good ones (handle)."""

    def __init__(self) -> None:
        self.messages: deque[dict | None] = deque()
        self.arrived = asyncio.Event()
        self.taken = asyncio.Event()

    def put(self, message: dict | None) -> None:
        """Queue a message; None: the connection ended."""
        last = self.messages[-1] if self.messages else None
        if message is not None and last is not None and last["type"] == message["type"] == "config":
            last["parts"] = [*last.get("parts", [last["config"]]), message["config"]]
            last["config"] = {**last["config"], **message["config"]}
        else:
            self.messages.append(message)
        self.arrived.set()

    async def room(self) -> None:
        """Wait until fewer than MAX_WAITING messages wait."""
        while len(self.messages) >= MAX_WAITING:
            self.taken.clear()
            await self.taken.wait()

    async def get(self) -> dict | None:
        while not self.messages:
            self.arrived.clear()
            await self.arrived.wait()
        self.taken.set()
        return self.messages.popleft()


async def _read(ws: WebSocket, viewer: Viewer, settings: Settings, inbox: Inbox) -> None:
    """Validate what the client sends into the inbox, answering what is wrong at once, until it hangs up."""
    try:
        while True:
            await inbox.room()
            event = await ws.receive()
            if event["type"] == "websocket.disconnect":
                return
            text = event.get("text")
            if text is None:
                viewer.say({"type": "error", "error": "messages must be JSON text"})
                continue
            if len(text) > settings.max_message_bytes:
                viewer.say({"type": "error", "error": f"message larger than {settings.max_message_bytes} bytes"})
                continue
            try:
                inbox.put(ClientMessage.validate_json(text).model_dump())
            except ValidationError as error:
                viewer.say({"type": "error", "error": describe(error)})
    except (WebSocketDisconnect, RuntimeError):  # the peer went: expected, not news
        return
    finally:
        inbox.put(None)


async def _receive(ws: WebSocket, ch: Channel, viewer: Viewer, settings: Settings) -> None:
    """Carry out the client's messages one at a time, in order, while reading goes on (Inbox)."""
    inbox = Inbox()
    reader = asyncio.create_task(_read(ws, viewer, settings, inbox))
    try:
        while (message := await inbox.get()) is not None:
            if ch.session.closed:
                viewer.say({"type": "error", "error": "the session was deleted"})
                return
            await handle(ch, message, viewer, settings)
    finally:
        reader.cancel()
