"""One dream at a time per store.

Scheduled dreams fire from cron, timers and session hooks, so two of them
can start on the same store at once.  Each dream therefore runs under the
store's *dream lock*, held **in the store** (the one-row ``dream_lock``
table) rather than in a file beside it: taking the lock, renewing it and
taking over a stale one are each a single SQLite write transaction, i.e. a
compare-and-swap under SQLite's own write lock, so no two processes can
ever both win, on one host or several sharing a volume.

The holder records its pid, host, process start time, start time and a
heartbeat that a daemon thread renews every ``heartbeat`` seconds.  A lock
is *stale*, and the next dream takes it over, when

* its holder ran on this host and that process is gone (the pid does not
  exist, or now belongs to a process that started at another time), or
* its heartbeat is older than ``stale_after`` seconds (any host; a process
  that is alive but stopped or hung counts as gone).

A holder that was judged stale but wakes up again cannot do harm: the
version write is *fenced* (``Store.fence``): ``Store.write_version`` checks,
inside its own transaction, that the lock still carries this dream's token,
and writes nothing otherwise.  Its heartbeat thread also notices the loss
(``DreamLock.lost``).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dreaming.errors import DreamingError
from dreaming.ids import new_id
from dreaming.records import utcnow
from dreaming.store import SQLiteError
from dreaming.store.core import LockHolder, Store


@dataclass(frozen=True, kw_only=True)
class LockConfig:
    """Timings of the dream lock."""

    #: seconds between heartbeats
    heartbeat: float = 5.0
    #: a heartbeat older than this (seconds) marks the holder as gone, on any host
    stale_after: float = 60.0
    #: seconds between attempts while waiting for the lock
    poll: float = 0.2


class LockHeld(DreamingError):
    """Another live process holds the store's dream lock."""

    def __init__(self, message: str, *, holder: LockHolder):
        self.holder = holder
        super().__init__(message)


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque string (Linux: clock ticks
    since boot from ``/proc``), or ``None`` where the OS does not tell us."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def pid_space() -> str:
    """Which pids this process can see: its pid namespace and the boot it runs
    in (Linux; empty elsewhere).  Two containers with one host name have
    different ones: a pid from the other is meaningless here."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            boot = fh.read().strip()
    except OSError:
        boot = ""
    return f"{namespace}/{boot}" if namespace or boot else ""


def holder_identity(pid: int) -> str | None:
    """``proc_start`` as the lock records it: the start time, then ``@`` and the pid space."""
    start = process_start(pid)
    space = pid_space()
    return f"{start}@{space}" if start is not None and space else start


def pid_alive(pid: int, proc_start: str | None = None) -> bool:
    """Whether the process that recorded ``(pid, proc_start)`` still runs here."""
    if proc_start is not None and "@" in proc_start:
        proc_start = proc_start.split("@", 1)[0]
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        pass
    except OSError:
        return False
    if proc_start is not None:
        now = process_start(pid)
        if now is not None and now != proc_start:
            return False  # the pid was reused by a newer process
    return True


def is_stale(holder: LockHolder, *, now: datetime, config: LockConfig, host: str | None = None) -> bool:
    """See the module docstring."""
    same_space = holder.proc_start is None or "@" not in holder.proc_start or holder.proc_start.split("@", 1)[1] == pid_space()
    if holder.host == (host or socket.gethostname()) and same_space and not pid_alive(holder.pid, holder.proc_start):
        return True  # (a holder in another pid namespace or boot is judged by its heartbeat alone)
    return (now - holder.heartbeat_at).total_seconds() > config.stale_after


def describe(holder: LockHolder, *, now: datetime) -> str:
    """``pid 123 on host x since ..., last heartbeat 3 s ago``."""
    since = holder.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    beat = max(0.0, (now - holder.heartbeat_at).total_seconds())
    what = f" ({holder.command})" if holder.command else ""
    return f"pid {holder.pid}{what} on host {holder.host} since {since}, last heartbeat {_ago(beat)}"


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


class DreamLock:
    """A held dream lock.  A daemon thread renews its heartbeat until
    :meth:`release`; ``lost`` is set if another process took it over."""

    def __init__(self, store_path: Path, holder: LockHolder, config: LockConfig):
        self.store_path = store_path
        self.holder = holder
        self.config = config
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="dreaming-lock-heartbeat", daemon=True)

    @property
    def token(self) -> str:
        return self.holder.token

    def start(self) -> DreamLock:
        self._thread.start()
        return self

    def _beat(self) -> None:
        store: Store | None = None
        try:
            while not self._stop.wait(self.config.heartbeat):
                try:
                    store = store or Store.open(self.store_path, create=False)
                    if not store.renew_lock(self.token, utcnow()):
                        self.lost.set()
                        return
                except Exception as err:  # busy or briefly unreadable: try again at the next beat
                    print(f"dreaming: lock heartbeat failed ({err}); retrying", file=sys.stderr)
        finally:
            if store is not None:
                store.close()

    def release(self) -> None:
        """Stop the heartbeat and drop the lock (if it is still ours)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        try:
            with Store.open(self.store_path, create=False) as store:
                store.release_lock(self.token)
        except (DreamingError, SQLiteError) as err:  # the lock goes stale once this process exits
            print(f"dreaming: could not release the dream lock ({err}); it will be taken over as stale", file=sys.stderr)

    def __enter__(self) -> DreamLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(
    store_path: str | os.PathLike[str],
    *,
    wait: float = 0.0,
    config: LockConfig = LockConfig(),
    command: str = "",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DreamLock:
    """Take the dream lock of the store at ``store_path``, waiting up to
    ``wait`` seconds for a live holder to finish; raises :class:`LockHeld`
    naming the holder when it does not.  The returned lock is already
    heartbeating; release it (or use it as a context manager)."""
    path = Path(store_path)
    host = socket.gethostname()
    now = utcnow()
    mine = LockHolder(
        token=new_id("lock"), pid=os.getpid(), host=host, proc_start=holder_identity(os.getpid()),
        started_at=now, heartbeat_at=now, command=command,
    )
    deadline = clock() + max(0.0, wait)
    with Store.open(path) as store:
        while True:
            holder = store.try_lock(mine, stale=lambda h: is_stale(h, now=utcnow(), config=config, host=host))
            if holder is None:
                break
            remaining = deadline - clock()
            if remaining <= 0:
                waited = f" after waiting {wait:g} s" if wait > 0 else ""
                hint = "wait longer with --wait SECONDS" if wait > 0 else "wait for it with --wait SECONDS"
                raise LockHeld(
                    f"{path}: another dream holds the store's lock{waited}: {describe(holder, now=utcnow())}; {hint}",
                    holder=holder,
                )
            sleep(min(config.poll, remaining))
    return DreamLock(path, mine, config).start()


class HeldLock:
    """The dream lock a block holds on a store (what :func:`dream_lock`
    yields): ``lost``, ``token`` and :meth:`paused`."""

    def __init__(self, store: Store, lock: DreamLock, *, config: LockConfig, command: str):
        self.store = store
        self.lock = lock
        self.config = config
        self.command = command

    @property
    def token(self) -> str:
        return self.lock.token

    @property
    def lost(self) -> threading.Event:
        return self.lock.lost

    @contextmanager
    def paused(self, *, wait: float = 24 * 3600.0) -> Iterator[None]:
        """Let go of the lock for a long wait (a Message Batch being
        processed), then take it back; the store's writes are fenced by the
        new token, and the writer re-checks HEAD (``Changeset.expected_parent``)."""
        self.store.fence = None
        self.lock.release()
        try:
            yield
        finally:
            self.lock = acquire(self.store.path, wait=wait, config=self.config, command=self.command)
            self.store.fence = self.lock.token


@contextmanager
def dream_lock(
    store: Store, *, wait: float = 0.0, config: LockConfig = LockConfig(), command: str = "dreaming run"
) -> Iterator[HeldLock]:
    """Run a dream on ``store`` under its lock: the store's version writes
    are fenced by the lock's token while the block runs.  Runs left
    ``running`` by a process that died are marked failed first (holding the
    lock, we know none is running)."""
    lock = acquire(store.path, wait=wait, config=config, command=command)
    try:
        store.close_interrupted_runs(at=utcnow(), reason="interrupted: the process ended before the run finished")
    except BaseException:
        lock.release()
        raise
    held = HeldLock(store, lock, config=config, command=command)
    store.fence = lock.token
    try:
        yield held
    finally:
        store.fence = None
        held.lock.release()
