"""Looking back at a run and going on from an earlier epoch: exact, bounded, and carried by an export."""
import numpy as np
import pytest

from backend.engine.config import Config
from backend.engine.export import export_run, import_run
from backend.engine.history import History
from backend.engine.run import Run
from backend.engine.timeline import MAX_CHECKPOINTS, MAX_REPLAY, Timeline

CHANGES = {12: {"learning_rate": 0.1}, 25: {"optimizer": "adam"}, 31: {"batch_size": 25}}  # epoch: change


def played(frames: int, epochs_per_frame: int = 1, seed: int = 3) -> Run:
    """A run trained frame by frame, its config changed (keeping the weights) at the epochs CHANGES names."""
    run = Run(Config(seed=seed, hidden_layers=[5, 3]))
    run.train(0)
    for _ in range(frames):
        run.train(epochs_per_frame)
        if run.epoch in CHANGES:
            assert not run.reconfigure(run.config.model_copy(update=CHANGES[run.epoch]))
    return run


def assert_same_state(a: Run, b: Run) -> None:
    assert a.epoch == b.epoch and a.config == b.config
    np.testing.assert_array_equal(np.asarray(a.packed), np.asarray(b.packed))


def test_how_epochs_are_split_between_calls_does_not_change_training():
    one, three = Run(Config(seed=3)), Run(Config(seed=3))
    for _ in range(30):
        one.train(1)
    for _ in range(10):
        three.train(3)
    assert_same_state(one, three)


@pytest.mark.parametrize("epoch", [0, 11, 12, 20, 25, 33])
def test_the_run_at_an_earlier_epoch_is_the_run_that_paused_there(epoch):
    """Through changes of learning rate, optimiser and batch size, bit for bit; looking changes nothing."""
    run = played(40)
    before = (np.asarray(run.packed).copy(), run.epoch, len(run.history), dict(run.timeline.checkpoints))
    past, paused = run.at(epoch), played(epoch)
    assert_same_state(past, paused)
    assert past.snapshot.epoch == epoch and past.snapshot.train_loss == paused.train(0).train_loss
    np.testing.assert_array_equal(np.asarray(run.packed), before[0])
    assert (run.epoch, len(run.history), run.timeline.checkpoints) == before[1:]


def test_going_on_from_an_earlier_epoch_is_as_if_the_run_had_paused_there():
    run, paused = played(40), played(20)
    run.rewind(20)
    assert_same_state(run, paused)
    assert run.history.epochs == paused.history.epochs and max(run.timeline.checkpoints) <= 20
    for r in (run, paused):
        for _ in range(15):
            r.train(1)
            if r.epoch in CHANGES:
                r.reconfigure(r.config.model_copy(update=CHANGES[r.epoch]))
    assert_same_state(run, paused)


def test_checkpoints_stay_few_and_evenly_spread():
    run = Run(Config())
    for _ in range(300):
        run.train(1)
    epochs = sorted(run.timeline.checkpoints)
    assert len(epochs) <= MAX_CHECKPOINTS and epochs[0] == 0
    assert max(np.diff([*epochs, run.epoch])) <= 2 * run.timeline.step <= 2 * 300 / (MAX_CHECKPOINTS / 2)
    assert sum(len(c) for c in run.timeline.checkpoints.values()) < 64 * 8 * 1024  # the default network: small


def test_the_history_keeps_an_even_sample_of_a_long_run():
    history, run = History(limit=10), Run(Config())
    for _ in range(25):
        snapshot = run.train(1)
        history.add(run.epoch, snapshot)
    assert len(history) <= 10 and history.epochs[0] == 1 and history.epochs == sorted(history.epochs)
    layers = history.to_json(run.depth + 1)
    assert len(layers["gradient_norms"][0]) == run.depth + 1 and None not in layers["train_loss"]


def test_an_export_carries_the_past_and_a_first_version_one_still_imports():
    run = played(40)
    again = import_run(export_run(run))
    assert_same_state(again.at(20), run.at(20))
    assert again.history.to_json(3) == run.history.to_json(3)
    document = export_run(run)
    old = {**document, "version": 1, "history": [[e, 0.5, 0.6] for e in (1, 2, 3)]}
    del old["timeline"]
    first = import_run(old)
    assert first.history.epochs == [1, 2, 3] and first.timeline.origin == run.epoch
    with pytest.raises(ValueError, match="reaches back"):
        first.at(10)


def test_a_timeline_document_that_does_not_fit_is_refused():
    run = played(20)
    document = run.timeline.to_json()
    size = np.asarray(run.packed).size
    with pytest.raises(ValueError, match="float32 values"):
        Timeline.from_json(document, state_size=size + 1)
    restarting = {**document, "changes": [[5, {**document["config"], "hidden_layers": [2]}]]}
    with pytest.raises(ValueError, match="new network"):
        Timeline.from_json(restarting, state_size=size)


def test_a_branch_is_the_run_as_it_was_and_goes_its_own_way():
    run, paused = played(40), played(20)
    branch = run.branch(20)
    assert_same_state(branch, paused)
    assert branch.history.epochs == paused.history.epochs and max(branch.timeline.checkpoints) <= 20
    branch.train(5)
    assert run.epoch == 40 and run.history.epochs[-1] == 40 and max(run.timeline.checkpoints) > 20


def test_looking_back_further_from_a_checkpoint_than_a_few_seconds_of_training_is_refused():
    """A bound on the work one look back can cost (a document could name any epochs): named in the error."""
    run = Run(Config())
    timeline = Timeline.begin(0, np.asarray(run.packed), run.config)
    timeline.path_to(MAX_REPLAY)
    with pytest.raises(ValueError, match="at most"):
        timeline.path_to(MAX_REPLAY + 1)
