"""Effectiveness: does the suite kill every mutant, pass the reference, and beat Schemathesis?

For every mutant (the per-requirement catalogue of ``tests/mutants`` for whatever
components it holds, plus the vendor-style faults of ``benchmarks/mutants``):
serve it, run ``felles test`` on its whole component (every class), and record
whether it was killed, by which requirements, and how long until the first
failure was printed. Optionally run Schemathesis on the same mutant with the
same example count and seed (see ``schemathesis_side.py``). Then run
``felles test --reference`` with N seeds: any failure there is a false positive.

    python benchmarks/effectiveness.py                      # everything
    python benchmarks/effectiveness.py --only created-200 app-409-as-400 --no-schemathesis --seeds 0
    python benchmarks/effectiveness.py --catalogue          # the mutant catalogue as Markdown

A mutant counts as killed by Schemathesis in two ways, both printed: "any" (it
reported any failure, its own exit code) and "new" (it reported a failure it
does not also report against the unmodified reference with the same seed):
Schemathesis fails the reference itself, so "any" alone would mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` and `tests` importable
    sys.path.insert(0, str(ROOT))

from tests.mutants.harness import HOME, new_secret, server_process, token_env  # noqa: E402
from tests.mutants.kit import Mutant  # noqa: E402

from benchmarks import schemathesis_side  # noqa: E402
from benchmarks.mutants import VENDOR_MUTANTS, all_mutants  # noqa: E402
from benchmarks.mutants.equivalent import EQUIVALENT  # noqa: E402
from felles.standard import Component, default_catalogue  # noqa: E402

NOT_RUN = "no report"
SERVE_MUTANT = [sys.executable, "-m", "benchmarks.mutants.serve"]
SERVE_REFERENCE = [sys.executable, "-m", "tests.mutants.serve_reference"]


@dataclass
class Outcome:
    """What the suite (and Schemathesis) did to one mutant."""

    mutant: Mutant
    failed: list[str] = field(default_factory=list)  # requirement ids that failed
    errors: list[str] = field(default_factory=list)  # requirement ids in error (suite's fault)
    seconds_to_kill: float | None = None
    seconds: float = 0.0
    exit_code: int = 0
    requests: int = 0
    own_status: str = "-"  # status of the mutant's own requirement (run alone if killed elsewhere)
    st_failures: frozenset[str] | None = None
    st_new: frozenset[str] | None = None

    @property
    def killed(self) -> bool:
        return bool(self.failed)

    @property
    def on_target(self) -> bool:
        return self.mutant.kills in self.failed

    @property
    def own_killed(self) -> bool:
        return self.own_status == "failed"


def _pythonpath() -> str:
    parts = [str(ROOT), str(ROOT / "conformance"), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def felles_command(component: Component, base_url: str, report_dir: Path, examples: int, seed: int,
                   tokens: Iterable[str]) -> list[str]:  # fmt: skip
    command = [
        sys.executable, "-m", "felles", "test", base_url,
        "--component", component.key, "--seed", str(seed), "--examples", str(examples),
        "--report-dir", str(report_dir), "--municipality", HOME,
    ]  # fmt: skip
    for variable in tokens:
        role = variable.removeprefix("FELLES_T_").lower().replace("_", "-")
        command += ["--token-env", f"{role}={variable}"]
    for name in component.conformance_classes:  # test and claim every class, whatever is declared
        command += ["--class", name]
    return command


def run_felles(
    component: Component,
    base_url: str,
    secret: str,
    examples: int,
    seed: int,
    *,
    stop_at_first_fail: bool = True,
    requirement: str | None = None,
) -> dict[str, Any]:
    """One ``felles test`` run, streamed: the time of its first FAIL line and its report.

    By default the run is stopped (Ctrl-C, which still writes a partial report)
    at the first failure: a mutant is dead then, and the rest of a run against a
    broken target is mostly Hypothesis shrinking one failure after another.
    """
    tokens = token_env(secret, component.key)
    with tempfile.TemporaryDirectory(prefix="felles-eff-") as scratch:
        reports = Path(scratch) / "reports"
        command = felles_command(component, base_url, reports, examples, seed, tokens)
        if requirement:
            command += ["--requirement", requirement]
        env = {**os.environ, **tokens, "PYTHONPATH": _pythonpath()}
        started = time.perf_counter()
        first_fail: float | None = None
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=scratch
        ) as process:
            assert process.stdout is not None
            output = []
            for line in process.stdout:
                output.append(line)
                if first_fail is None and line.lstrip().startswith("FAIL "):
                    first_fail = time.perf_counter() - started
                    if stop_at_first_fail:
                        process.send_signal(signal.SIGINT)
        seconds = time.perf_counter() - started
        path = reports / f"{component.name}-{component.version}" / "report.json"
        report = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    statuses = {r["id"]: r["status"] for c in (report or {}).get("classes", []) for r in c["requirements"]}
    text = "".join(output)
    requests = sum(int(x) for x in _requests_line(text))
    return {
        "exit_code": process.returncode,
        "statuses": statuses,
        "first_fail": first_fail,
        "seconds": seconds,
        "requests": requests,
        "output": text,
    }


def _requests_line(text: str) -> list[str]:
    """``N checks, M requests in S s`` → [M]."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) > 4 and words[1] == "checks," and words[3] == "requests":
            found.append(words[2])
    return found


def run_mutant(mutant: Mutant, args: argparse.Namespace, baselines: dict[str, frozenset[str]]) -> Outcome:
    component = default_catalogue().get(mutant.component)
    outcome = Outcome(mutant)
    secret = new_secret()
    with server_process([*SERVE_MUTANT, mutant.name], secret) as root:
        run = run_felles(component, f"{root}/{component.name}/{component.version}", secret,
                         args.examples, args.seed)  # fmt: skip
    outcome.failed = sorted(k for k, v in run["statuses"].items() if v == "failed")
    outcome.errors = sorted(k for k, v in run["statuses"].items() if v == "error")
    outcome.seconds_to_kill = run["first_fail"]
    outcome.seconds = run["seconds"]
    outcome.exit_code = run["exit_code"]
    outcome.requests = run["requests"]
    if outcome.killed and not outcome.on_target:
        # Killed first elsewhere: does its own requirement's check fail too? (as tests/mutants proves)
        with server_process([*SERVE_MUTANT, mutant.name], secret) as root:
            own = run_felles(component, f"{root}/{component.name}/{component.version}", secret,
                             args.examples, args.seed, requirement=mutant.kills,
                             stop_at_first_fail=False)  # one check: let it finish and report  # fmt: skip
        outcome.own_status = own["statuses"].get(mutant.kills, "?")
    elif outcome.on_target:
        outcome.own_status = "failed"
    if args.schemathesis:
        st = _schemathesis_on([*SERVE_MUTANT, mutant.name], component, args)
        outcome.st_failures = st.failures
        outcome.st_new = st.new_failures(baselines.get(component.key, frozenset()))
    return outcome


def _schemathesis_on(serve: list[str], component: Component, args: argparse.Namespace,
                     seed: int | None = None) -> schemathesis_side.SchemathesisRun:  # fmt: skip
    secret = new_secret()
    token = token_env(secret, component.key)["FELLES_T_DEFAULT"]
    with server_process(serve, secret) as root:
        return schemathesis_side.run(
            component, f"{root}/{component.name}/{component.version}", token,
            examples=args.examples, seed=args.seed if seed is None else seed,
        )  # fmt: skip


def schemathesis_baselines(
    components: list[Component], args: argparse.Namespace
) -> dict[str, frozenset[str]]:
    """What Schemathesis reports against the unmodified reference (its false positives)."""
    baselines = {}
    for component in components:
        found: set[str] = set()
        for seed in [args.seed, *range(1000, 1000 + args.st_baseline_seeds - 1)]:
            found |= _schemathesis_on(SERVE_REFERENCE, component, args, seed).failures
        baselines[component.key] = frozenset(found)
        print(f"Schemathesis against the unmodified reference, {component.key}: {len(found)} failure kinds"
              f" ({args.st_baseline_seeds} seeds): {'; '.join(sorted(found)) or 'none'}", flush=True)
    return baselines


# ---------------------------------------------------------------- false positives


def false_positives(seeds: int, examples: int, jobs: int, first: int = 1) -> list[tuple[int, int, list[str]]]:
    """``felles test --reference`` (every component) with N seeds: (seed, exit, not-passed).

    A run that wrote no report (the suite could not run at all) is listed with its exit
    code and message: that is not a false positive, and is counted apart.
    """

    def one(seed: int) -> tuple[int, int, list[str]]:
        with tempfile.TemporaryDirectory(prefix="felles-fp-") as scratch:
            command = [sys.executable, "-m", "felles", "test", "--reference", "--seed", str(seed),
                       "--examples", str(examples), "--report-dir", scratch]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, cwd=scratch, check=False,
                                  env={**os.environ, "PYTHONPATH": _pythonpath()})  # fmt: skip
            bad = []
            for path in sorted(Path(scratch).glob("*/report.json")):
                report = json.loads(path.read_text(encoding="utf-8"))
                bad += [f"{r['id']}={r['status']}" for c in report["classes"] if c["claimed"]
                        for r in c["requirements"] if r["status"] != "passed"]  # fmt: skip
            if done.returncode != 0 and not bad:
                bad = [f"{NOT_RUN} (exit {done.returncode}): {done.stderr.strip()[-300:]}"]
        print(f"  seed {seed}: exit {done.returncode}{', ' + ', '.join(bad) if bad else ''}", flush=True)
        return seed, done.returncode, bad

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, range(first, first + seeds)))


# ---------------------------------------------------------------- printing


def _short(requirement: str) -> str:
    return requirement.removeprefix("/req/")


def print_table(outcomes: list[Outcome], schemathesis: bool) -> None:
    header = f"{'mutant':34} {'component':18} {'killed':6} {'t-kill':>7}  {'first killed by':44} own req"
    if schemathesis:
        header += f" {'ST any':6} {'ST new':6}"
    print(header)
    print("-" * len(header))
    for o in outcomes:
        by = _short(o.failed[0]) + (f" +{len(o.failed) - 1}" if len(o.failed) > 1 else "") if o.failed else ""
        killed = "yes" if o.killed else ("equiv" if o.mutant.name in EQUIVALENT else "NO")
        ttk = f"{o.seconds_to_kill:.1f} s" if o.seconds_to_kill is not None else "-"
        own = "yes" if o.own_killed else ("no" if o.killed else "-")
        line = f"{o.mutant.name:34} {o.mutant.component:18} {killed:6} {ttk:>7}  {by[:44]:44} {own:7}"
        if schemathesis:
            line += f" {_yn(bool(o.st_failures)):6} {_yn(bool(o.st_new)):6}"
        print(line)
        if o.errors:
            print(f"{'':34} suite ERRORS (never the vendor's fault): {', '.join(map(_short, o.errors))}")


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


def print_rates(outcomes: list[Outcome], schemathesis: bool) -> None:
    counted = [o for o in outcomes if o.mutant.name not in EQUIVALENT or o.killed]
    killed = sum(o.killed for o in counted)
    on_target = sum(o.own_killed for o in counted)
    print()
    print(f"mutants: {len(outcomes)} ({len(outcomes) - len(counted)} justified as equivalent, not counted)")
    print(f"felles kill rate:        {killed}/{len(counted)} = {_pct(killed, len(counted))}"
          f"  (on the mutant's own requirement: {on_target}/{len(counted)})")  # fmt: skip
    times = sorted(o.seconds_to_kill for o in counted if o.seconds_to_kill is not None)
    if times:
        print(f"time to kill (first FAIL line, incl. start-up): median {times[len(times) // 2]:.1f} s, "
              f"max {times[-1]:.1f} s")
    if schemathesis:
        anyk = sum(bool(o.st_failures) for o in counted)
        new = sum(bool(o.st_new) for o in counted)
        print(f"Schemathesis kill rate:  any failure {anyk}/{len(counted)} = {_pct(anyk, len(counted))}; "
              f"failure not also reported on the reference {new}/{len(counted)} = {_pct(new, len(counted))}")
        both = sum(o.killed and bool(o.st_new) for o in counted)
        only_st = [o.mutant.name for o in counted if bool(o.st_new) and not o.killed]
        print(f"killed by both: {both}; only by Schemathesis: {only_st or 'none'}")
    survivors = [o.mutant.name for o in counted if not o.killed]
    print(f"survivors: {', '.join(survivors) or 'none'}")


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def print_catalogue(mutants: Iterable[Mutant]) -> None:
    """The catalogue as a Markdown table (benchmarks/mutants/README.md is made from it)."""
    vendor = {m.name for m in VENDOR_MUTANTS}
    print("| mutant | component | source | fault | expected to fail |")
    print("|---|---|---|---|---|")
    for m in mutants:
        source = "vendor-style" if m.name in vendor else "per requirement"
        print(f"| `{m.name}` | {m.component} | {source} | {m.fault} | `{m.kills}` |")
    if EQUIVALENT:
        print("\nEquivalent mutants (cannot be told apart from the reference through the API):\n")
        for name, why in EQUIVALENT.items():
            print(f"- `{name}`: {why}")


def markdown(data: dict[str, Any]) -> str:
    """A saved run (``--json``) as Markdown: per-component rates, then one row per mutant."""
    rows = data["mutants"]
    lines = [
        "| component | mutants | felles killed | own requirement | Schemathesis any | Schemathesis new |",
        "|---|---|---|---|---|---|",
    ]
    for component in [*sorted({r["component"] for r in rows}), "all"]:
        part = [r for r in rows if component in ("all", r["component"])]
        st_any = sum(bool(r["schemathesisFailures"]) for r in part)
        st_new = sum(bool(r["schemathesisNew"]) for r in part)
        lines.append(
            f"| {component} | {len(part)} | {sum(r['killed'] for r in part)} | "
            f"{sum(r.get('ownRequirement') == 'failed' for r in part)} | {st_any} | {st_new} |"
        )
    lines += [
        "",
        "| mutant | component | killed | time to kill | first failed requirement | own | ST any | ST new |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ttk = f"{r['secondsToKill']:.1f} s" if r["secondsToKill"] is not None else "-"
        first = _short(r["failed"][0]) if r["failed"] else "-"
        own = {"failed": "yes", "-": "-"}.get(r.get("ownRequirement", "-"), "no")
        lines.append(
            f"| `{r['name']}` | {r['component']} | {'yes' if r['killed'] else '**no**'} | {ttk} | {first} | "
            f"{own} | {_yn(bool(r['schemathesisFailures']))} | {_yn(bool(r['schemathesisNew']))} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=25, help="examples per property (both tools)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at the same time")
    parser.add_argument("--only", nargs="*", default=[], help="mutant names")
    parser.add_argument("--component", nargs="*", default=[], help="name@version of mutants to run")
    parser.add_argument("--no-schemathesis", dest="schemathesis", action="store_false")
    parser.add_argument("--st-baseline-seeds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=20, help="false-positive runs of the reference")
    parser.add_argument("--first-seed", type=int, default=1, help="of the false-positive runs")
    parser.add_argument("--no-mutants", dest="mutants", action="store_false", help="false positives only")
    parser.add_argument("--catalogue", action="store_true", help="print the catalogue as Markdown")
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    parser.add_argument("--markdown", type=Path, help="print a saved --json run as Markdown and stop")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return 0
    mutants = [
        m
        for m in (all_mutants() if args.mutants else ())
        if (not args.only or m.name in args.only) and (not args.component or m.component in args.component)
    ]
    if args.catalogue:
        print_catalogue(mutants)
        return 0
    unknown = sorted(set(args.only) - {m.name for m in mutants})
    if unknown:
        parser.error(f"unknown mutants: {', '.join(unknown)}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    components = [default_catalogue().get(key) for key in sorted({m.component for m in mutants})]
    baselines = schemathesis_baselines(components, args) if args.schemathesis and mutants else {}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_mutant, m, args, baselines) for m in mutants]
        outcomes = []
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            print(f"  {outcome.mutant.name}: {'killed' if outcome.killed else 'SURVIVED'}", flush=True)
    print(f"\n{len(outcomes)} mutants in {time.perf_counter() - started:.0f} s "
          f"(examples {args.examples}, seed {args.seed}, {args.jobs} at a time)\n")  # fmt: skip
    print_table(outcomes, args.schemathesis)
    print_rates(outcomes, args.schemathesis)
    fps: list[tuple[int, int, list[str]]] = []
    if args.seeds:
        last = args.first_seed + args.seeds - 1
        print(f"\nFalse positives: felles test --reference, every component, seeds {args.first_seed}..{last}")
        fps = false_positives(args.seeds, args.examples, args.jobs, args.first_seed)
        broken = [seed for seed, _, problems in fps if problems and problems[0].startswith(NOT_RUN)]
        bad = [seed for seed, _, problems in fps if problems and seed not in broken]
        not_run = f"; {len(broken)} runs could not run at all (seeds {broken})" if broken else ""
        counted = len(fps) - len(broken)
        print(f"false positives: {len(bad)} of {counted} runs (seeds {bad or 'none'}){not_run}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(_as_json(outcomes, fps), indent=1), encoding="utf-8")
    return 0


def _as_json(outcomes: list[Outcome], fps: list[tuple[int, int, list[str]]]) -> dict[str, Any]:
    return {
        "mutants": [
            {"name": o.mutant.name, "component": o.mutant.component, "kills": o.mutant.kills,
             "killed": o.killed, "failed": o.failed, "ownRequirement": o.own_status, "errors": o.errors,
             "secondsToKill": o.seconds_to_kill, "seconds": round(o.seconds, 2),
             "schemathesisFailures": sorted(o.st_failures) if o.st_failures is not None else None,
             "schemathesisNew": sorted(o.st_new) if o.st_new is not None else None}
            for o in outcomes
        ],
        "falsePositives": [{"seed": s, "exit": e, "notPassed": p} for s, e, p in fps],
    }


if __name__ == "__main__":
    sys.exit(main())
