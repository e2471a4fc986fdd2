"""One script, executed by RestrictedPython in the current process.

This is what a sandbox worker process (script_worker.py) runs for each job; the platform
itself calls `sandbox.run_script`, which sends the job to a worker. The first line of
defence stays here: RestrictedPython's policy (no imports, no dunder access, guarded
attribute/item access), a whitelist of builtins and helpers, size-checked operators and
methods (limits.py) and a time budget checked in every loop, function call and sleep. The
worker's process limits (time, CPU, memory) catch what slips past these.
"""

import ast
import json
import time
import warnings
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType, ModuleType, SimpleNamespace
from typing import Any

import simpleeval
from RestrictedPython import RestrictingNodeTransformer, compile_restricted_exec, limited_builtins
from RestrictedPython import safe_builtins as _rp_safe_builtins
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.PrintCollector import PrintCollector

from bpmn import limits, safe_re
from bpmn.limits import (
    LimitExceeded,
    bounded_attribute,
    checked_add,
    checked_format,
    checked_lshift,
    checked_mod,
    checked_mul,
    checked_pow,
)
from bpmn.sandbox import (
    _SAFE_FUNCTIONS,
    HELPER_NAMES,
    MAX_DATA_BYTES,
    ScriptError,
    ScriptMemoryError,
    ScriptTimeout,
)

_TICK_CHECK_EVERY = 1024
_GUARDED_OPS = {
    ast.Pow: "_pow_",
    ast.Mult: "_mul_",
    ast.LShift: "_lshift_",
    ast.Add: "_add_",
    ast.Mod: "_mod_",
}
_CONVERSIONS = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


class _BudgetTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus a tick in every loop body and function body, and
    guarded operators and f-string formats, so that a script can neither spin forever nor
    build a huge value."""

    def _tick(self, node):
        call = ast.Expr(value=ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_For(self, node):
        node = super().visit_For(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        if node.format_spec is None:
            return node
        call = ast.Call(
            func=ast.Name("_format_", ast.Load()),
            args=[node.value, node.format_spec, ast.Constant(node.conversion)],
            keywords=[],
        )
        formatted = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(formatted, node))


def _format(value, spec, conversion):
    if conversion in _CONVERSIONS:
        value = _CONVERSIONS[conversion](value)
    return checked_format(value, spec)


_INPLACE = {
    "+=": checked_add,
    "-=": lambda a, b: a - b,
    "*=": checked_mul,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": checked_mod,
    "**=": checked_pow,
    "|=": lambda a, b: a | b,
    "&=": lambda a, b: a & b,
}


def _inplacevar(op, a, b):
    if op not in _INPLACE:
        raise ScriptError(f"operator {op} is not allowed")
    return _INPLACE[op](a, b)


def _guarded_getattr(obj, name, default=None):
    if name.startswith("_") or isinstance(obj, ModuleType) or name in simpleeval.DISALLOW_METHODS:
        raise ScriptError(f"access to attribute {name!r} is not allowed")
    value = getattr(obj, name, default) if default is not None else getattr(obj, name)
    return bounded_attribute(obj, name, value)


def _guarded_getitem(obj, key):
    return obj[key]


@lru_cache(maxsize=1024)
def compile_script(source: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile_restricted_exec(source, filename="<script>", policy=_BudgetTransformer)


class _Budget:
    """The script's own clock (the worker process's limits are the backstop); also the
    active deadline (limits.active) for sleep and regular expression iteration."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.ticks = 0

    def overrun(self) -> ScriptTimeout:
        return ScriptTimeout(f"script stopped: time limit of {self.seconds:g} s exceeded")

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise self.overrun()

    def tick(self):
        self.ticks += 1
        if self.ticks % _TICK_CHECK_EVERY == 0 and time.monotonic() > self.at:
            raise self.overrun()

    def getiter(self, obj):
        iterator = default_guarded_getiter(obj)
        for count, item in enumerate(iterator):
            if count % _TICK_CHECK_EVERY == 0 and time.monotonic() > self.at:
                raise self.overrun()
            yield item


_SCRIPT_BUILTINS = {
    **_rp_safe_builtins,
    **limited_builtins,
    **_SAFE_FUNCTIONS,
}
for _unsafe in ("setattr", "delattr", "getattr", "__import__", "compile", "open", "exec", "eval"):
    _SCRIPT_BUILTINS.pop(_unsafe, None)


def _refuse_import(name, *args, **kwargs):
    raise ScriptError(
        f"import {name!r} is not allowed: datetime, decimal, math, json and re are available by name"
    )


_SCRIPT_BUILTINS["__import__"] = _refuse_import
_SCRIPT_BUILTINS = MappingProxyType(_SCRIPT_BUILTINS)

_GUARDS = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_write_": full_write_guard,
    "_print_": PrintCollector,
    "_inplacevar_": _inplacevar,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_pow_": checked_pow,
    "_mul_": checked_mul,
    "_lshift_": checked_lshift,
    "_add_": checked_add,
    "_mod_": checked_mod,
    "_format_": _format,
}
SCRIPT_SPECIAL = frozenset(
    {*_GUARDS, "_getiter_", "_tick_", "__builtins__", "__name__", "__metaclass__", "_print"}
)


def _is_data(value: Any) -> bool:
    return not (callable(value) or isinstance(value, ModuleType | SimpleNamespace))


def check_script(source: str, data: Mapping[str, Any], injected: Mapping[str, Any]):
    """The compiled script; ScriptError if it breaks the policy or data shadows a helper."""
    compiled = compile_script(source)
    if compiled.errors:
        raise ScriptError("; ".join(compiled.errors))
    clashes = sorted(set(injected) & set(data))
    if clashes:
        raise ScriptError(f"data keys {clashes} shadow built-in script names; rename them")
    return compiled


def execute_here(
    source: str,
    data: dict[str, Any],
    extra_names: Mapping[str, Any] | None,
    seconds: float,
    memory_mb: int = 0,
) -> dict[str, Any]:
    """Run the script with `data` as its variables; return the variables it leaves."""
    injected = {**HELPER_NAMES, **(extra_names or {})}
    compiled = check_script(source, data, injected)
    budget = _Budget(seconds)
    namespace: dict[str, Any] = {
        "__builtins__": dict(_SCRIPT_BUILTINS),
        "__name__": "script",
        "__metaclass__": type,
        **_GUARDS,
        "_getiter_": budget.getiter,
        "_tick_": budget.tick,
        **injected,
        **data,
    }
    previous = limits.activate(budget)
    try:
        exec(compiled.code, namespace)  # noqa: S102 - RestrictedPython bytecode, guarded names
    except ScriptError:
        raise
    except LimitExceeded as exc:
        raise ScriptError(f"script stopped{_where(exc)}: {exc}") from None
    except safe_re.RegexError as exc:
        raise ScriptError(f"script failed{_where(exc)}: {exc}") from None
    except RecursionError:
        raise ScriptError("recursion too deep") from None
    except MemoryError:
        raise ScriptMemoryError(memory_message(memory_mb)) from None
    except Exception as exc:
        raise ScriptError(f"{type(exc).__name__}{_where(exc)}: {exc}") from None
    finally:
        limits.activate(previous)
    result = {
        key: value
        for key, value in namespace.items()
        if key not in SCRIPT_SPECIAL and key not in injected and _is_data(value)
    }
    size = len(json.dumps(result, default=str))
    if size > MAX_DATA_BYTES:
        raise ScriptError(f"script produced {size} bytes of data (limit {MAX_DATA_BYTES})")
    return result


def memory_message(memory_mb: int) -> str:
    if memory_mb:
        return f"script stopped: memory limit of {memory_mb} MB exceeded"
    return "script stopped: it used too much memory"


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" on line {line}" if line else ""
