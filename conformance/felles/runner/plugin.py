"""The pytest plugin behind ``felles test``: fixtures, requirement markers, results.

Loaded explicitly (``-p felles.runner.plugin``) by :mod:`felles.runner.session`,
never auto-registered, so installing felles does not change a vendor's own
pytest runs. Each check is one function marked with the one requirement it
proves; this plugin skips checks of classes not under test, classifies
outcomes (failed = the target's fault, error = ours), and writes one JSON line
per check for the session to turn into a report.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Collection, Generator, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast, overload

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import FlakyFailure

from felles.errors import TargetUnreachableError
from felles.report.model import Status
from felles.runner import interrupts
from felles.runner.client import ApiClient, Recorder, TargetGuard, http_client
from felles.runner.config import RunConfig
from felles.runner.failures import ConformanceFailure, DeadlineReached, RunStopped, UnsafeLink
from felles.runner.generators import Generators
from felles.runner.schedule import estimated_cost, for_workers
from felles.runner.secrets import redact
from felles.runner.shrink_budget import with_shrink_budget
from felles.runner.tokens import TokenSource
from felles.runner.trace import TraceWriter, trace_file_of_process
from felles.standard import Component, default_catalogue

_CheckBody = TypeVar("_CheckBody", bound=Callable[..., None])


class ExamplesDecorator(Protocol):
    """``@examples`` or ``@examples(max_examples=n)`` on a check's inner ``@given`` function."""

    @overload
    def __call__(self, test: _CheckBody) -> _CheckBody: ...
    @overload
    def __call__(self, *, max_examples: int) -> Callable[[_CheckBody], _CheckBody]: ...


_CONFIG_KEY = pytest.StashKey[RunConfig]()
_GUARD_KEY = pytest.StashKey[TargetGuard]()
_RECORDER_KEY = pytest.StashKey[Recorder]()
_write_lock = threading.Lock()
# Messages come partly from the target; a report needs the start of them.
MAX_MESSAGE_CHARS = 4000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--felles-config", help="run configuration written by felles test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the one spec requirement a check proves")
    path = config.getoption("--felles-config")
    if path:
        run = RunConfig.load(Path(path))
        config.stash[_CONFIG_KEY] = run
        config.stash[_GUARD_KEY] = TargetGuard(
            timeout_s=run.timeout_s,
            rate=run.rate_per_process,
            deadline_at=run.deadline_at,
            deadline_s=run.deadline_s,
        )
    if hasattr(config, "workerinput"):
        # An xdist worker: a Ctrl-C swallowed by a gc callback must not print a traceback.
        sys.unraisablehook = interrupts.quiet_unraisable_hook


# ---------------------------------------------------------------- Ctrl-C under xdist

_worker_pids: list[int] = []


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_newgateway(gateway: Any) -> None:
    """Learn each xdist worker's process id as it starts (before it is busy)."""
    try:
        channel = gateway.remote_exec("import os; channel.send(os.getpid())")
        _worker_pids.append(int(channel.receive(timeout=30)))
    except Exception:  # without the pid, Ctrl-C only takes longer
        return


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Ctrl-C in the controller: end the xdist workers now, not after their running check.

    A terminal's Ctrl-C reaches them too, but ``kill -INT`` (CI cancelling a
    job) reaches only this process. The results of finished checks are
    already here, so the workers are simply terminated.
    """
    del excinfo
    interrupts.acknowledge()
    for pid in _worker_pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    _worker_pids.clear()


def requirement_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("requirement")
    return str(marker.args[0]) if marker and marker.args else None


def applicable(items: list[pytest.Item], requirement_ids: Collection[str]) -> list[pytest.Item]:
    """The checks that concern a component version: those whose requirement its spec lists.

    One check module serves every version of a component; a requirement added
    in 1.1 is not in 1.0's spec, so its checks are not run against 1.0.
    Unmarked checks are kept (and reported as such).
    """
    return [item for item in items if (found := requirement_of(item)) is None or found in requirement_ids]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash.get(_CONFIG_KEY, None)
    if run is None:
        return
    kept = applicable(items, {r.requirement_id for r in default_catalogue().get(run.component).requirements})
    if run.requirements:
        kept = [item for item in kept if requirement_of(item) in run.requirements]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
    for item in items:
        requirement = requirement_of(item)
        if requirement is None:
            item.add_marker(pytest.mark.xfail(reason="check has no requirement marker", run=False))
            continue
        conformance_class = requirement.split("/")[3]
        if conformance_class not in run.classes_to_test:
            item.add_marker(pytest.mark.skip(reason=f"class {conformance_class} is not under test"))
    if run.workers > 1:
        items[:] = for_workers(items, run.workers, lambda item: _cost(item, run.examples))


def _cost(item: pytest.Item, examples: int) -> int:
    function = getattr(item, "function", None)
    return estimated_cost(function, examples) if function is not None else 1


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start no check after the deadline, or once the target stopped answering."""
    guard = item.config.stash.get(_GUARD_KEY, None)
    if guard is not None:
        guard.check_deadline("not run")
        guard.check_up("not run")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    run = item.config.stash.get(_CONFIG_KEY, None)
    if run is None:
        return report
    requirement = requirement_of(item) or ""
    status = _classify(report, call)
    if status is None:
        return report
    recorder = item.stash.get(_RECORDER_KEY, None)
    exchanges = [asdict(x) for x in recorder.exchanges()] if recorder and status is Status.FAILED else []
    if recorder and status is Status.ERROR:
        exchanges = [asdict(x) for x in recorder.exchanges()[-2:]]
    report.user_properties.append(
        (
            "felles",
            {
                "checkId": item.name,
                "requirementId": requirement,
                "status": status.value,
                "message": _message(report, call, status),
                "exchanges": exchanges,
                "seed": run.seed,
                "requests": recorder.count if recorder else 0,
                "errorKind": _error_kind(call) if status is Status.ERROR else "",
                "stoppedBy": _stopped_by(call),
                "retried": {str(code): n for code, n in recorder.retried.items()} if recorder else {},
                "retryWaitSeconds": round(recorder.waited_s, 3) if recorder else 0.0,
            },
        )
    )
    return report


def _classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Status | None:
    """One status per check: decided at call, or at setup if it never got there."""
    if report.when == "setup":
        if report.skipped or (call.excinfo is not None and call.excinfo.errisinstance(DeadlineReached)):
            return Status.SKIPPED
        return Status.ERROR if report.failed else None
    if report.when != "call":
        return Status.ERROR if report.failed else None
    if report.passed:
        return Status.PASSED
    if report.skipped:
        return Status.SKIPPED
    excinfo = call.excinfo
    if (
        excinfo is not None
        and excinfo.errisinstance(AssertionError)
        and not excinfo.errisinstance(TargetUnreachableError)
    ):
        return Status.FAILED
    if excinfo is not None and grouped_failures(excinfo.value):
        return Status.FAILED
    return Status.ERROR


def grouped_failures(exc: BaseException) -> list[ConformanceFailure]:
    """The target's failures inside a Hypothesis exception group, if that is all it holds.

    Hypothesis groups them when it found several distinct failures, and when an
    example failed once and passed on replay (``FlakyFailure``: e.g. a leak that
    depends on what else is stored). Either way the target broke the
    requirement, as the recorded exchanges show: failed, not the suite's error.
    """
    leaves = _leaves(exc)
    if leaves and all(
        isinstance(e, ConformanceFailure) and not isinstance(e, TargetUnreachableError) for e in leaves
    ):
        return [cast(ConformanceFailure, e) for e in leaves]
    return []


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside an exception group, nested groups flattened; [] for any other."""
    if not isinstance(exc, BaseExceptionGroup):
        return []
    leaves: list[BaseException] = []
    pending: list[BaseException] = list(exc.exceptions)
    while pending:
        current = pending.pop(0)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        else:
            leaves.append(current)
    return leaves


def _error_kind(call: pytest.CallInfo[None]) -> str:
    """``unreachable`` when the target stopped answering, ``deadline`` when time ran out,
    else ``suite`` (our bug or the environment)."""
    if call.excinfo is not None:
        if call.excinfo.errisinstance(RunStopped):
            return str(cast(RunStopped, call.excinfo.value).kind)
        if call.excinfo.errisinstance(TargetUnreachableError):
            return "unreachable"
    return "suite"


def _stopped_by(call: pytest.CallInfo[None]) -> str:
    """Why the run stopped at this check: ``deadline`` / ``unreachable`` (target down), or ''."""
    if call.excinfo is not None and call.excinfo.errisinstance(RunStopped):
        stop = cast(RunStopped, call.excinfo.value)
        return str(stop.kind) if stop.stops_run else ""
    return ""


def _message(report: pytest.TestReport, call: pytest.CallInfo[None], status: Status) -> str:
    if status is Status.SKIPPED and call.excinfo is not None and call.excinfo.errisinstance(RunStopped):
        return redact(str(call.excinfo.value))
    if status is Status.SKIPPED:
        longrepr = report.longrepr
        if isinstance(longrepr, tuple):
            return redact(str(longrepr[2]).removeprefix("Skipped: "))
        return redact(str(longrepr))
    if status is Status.PASSED or call.excinfo is None:
        return ""
    exc = call.excinfo.value
    grouped = grouped_failures(exc)
    if grouped and isinstance(exc, FlakyFailure):
        text = f"{grouped[0]}\n(seen once; the same example passed when replayed: the answer varies)"
    elif grouped:
        text = f"{len(grouped)} distinct failures:\n" + "\n".join(f"- {failure}" for failure in grouped)
    elif isinstance(exc, ConformanceFailure | TargetUnreachableError | RunStopped | UnsafeLink):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
        text += "".join(f"\n- {type(leaf).__name__}: {leaf}" for leaf in _leaves(exc))
    notes = [n for n in getattr(exc, "__notes__", []) if n.startswith("Falsifying")]
    if notes:
        text += "\n" + "\n".join(notes)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + f"... [{len(text) - MAX_MESSAGE_CHARS} more characters]"
    return redact(text)


class _Sink:
    """Where finished results go: the JSON-lines file and an optional progress callback."""

    path = ""
    progress: Callable[[dict[str, Any]], None] | None = None


_sink = _Sink()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Write one JSON line per finished check (runs in the controller under xdist)."""
    for name, value in report.user_properties:
        if name != "felles":
            continue
        data: dict[str, Any] = dict(value) if isinstance(value, dict) else {}
        data["durationSeconds"] = round(report.duration, 4)
        path = _sink.path
        if path:
            with _write_lock, open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(data, ensure_ascii=False) + "\n")
        if _sink.progress is not None:
            _sink.progress(data)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = session.config.stash.get(_CONFIG_KEY, None)
    # Under pytest-xdist the controller receives every worker's reports: only it writes,
    # or each result would be counted twice.
    is_worker = hasattr(session.config, "workerinput")
    _sink.path = run.results_path if run and not is_worker else ""
    _worker_pids.clear()  # from an earlier run in this process (one per component)


def set_progress(callback: Callable[[dict[str, Any]], None] | None) -> None:
    """Let the session print a line per check as results arrive."""
    _sink.progress = callback


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def run_config(request: pytest.FixtureRequest) -> RunConfig:
    try:
        return request.config.stash[_CONFIG_KEY]
    except KeyError:
        pytest.skip("not running under felles test (no --felles-config)")


@pytest.fixture(scope="session")
def component(run_config: RunConfig) -> Component:
    return default_catalogue().get(run_config.component)


@pytest.fixture(scope="session")
def http(run_config: RunConfig) -> Iterator[httpx.Client]:
    with http_client(timeout_s=run_config.timeout_s, verify_tls=run_config.verify_tls) as client:
        yield client


@pytest.fixture(scope="session")
def target_guard(request: pytest.FixtureRequest, run_config: RunConfig) -> TargetGuard:
    """Pace, deadline and health of the target, shared by every client in this process."""
    return request.config.stash[_GUARD_KEY]


@pytest.fixture(scope="session")
def token_sources(run_config: RunConfig) -> dict[str, TokenSource]:
    return {spec.role: TokenSource(spec) for spec in run_config.tokens}


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Recorder:
    recorder = Recorder()
    request.node.stash[_RECORDER_KEY] = recorder
    return recorder


@pytest.fixture(scope="session")
def trace_writer(run_config: RunConfig) -> Iterator[TraceWriter | None]:
    """This process's ``--trace`` file, or None without ``--trace``."""
    if not run_config.trace_path:
        yield None
        return
    writer = TraceWriter(trace_file_of_process(Path(run_config.trace_path)))
    try:
        yield writer
    finally:
        writer.close()


@pytest.fixture
def client_for(
    run_config: RunConfig,
    http: httpx.Client,
    token_sources: dict[str, TokenSource],
    recorder: Recorder,
    target_guard: TargetGuard,
    trace_writer: TraceWriter | None,
) -> Callable[[str], ApiClient]:
    """``client_for(role)``: a client acting as that role; skips if no token is configured."""

    def make(role: str) -> ApiClient:
        source = token_sources.get(role)
        if source is None and role != "anonymous":
            pytest.skip(f"precondition not met: no token for role {role!r} (use --token-env {role}=VAR)")
        return ApiClient(
            run_config.base_url,
            http=http,
            token=source,
            recorder=recorder,
            max_body_bytes=run_config.max_body_bytes,
            guard=target_guard,
            trace=trace_writer,
            role=role,
        )

    return make


@pytest.fixture
def api(client_for: Callable[[str], ApiClient]) -> ApiClient:
    """A client acting as the default role (all scopes, the kommune under test)."""
    return client_for("default")


@pytest.fixture
def anonymous(client_for: Callable[[str], ApiClient]) -> ApiClient:
    """A client that sends no token at all."""
    return client_for("anonymous")


@pytest.fixture(scope="session")
def gen(component: Component) -> Generators:
    return Generators(component)


@pytest.fixture(scope="session")
def examples(run_config: RunConfig) -> ExamplesDecorator:
    """Decorator for a check's inner ``@given`` function: example count, seed, no database.

    No example database is kept: it would store payloads (and could store
    whatever the target echoed) on disk between runs.
    """

    def apply(test: Callable[..., None] | None = None, *, max_examples: int | None = None) -> Any:
        def decorate(inner: Callable[..., None]) -> Callable[..., None]:
            configured = settings(
                max_examples=min(max_examples or run_config.examples, run_config.examples),
                database=None,
                deadline=None,
                derandomize=False,
                phases=(Phase.explicit, Phase.generate, *((Phase.shrink,) if run_config.shrink else ())),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                print_blob=False,
            )(with_shrink_budget(inner, run_config.shrink) if run_config.shrink else inner)
            return hypothesis_seed(run_config.seed)(configured)

        return decorate(test) if test is not None else decorate

    return cast(ExamplesDecorator, apply)
