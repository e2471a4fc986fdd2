"""A sandbox worker process: runs scripts sent by script_pool.py, one at a time.

Started by script_pool.py (an isolated interpreter calling `serve()`). It reads jobs from stdin and writes replies to
its original stdout (each a 4-byte length and a pickle); anything a script or library
prints goes to /dev/null instead. Before each job it lowers its own soft limits: address
space (its size at start plus the script's memory limit) and CPU time (what it has used so
far plus the script's time limit, so a CPU-bound script that the parent fails to stop is
killed by the kernel with SIGXCPU). Soft limits only: they can be raised again for the next
job, and the script cannot reach `resource` to do so itself.
"""

import math
import os
import pickle
import resource
import struct
import sys

_HEADER = struct.Struct(">I")


def read_frame(stream) -> bytes | None:
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(stream, _HEADER.unpack(header)[0])


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream, payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit(seconds: float, memory_mb: int, baseline: int) -> None:
    soft_as = baseline + memory_mb * 1024 * 1024 if baseline and memory_mb else -1
    resource.setrlimit(resource.RLIMIT_AS, (soft_as, resource.RLIM_INFINITY))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.RLIM_INFINITY))


def _unlimit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _run(job: bytes, baseline: int) -> tuple[bytes, bool]:
    """The reply to one job, and whether this process should end after it (memory)."""
    from bpmn.sandbox import ScriptError, ScriptMemoryError, ScriptTimeout
    from bpmn.script_runner import execute_here, memory_message

    source, data, extra_names, seconds, memory_mb = pickle.loads(job)
    try:
        _limit(seconds, memory_mb, baseline)
        try:
            result = execute_here(source, data, extra_names, seconds, memory_mb)
            reply = pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            _unlimit()
    except ScriptMemoryError as exc:
        return pickle.dumps(("memory", str(exc))), True
    except MemoryError:
        return pickle.dumps(("memory", memory_message(memory_mb))), True
    except ScriptTimeout as exc:
        return pickle.dumps(("timeout", str(exc))), False
    except ScriptError as exc:
        return pickle.dumps(("error", str(exc))), False
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        message = f"the script left a value that cannot be stored as task data ({exc})"
        return pickle.dumps(("error", message)), False
    return reply, False


def serve() -> None:
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    jobs = os.fdopen(os.dup(0), "rb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a SIGXCPU end leaves no core file

    from bpmn.script_runner import execute_here

    execute_here("warm = re.sub('a', 'b', 'a') + str(Decimal(1))", {}, None, 1.0)
    baseline = _address_space()
    write_frame(replies, b"ready")
    while True:
        job = read_frame(jobs)
        if job is None:  # the parent closed the pipe or died
            return
        reply, finished = _run(job, baseline)
        write_frame(replies, reply)
        if finished:
            return
