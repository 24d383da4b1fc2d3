"""The server fires the workflows' timer and breach transitions itself, one worker at a time."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from structlog.testing import capture_logs
from web_support import JAKARTA, in_process, settings_for

from onestop.exceptions import ConfigurationError, StorageError
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.web._timers import TimerFiring, has_timers

TUTORIAL = Path(__file__).parents[2] / "examples" / "tutorial" / "mall.toml"


class Firing:
    """A mall whose fire_timers counts its calls and moves what it is told to."""

    def __init__(self, *moves: tuple[str, ...] | Exception) -> None:
        self.moves = list(moves)
        self.calls = 0

    def fire_timers(self) -> tuple[str, ...]:
        self.calls += 1
        move = self.moves.pop(0) if self.moves else ()
        if isinstance(move, Exception):
            raise move
        return move


def test_a_catalogue_with_a_timer_or_breach_transition_has_timers() -> None:
    """Jakarta's workflows have timer transitions; the tutorial's have none."""
    assert has_timers(load_catalogue(JAKARTA))
    assert not has_timers(load_catalogue(TUTORIAL))


def test_a_round_fires_the_malls_timers_and_counts_what_moved(tmp_path: Path) -> None:
    """Each round calls fire_timers once and counts the applications it moved."""
    mall = Firing(("a-1", "a-2"), ())
    timers = TimerFiring(mall, every=60)  # type: ignore[arg-type]
    assert (timers.fire(), timers.fire()) == (2, 0)
    assert (mall.calls, timers.rounds, timers.moved) == (2, 2, 2)


def test_a_round_another_process_holds_is_let_go(tmp_path: Path) -> None:
    """While another process holds the lock file, a round fires nothing; after, it fires."""
    lock = tmp_path / "timers-lock"
    mall = Firing(("a-1",))
    timers = TimerFiring(mall, every=60, lock=lock)  # type: ignore[arg-type]
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert timers.fire() == 0
        assert mall.calls == 0
    finally:
        os.close(fd)
    assert timers.fire() == 1


def test_workers_sharing_the_lock_fire_about_once_per_interval(tmp_path: Path) -> None:
    """Of two workers sharing the lock file, the second lets its round go while the
    first began one less than *every* seconds ago, and fires once that has passed."""
    lock = tmp_path / "timers-lock"
    one, two = Firing(), Firing()
    first = TimerFiring(one, every=0.2, lock=lock)  # type: ignore[arg-type]
    second = TimerFiring(two, every=0.2, lock=lock)  # type: ignore[arg-type]
    first.fire()
    second.fire()
    assert (one.calls, two.calls) == (1, 0)
    time.sleep(0.25)
    second.fire()
    assert two.calls == 1


def test_the_timers_lock_lies_beside_the_limits_directory(tmp_path: Path) -> None:
    """The lock file (and the callbacks' replay directory) lie beside the limits'
    directory, never in it, whatever trailing slash the setting has."""
    from onestop.web._app import _beside_limits, _replay_dir

    settings = settings_for(tmp_path, limits_dir=f"{tmp_path / 'limits'}/")
    assert _beside_limits(settings, ".timers-lock") == tmp_path / "limits.timers-lock"
    assert _replay_dir(settings) == str(tmp_path / "limits.callbacks")


def test_a_failing_round_is_logged_by_class_and_the_next_one_runs(tmp_path: Path) -> None:
    """A round whose store fails logs timers_failed with the error's class only, and
    the next round fires."""
    mall = Firing(StorageError("the disk at /secret went away"), ("a-1",))
    timers = TimerFiring(mall, every=60)  # type: ignore[arg-type]
    with capture_logs() as logs:
        assert timers.fire() == 0
    assert logs == [{"event": "timers_failed", "error": "StorageError", "log_level": "warning"}]
    assert timers.fire() == 1


def test_a_started_firing_fires_rounds_until_stopped() -> None:
    """Started, it fires a round every *every* seconds; stopped, it fires no more."""
    mall = Firing()
    timers = TimerFiring(mall, every=0.01)  # type: ignore[arg-type]
    timers.start()
    deadline = time.monotonic() + 10
    while mall.calls < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    timers.stop()
    stopped = mall.calls
    time.sleep(0.05)
    assert stopped >= 3
    assert mall.calls == stopped


def test_the_server_fires_timers_unless_told_not_to(tmp_path: Path) -> None:
    """A worker serving a catalogue with timers runs a TimerFiring thread, and none with
    timers_every 0."""
    found = []
    for name, options in (("jakarta", {}), ("off", {"timers_every": 0})):
        (tmp_path / name).mkdir()
        with in_process(settings_for(tmp_path / name, **options)) as client:
            timers = client.app.state.timers
            found.append(None if timers is None else timers._thread.is_alive())
    assert found == [True, None]


def test_no_thread_runs_for_a_catalogue_without_timers(tmp_path: Path) -> None:
    """A catalogue whose workflows have no timer or breach transition starts no thread."""
    from onestop.web._app import _timer_firing

    runtime = SimpleNamespace(mall=SimpleNamespace(catalogue=load_catalogue(TUTORIAL)))
    assert _timer_firing(settings_for(tmp_path), runtime) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("every", [True, -1, 86_401, 1.5, "60"])
def test_a_timer_interval_out_of_range_is_a_configuration_error(
    tmp_path: Path, every: object
) -> None:
    """timers_every must be whole seconds from 0 to a day: else ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match="timers_every"):
        settings_for(tmp_path, timers_every=every)
