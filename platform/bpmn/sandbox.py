"""Safe evaluation for everything the engine evaluates.

SpiffWorkflow's default environment calls eval/exec with full builtins, so a gateway
condition could run `os.system`. Here expressions go through simpleeval (an AST
interpreter with no access to dunders, modules or unsafe builtins) with a parsed-AST cache,
and scripts through RestrictedPython with guarded attribute/item access, a whitelist of
builtins and helper modules, a loop/call budget and a wall-clock limit. Scripts execute in
sandbox processes (script_pool.py) that are killed when they overrun their time or memory;
expressions stay in this process, bounded by the checked operations of limits.py and a
deadline. Regular expressions run on RE2 (safe_re.py).
"""

import ast
import datetime as _dt
import decimal
import json
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import simpleeval
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from bpmn import limits, messages, safe_re, spiff_helpers
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
from bpmn.services import running_task

MAX_DATA_BYTES = 1_000_000
MAX_SLEEP_SECONDS = 1.0


class ExpressionError(ValueError):
    """An expression is invalid, refers to something unknown, or tried something unsafe."""


class ScriptError(ValueError):
    """A script is invalid, unsafe, too slow or failed while running."""


class ScriptTimeout(ScriptError):
    """The script overran its wall-clock or CPU time."""


class ScriptMemoryError(ScriptError):
    """The script needed more memory than its limit."""


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


def _bounded_sleep(seconds: float) -> None:
    # Models use sleep to pace demos; never let one hold a worker for long, and never past
    # the script's time limit (a loop of sleeps used to go unchecked).
    pause = max(0.0, min(float(seconds), MAX_SLEEP_SECONDS))
    clock = limits.active()
    if clock is not None and time.monotonic() + pause > clock.at:
        time.sleep(max(0.0, clock.at - time.monotonic()))
        raise clock.overrun()
    time.sleep(pause)


def _no_sleep(*args, **kwargs):
    raise LimitExceeded("time.sleep is not allowed in an expression")


# What SpiffArena scripts use of the time module (time.time(), time.strftime(...), ...).
_TIME_FUNCTIONS = {
    name: getattr(time, name)
    for name in ("time", "time_ns", "monotonic", "strftime", "gmtime", "localtime", "mktime")
}
_time_ns = SimpleNamespace(**_TIME_FUNCTIONS, sleep=_bounded_sleep)
_decimal_ns = SimpleNamespace(Decimal=decimal.Decimal, ROUND_HALF_UP=decimal.ROUND_HALF_UP)
_json_ns = SimpleNamespace(dumps=json.dumps, loads=json.loads)
_math_ns = SimpleNamespace(
    **{name: getattr(math, name) for name in ("sqrt", "pi", "e", "fabs", "log", "isclose")},
    ceil=limits.to_integral(math.ceil),
    floor=limits.to_integral(math.floor),
)
_re_ns = safe_re.namespace()

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
_EXPRESSION_NAMES = {**HELPER_NAMES, "time": SimpleNamespace(**_TIME_FUNCTIONS, sleep=_no_sleep)}

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
# In expressions int() and round() are only called, never used as types: check them. (Scripts
# keep the real int, for isinstance(); their sandbox process's limits are the backstop.)
_EXPRESSION_FUNCTIONS = {
    **_SAFE_FUNCTIONS,
    "int": limits.checked_int,
    "round": limits.checked_round,
}


@lru_cache(maxsize=8192)
def _parse_expression(source: str) -> ast.AST:
    try:
        return simpleeval.SimpleEval.parse(source)
    except SyntaxError as exc:
        raise ExpressionError(f"invalid expression {source!r}: {exc.msg}") from exc


_OPERATORS = {
    **simpleeval.DEFAULT_OPERATORS,
    ast.Mult: checked_mul,
    ast.Add: checked_add,
    ast.Pow: checked_pow,
    ast.LShift: checked_lshift,
    ast.Mod: checked_mod,
}
_DEADLINE_EVERY = 64  # nodes between two looks at the clock


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    """simpleeval with size-checked operators and methods, a bounded range() and a
    wall-clock deadline checked while it walks the expression."""

    def __init__(self, names: Mapping[str, Any], deadline: limits.Deadline):
        callables = {k: v for k, v in names.items() if callable(v) and not isinstance(v, type)}
        functions = {**_EXPRESSION_FUNCTIONS, **callables, **_TYPES}
        super().__init__(operators=_OPERATORS, functions=functions, names=names)
        self.deadline = deadline
        self.nodes[ast.Call] = self._eval_call_guarded
        self.nodes[ast.Attribute] = self._eval_attribute_bounded
        self.nodes[ast.FormattedValue] = self._eval_formatted_bounded

    def _eval(self, node):
        deadline = self.deadline
        deadline.steps += 1
        if deadline.steps % _DEADLINE_EVERY == 0:
            deadline.check()
        return super()._eval(node)

    def _eval_call_guarded(self, node):
        fn = self._eval(node.func)
        if fn is range:
            args = [self._eval(a) for a in node.args]
            if len(range(*args)) > simpleeval.MAX_COMPREHENSION_LENGTH:
                raise LimitExceeded(
                    f"range() of {len(range(*args)):,} numbers is over the limit of "
                    f"{simpleeval.MAX_COMPREHENSION_LENGTH:,} in an expression"
                )
            return range(*args)
        if isinstance(node.func, ast.Attribute):  # the method, already evaluated and wrapped
            args = [self._eval(a) for a in node.args]
            return fn(*args, **dict(self._eval(k) for k in node.keywords))
        return self._eval_call(node)

    def _eval_attribute_bounded(self, node):
        value = self._eval_attribute(node)
        if callable(value) and isinstance(node.value, ast.AST):
            owner = getattr(value, "__self__", None)
            if owner is not None:
                return bounded_attribute(owner, node.attr, value)
        return value

    def _eval_formatted_bounded(self, node):
        if node.format_spec:
            return checked_format(self._eval(node.value), self._eval(node.format_spec))
        return self._eval(node.value)


def _shown(source: str) -> str:
    text = " ".join(source.split())
    return repr(text if len(text) <= 120 else text[:117] + "...")


def evaluate_expression(source: str, context: Mapping[str, Any]) -> Any:
    """Evaluate one expression against process data. Raises ExpressionError."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression")
    tree = _parse_expression(source.strip())
    names = {**_EXPRESSION_NAMES, **context}
    deadline = limits.Deadline(limits.current().expression_timeout_ms)
    previous = limits.activate(deadline)
    try:
        return _Evaluator(names, deadline).eval(source, previously_parsed=tree)
    except ExpressionError:
        raise
    except LimitExceeded as exc:
        failure = _failed(f"{_shown(source)} was stopped", source, "expression_stopped", exc)
    except safe_re.RegexError as exc:
        failure = _failed(_shown(source), source, "expression_failed", exc)
    except MemoryError:
        failure = _failed(_shown(source), source, "expression_stopped", "ran out of memory")
    except RecursionError:
        failure = _failed(_shown(source), source, "expression_stopped", "is nested too deeply")
    except decimal.DecimalException as exc:  # its str() is a list of classes
        reason = type(exc).__name__.replace("Operation", " operation").lower()
        failure = _failed(_shown(source), source, "expression_failed", f"decimal {reason}")
    except simpleeval.NameNotDefined as exc:
        failure = ExpressionError(f"{source!r}: name {exc.name!r} is not defined")
        code = "expression_unknown_name"
        raise messages.coded(failure, code, expression=source, name=exc.name) from exc
    except simpleeval.InvalidExpression as exc:
        failure = ExpressionError(f"{source!r}: {exc}")
        raise messages.coded(
            failure, "expression_failed", expression=source, reason=str(exc)
        ) from exc
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        failure = ExpressionError(f"{source!r}: {reason}")
        raise messages.coded(
            failure, "expression_failed", expression=source, reason=reason
        ) from exc
    finally:
        limits.activate(previous)
    raise failure from None


def _failed(shown: str, source: str, code: str, reason) -> ExpressionError:
    """ExpressionError("expression <shown>[: ]<reason>") with its message code."""
    glue = ": " if code == "expression_failed" or shown.endswith("stopped") else " "
    failure = ExpressionError(f"expression {shown}{glue}{reason}")
    return messages.coded(failure, code, expression=source, reason=str(reason))


def compile_expression(source: str) -> Callable[[Mapping[str, Any]], Any]:
    """Parse once (cached) and return a function of the context."""
    _parse_expression(source.strip())  # fail early on syntax errors
    return lambda context: evaluate_expression(source, context)


# ---------------------------------------------------------------- scripts


class Constant:
    """A function that returns the same value whatever it is given (scenario mocks). Plain
    functions and lambdas cannot travel to a sandbox process; this can."""

    def __init__(self, value: Any):
        self.value = value

    def __call__(self, *args, **kwargs):
        return self.value


def run_script(
    source: str,
    data: dict[str, Any],
    extra_names: Mapping[str, Any] | None = None,
    seconds: float | None = None,
) -> None:
    """Run a script with `data` as its variables; assignments update `data` in place.

    The script runs in a sandbox process that is stopped when it overruns its time
    (`seconds`, else the configured limit) or its memory; ScriptError says what happened.
    On failure `data` is left exactly as it was.
    """
    from bpmn import script_pool, script_runner

    configured = limits.current()
    injected = {**HELPER_NAMES, **(extra_names or {})}
    script_runner.check_script(source, data, injected)  # policy errors without a round trip
    result = script_pool.run(
        source,
        data,
        dict(extra_names or {}),
        seconds=float(seconds or configured.script_timeout_s),
        memory_mb=configured.script_memory_mb,
    )
    data.clear()
    data.update(result)


# ---------------------------------------------------------------- SpiffWorkflow glue


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """The script-engine environment: every evaluate/execute goes through the sandbox."""

    def __init__(self, services: Callable[..., Any] | None = None, script_names=None):
        super().__init__({})
        self.services = services
        self.script_names = dict(script_names or {})
        self.local = threading.local()

    def evaluate(self, expression, context, external_context=None):
        helpers = spiff_helpers.helpers_for(expression, context)
        names = {**helpers, **self.script_names, **(external_context or {}), **context}
        return evaluate_expression(expression, names)

    def execute(self, script, context, external_context=None):
        helpers = spiff_helpers.helpers_for(script or "", context)
        extra = {**helpers, **self.script_names, **(external_context or {})}
        run_script(script or "", context, extra_names=extra)
        return True

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        if self.services is None:
            raise LookupError(f"no service registry for operator {operation_name!r}")
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        return json.dumps(self.services(operation_name, params, context), default=str)


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine on the SafeEnvironment, with call_service errors kept intact
    (SpiffWorkflow 3.2 turns any service exception into a NameError about `script`)."""

    def __init__(self, environment: SafeEnvironment | None = None):
        super().__init__(environment=environment or SafeEnvironment())

    def validate(self, expression):
        _parse_expression(expression.strip())

    def evaluate(self, task, expression, external_context=None):
        # SpiffWorkflow's own wrapper keeps only "Error evaluating expression ..." and drops
        # the reason (a limit, an unknown name); the reason is what the analyst needs.
        from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
        from SpiffWorkflow.exceptions import SpiffWorkflowException

        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except ExpressionError as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err
        except Exception as err:
            reason = f"{type(err).__name__}: {err}"
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {reason}",
                task=task,
                exception=messages.coded(
                    err, "expression_failed", expression=expression, reason=reason
                ),
            ) from err

    def execute(self, task, script, external_context=None):
        # A ScriptError already says what happened in words ("script stopped: time limit of
        # 5 s exceeded"); SpiffWorkflow would prefix the class name.
        from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptError as err:
            raise WorkflowTaskException(str(err), task=task, exception=_script_coded(err)) from err
        except Exception as err:
            raise self.create_task_exec_exception(task, script, err) from err

    def call_service(self, task, **kwargs):
        from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

        try:
            with running_task(str(task.id)):
                return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            operator = str(kwargs.get("operation_name"))
            reason = f"{type(err).__name__}: {err}"
            if not messages.code_of(err)[0]:
                messages.coded(err, "service_failed", operator=operator, reason=reason)
            raise WorkflowTaskException(
                f"service {operator!r} failed: {reason}", task=task, exception=err
            ) from err


def _script_coded(err: ScriptError) -> ScriptError:
    if messages.code_of(err)[0]:
        return err
    if isinstance(err, ScriptTimeout):
        seconds = limits.current().script_timeout_s
        return messages.coded(err, "script_time_limit", seconds=f"{seconds:g}")
    if isinstance(err, ScriptMemoryError):
        return messages.coded(
            err, "script_memory_limit", megabytes=limits.current().script_memory_mb
        )
    return messages.coded(err, "script_failed", reason=str(err))
