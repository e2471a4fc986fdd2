"""Safe evaluation for everything the engine evaluates.

SpiffWorkflow's default environment calls eval/exec with full builtins, so a gateway
condition could run `os.system`. Here expressions go through simpleeval (an AST
interpreter with no access to dunders, modules or unsafe builtins) with a parsed-AST cache,
and scripts through RestrictedPython with guarded attribute/item access, a whitelist of
builtins and helper modules, a loop/call budget and a wall-clock limit.
"""

import ast
import datetime as _dt
import decimal
import json
import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Mapping
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
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

MAX_SCRIPT_SECONDS = 5.0
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_POWER_EXPONENT = 10_000
MAX_INT_DIGITS = 4_300
MAX_DATA_BYTES = 1_000_000
_TICK_CHECK_EVERY = 4096


class ExpressionError(ValueError):
    """An expression is invalid, refers to something unknown, or tried something unsafe."""


class ScriptError(ValueError):
    """A script is invalid, unsafe, too slow or failed while running."""


class ScriptTimeout(ScriptError):
    pass


# ---------------------------------------------------------------- helpers for both


def parse_duration(value: str) -> _dt.timedelta:
    """ISO 8601 duration (PT4H, P1DT2H30M) -> timedelta."""
    match = re.fullmatch(
        r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?",
        value.strip(),
    )
    if not match or value.strip() in {"P", "PT"}:
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return _dt.timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.UTC).date()


_datetime_ns = SimpleNamespace(
    datetime=_dt.datetime,
    date=_dt.date,
    time=_dt.time,
    timedelta=_dt.timedelta,
    timezone=_dt.timezone,
    UTC=_dt.UTC,
)
MAX_SLEEP_SECONDS = 1.0


def _bounded_sleep(seconds: float) -> None:
    # Models use sleep to pace demos; never let one hold a worker for long.
    time.sleep(max(0.0, min(float(seconds), MAX_SLEEP_SECONDS)))


_time_ns = SimpleNamespace(time=time.time, sleep=_bounded_sleep)
_decimal_ns = SimpleNamespace(Decimal=decimal.Decimal, ROUND_HALF_UP=decimal.ROUND_HALF_UP)
_json_ns = SimpleNamespace(dumps=json.dumps, loads=json.loads)
_math_ns = SimpleNamespace(
    **{
        name: getattr(math, name)
        for name in ("ceil", "floor", "sqrt", "pi", "e", "fabs", "log", "isclose")
    }
)
_re_ns = SimpleNamespace(
    match=re.match,
    search=re.search,
    fullmatch=re.fullmatch,
    sub=re.sub,
    findall=re.findall,
    split=re.split,
    IGNORECASE=re.IGNORECASE,
)

# Names every expression and script sees (data keys override none of these in scripts).
HELPER_NAMES: dict[str, Any] = {
    "datetime": _datetime_ns,
    "date": _dt.date,
    "timedelta": _dt.timedelta,
    "time": _time_ns,
    "decimal": _decimal_ns,
    "Decimal": decimal.Decimal,
    "json": _json_ns,
    "math": _math_ns,
    "re": _re_ns,
    "now": _now,
    "today": _today,
    "duration": parse_duration,
}

_SAFE_FUNCTIONS: dict[str, Callable] = {
    name: fn
    for name, fn in {
        "abs": abs,
        "all": all,
        "any": any,
        "bool": bool,
        "dict": dict,
        "divmod": divmod,
        "enumerate": enumerate,
        "filter": filter,
        "float": float,
        "int": int,
        "len": len,
        "list": list,
        "map": map,
        "max": max,
        "min": min,
        "range": range,
        "reversed": reversed,
        "round": round,
        "set": set,
        "sorted": sorted,
        "str": str,
        "sum": sum,
        "tuple": tuple,
        "zip": zip,
    }.items()
}


# ---------------------------------------------------------------- expressions

_TYPES = {"date": _dt.date, "timedelta": _dt.timedelta, "Decimal": decimal.Decimal}


@lru_cache(maxsize=8192)
def _parse_expression(source: str) -> ast.AST:
    try:
        return simpleeval.SimpleEval.parse(source)
    except SyntaxError as exc:
        raise ExpressionError(f"invalid expression {source!r}: {exc.msg}") from exc


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    def __init__(self, names: Mapping[str, Any]):
        callables = {k: v for k, v in names.items() if callable(v) and not isinstance(v, type)}
        super().__init__(functions={**_SAFE_FUNCTIONS, **callables, **_TYPES}, names=names)
        self.nodes[ast.Call] = self._eval_call_guarded

    def _eval_call_guarded(self, node):
        fn = self._eval(node.func)
        if fn is range:
            args = [self._eval(a) for a in node.args]
            if len(range(*args)) > simpleeval.MAX_COMPREHENSION_LENGTH:
                raise ExpressionError("range() is too long")
            return range(*args)
        return self._eval_call(node)


def evaluate_expression(source: str, context: Mapping[str, Any]) -> Any:
    """Evaluate one expression against process data. Raises ExpressionError."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression")
    tree = _parse_expression(source.strip())
    names = {**HELPER_NAMES, **context}
    try:
        return _Evaluator(names).eval(source, previously_parsed=tree)
    except ExpressionError:
        raise
    except simpleeval.NameNotDefined as exc:
        raise ExpressionError(f"{source!r}: name {exc.name!r} is not defined") from exc
    except simpleeval.InvalidExpression as exc:
        raise ExpressionError(f"{source!r}: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ExpressionError(f"{source!r}: {type(exc).__name__}: {exc}") from exc


def compile_expression(source: str) -> Callable[[Mapping[str, Any]], Any]:
    """Parse once (cached) and return a function of the context."""
    _parse_expression(source.strip())  # fail early on syntax errors
    return lambda context: evaluate_expression(source, context)


# ---------------------------------------------------------------- scripts


class _BudgetTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus a tick in every loop body and function body, and
    guarded ** and * so that a script can neither spin forever nor build a huge value."""

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
        guard = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_"}.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _guarded_pow(a, b):
    if (
        isinstance(b, int | float)
        and abs(b) > MAX_POWER_EXPONENT
        and not (isinstance(a, int | float) and abs(a) <= 1)
    ):
        raise ScriptError(f"exponent {b} is too large")
    return a**b


def _guarded_mul(a, b):
    for seq, n in ((a, b), (b, a)):
        if hasattr(seq, "__len__") and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE_LENGTH:
            raise ScriptError("sequence repetition is too large")
    return a * b


def _guarded_lshift(a, b):
    if isinstance(b, int) and b > MAX_POWER_EXPONENT:
        raise ScriptError("shift is too large")
    return a << b


_INPLACE = {
    "+=": lambda a, b: a + b,
    "-=": lambda a, b: a - b,
    "*=": _guarded_mul,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
    "**=": _guarded_pow,
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
    return getattr(obj, name, default) if default is not None else getattr(obj, name)


def _guarded_getitem(obj, key):
    return obj[key]


@lru_cache(maxsize=1024)
def _compile_script(source: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile_restricted_exec(source, filename="<script>", policy=_BudgetTransformer)


class _Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.ticks = 0

    def tick(self):
        self.ticks += 1
        if self.ticks % _TICK_CHECK_EVERY == 0 and time.monotonic() > self.deadline:
            raise ScriptTimeout("script ran longer than its time limit")

    def getiter(self, obj):
        iterator = default_guarded_getiter(obj)
        for count, item in enumerate(iterator):
            if count % _TICK_CHECK_EVERY == 0 and time.monotonic() > self.deadline:
                raise ScriptTimeout("script ran longer than its time limit")
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

_SCRIPT_SPECIAL = {
    "_getattr_",
    "_getitem_",
    "_getiter_",
    "_write_",
    "_print_",
    "_inplacevar_",
    "_unpack_sequence_",
    "_iter_unpack_sequence_",
    "_tick_",
    "_pow_",
    "_mul_",
    "_lshift_",
    "__builtins__",
    "__name__",
    "__metaclass__",
    "_print",
}


def _is_data(value: Any) -> bool:
    return not (callable(value) or isinstance(value, ModuleType | SimpleNamespace))


def run_script(
    source: str,
    data: dict[str, Any],
    extra_names: Mapping[str, Any] | None = None,
    seconds: float = MAX_SCRIPT_SECONDS,
) -> None:
    """Run a script with `data` as its variables; assignments update `data` in place.

    On failure `data` is left exactly as it was.
    """
    compiled = _compile_script(source)
    if compiled.errors:
        raise ScriptError("; ".join(compiled.errors))
    injected = {**HELPER_NAMES, **(extra_names or {})}
    clashes = sorted(set(injected) & set(data))
    if clashes:
        raise ScriptError(f"data keys {clashes} shadow built-in script names; rename them")
    budget = _Budget(seconds)
    namespace: dict[str, Any] = {
        "__builtins__": dict(_SCRIPT_BUILTINS),
        "__name__": "script",
        "__metaclass__": type,
        "_getattr_": _guarded_getattr,
        "_getitem_": _guarded_getitem,
        "_getiter_": budget.getiter,
        "_write_": full_write_guard,
        "_print_": PrintCollector,
        "_inplacevar_": _inplacevar,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_tick_": budget.tick,
        "_pow_": _guarded_pow,
        "_mul_": _guarded_mul,
        "_lshift_": _guarded_lshift,
        **injected,
        **data,
    }
    try:
        exec(compiled.code, namespace)  # noqa: S102 - RestrictedPython bytecode, guarded names
    except ScriptError:
        raise
    except RecursionError as exc:
        raise ScriptError("recursion too deep") from exc
    except MemoryError as exc:
        raise ScriptError("script used too much memory") from exc
    except Exception as exc:
        line = _script_line(exc)
        where = f" on line {line}" if line else ""
        raise ScriptError(f"{type(exc).__name__}{where}: {exc}") from exc
    result = {
        key: value
        for key, value in namespace.items()
        if key not in _SCRIPT_SPECIAL and key not in injected and _is_data(value)
    }
    size = len(json.dumps(result, default=str))
    if size > MAX_DATA_BYTES:
        raise ScriptError(f"script produced {size} bytes of data (limit {MAX_DATA_BYTES})")
    data.clear()
    data.update(result)


def _script_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# ---------------------------------------------------------------- SpiffWorkflow glue


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """The script-engine environment: every evaluate/execute goes through the sandbox."""

    def __init__(self, services: Callable[..., Any] | None = None, script_names=None):
        super().__init__({})
        self.services = services
        self.script_names = dict(script_names or {})
        self.local = threading.local()

    def evaluate(self, expression, context, external_context=None):
        names = {**self.script_names, **(external_context or {}), **context}
        return evaluate_expression(expression, names)

    def execute(self, script, context, external_context=None):
        extra = {**self.script_names, **(external_context or {})}
        run_script(script or "", context, extra_names=extra, seconds=_script_seconds())
        return True

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        if self.services is None:
            raise LookupError(f"no service registry for operator {operation_name!r}")
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        return json.dumps(self.services(operation_name, params, context), default=str)


def _script_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "FLOWDESK_SCRIPT_TIMEOUT_S", MAX_SCRIPT_SECONDS))


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine on the SafeEnvironment, with call_service errors kept intact
    (SpiffWorkflow 3.2 turns any service exception into a NameError about `script`)."""

    def __init__(self, environment: SafeEnvironment | None = None):
        super().__init__(environment=environment or SafeEnvironment())

    def validate(self, expression):
        _parse_expression(expression.strip())

    def call_service(self, task, **kwargs):
        from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(
                f"service {kwargs.get('operation_name')!r} failed: {type(err).__name__}: {err}",
                task=task,
                exception=err,
            ) from err
