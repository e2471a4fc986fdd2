"""A warm pool of sandbox worker processes that run model scripts.

A script that loops in C (`sum(range(10**9))`), sleeps or allocates cannot be stopped from
inside the interpreter that runs it; a process can be. Each call takes an idle worker (see
script_worker.py), sends it the script and the task data, and waits for the reply until
the time limit (plus a small grace for the worker to report its own overrun). A worker that
overruns is killed and a replacement is started in the background, so the next script does
not pay for a process start; one that finishes normally goes back to the pool.

Replies are unpickled with a whitelist of the value types task data may hold, so even a
worker whose sandbox was broken could not make this process build arbitrary objects.
"""

import atexit
import io
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bpmn.sandbox import ScriptError, ScriptMemoryError, ScriptTimeout
from bpmn.script_worker import _HEADER

IDLE_WORKERS = 2  # kept warm per process
MAX_WORKERS = 8  # scripts running at the same time per process
GRACE_SECONDS = 0.3  # for the worker to report its own overrun before it is killed
START_SECONDS = 30.0
MAX_REPLY_BYTES = 64 << 20
_PLATFORM_DIR = str(Path(__file__).resolve().parent.parent)


class _Worker:
    def __init__(self):
        # Isolated interpreter (-I: no PYTHON* variables, no current directory on the path)
        # and an environment without the server's secrets (DATABASE_URL, keys): a script
        # that escaped RestrictedPython would find little to read.
        boot = f"import sys; sys.path.insert(0, {_PLATFORM_DIR!r}); "
        boot += "from bpmn.script_worker import serve; serve()"
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", boot],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            cwd=_PLATFORM_DIR,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is for the server, not for us
        )
        if self._reply(time.monotonic() + START_SECONDS) != b"ready":
            self.kill()
            raise ScriptError("the script sandbox process could not be started")

    def call(self, job: bytes, deadline: float) -> bytes | None:
        """The reply, or None when the deadline passed or the worker died first."""
        try:
            self.proc.stdin.write(_HEADER.pack(len(job)) + job)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._reply(deadline)

    def _reply(self, deadline: float) -> bytes | None:
        header = self._read(_HEADER.size, deadline)
        if header is None:
            return None
        size = _HEADER.unpack(header)[0]
        return self._read(size, deadline) if size <= MAX_REPLY_BYTES else None

    def _read(self, size: int, deadline: float) -> bytes | None:
        fd, chunks, left = self.proc.stdout.fileno(), [], size
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> int | None:
        """Stop the process; its exit status (negative: the signal that ended it)."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code


class ScriptPool:
    def __init__(self, idle: int = IDLE_WORKERS, max_workers: int = MAX_WORKERS):
        self.pid = os.getpid()
        self.idle_size = idle
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_workers)
        self.started = 0  # processes started, for tests and diagnostics

    def run(
        self, source: str, data: dict, extra_names: dict, seconds: float, memory_mb: int
    ) -> dict[str, Any]:
        job = _pack(source, data, extra_names, seconds, memory_mb)
        if not self._slots.acquire(timeout=seconds):
            raise ScriptTimeout(
                f"script stopped: time limit of {seconds:g} s exceeded while waiting for a "
                "free sandbox process"
            )
        try:
            worker = self._take()
            reply = worker.call(job, time.monotonic() + seconds + GRACE_SECONDS)
            if reply is None:
                code = worker.kill()
                self._replace()
                raise _overrun(code, seconds, memory_mb)
            kind, value = _unpack(reply)
            if kind == "memory":
                worker.kill()
                self._replace()
            else:
                self._give_back(worker)
        finally:
            self._slots.release()
        if kind == "ok":
            return value
        raise {"memory": ScriptMemoryError, "timeout": ScriptTimeout}.get(kind, ScriptError)(value)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        self.started += 1
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self.idle_size:
                self._idle.append(worker)
                return
        worker.kill()

    def _replace(self) -> None:
        """Start a worker in the background so the next script finds one warm."""

        def start():
            try:
                self.started += 1
                self._give_back(_Worker())
            except (OSError, ScriptError):
                pass  # the next call starts one itself and reports the failure

        threading.Thread(target=start, name="script-pool-refill", daemon=True).start()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def warm(self) -> None:
        while len(self._idle) < self.idle_size:
            self.started += 1
            self._give_back(_Worker())

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.kill()


def _overrun(code: int | None, seconds: float, memory_mb: int) -> ScriptError:
    if code is not None and code > 0:
        return ScriptMemoryError(f"script stopped: memory limit of {memory_mb} MB exceeded")
    if code == -24:  # SIGXCPU: the kernel's CPU limit
        return ScriptTimeout(f"script stopped: CPU time limit of {seconds:g} s exceeded")
    return ScriptTimeout(f"script stopped: time limit of {seconds:g} s exceeded")


def _pack(source: str, data: dict, extra_names: dict, seconds: float, memory_mb: int) -> bytes:
    for name, value in extra_names.items():
        try:
            pickle.dumps(value)
        except Exception:
            raise ScriptError(
                f"script helper {name!r} cannot be sent to the script sandbox process"
            ) from None
    try:
        return pickle.dumps(
            (source, data, extra_names, seconds, memory_mb), protocol=pickle.HIGHEST_PROTOCOL
        )
    except Exception as exc:
        raise ScriptError(
            f"the task data cannot be sent to the script sandbox process ({exc})"
        ) from None


_ALLOWED = (
    {("builtins", name) for name in ("set", "frozenset", "complex", "bytearray", "slice", "range")}
    | {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")}
    | {("decimal", "Decimal"), ("zoneinfo", "ZoneInfo._unpickle")}
)


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise ScriptError(
                f"the script left a value of type {module}.{name}, which cannot be task data"
            )
        return super().find_class(module, name)


def _unpack(reply: bytes) -> tuple[str, Any]:
    try:
        kind, value = _DataUnpickler(io.BytesIO(reply)).load()
    except ScriptError as exc:
        return "error", str(exc)
    except Exception:
        return "error", "the script sandbox process sent a reply that could not be read"
    return kind, value


_pool: ScriptPool | None = None
_pool_lock = threading.Lock()


def pool() -> ScriptPool:
    """This process's pool (a forked child gets its own, not its parent's workers)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = ScriptPool()
        return _pool


def run(source: str, data: dict, extra_names: dict, seconds: float, memory_mb: int) -> dict:
    return pool().run(source, data, extra_names, seconds, memory_mb)


@atexit.register
def _close() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()
