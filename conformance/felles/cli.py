"""The ``felles`` command: argument parsing, exit codes and user-facing errors only.

Exit codes: 0 all claimed classes pass, 1 conformance failures, 2 usage or
configuration error, 3 system under test unreachable, 130 interrupted.
No traceback is shown unless ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import felles
from felles.errors import FellesError, UsageError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting, so one place prints errors."""

    def error(self, message: str) -> Any:
        raise UsageError(message, hint=f"see {self.prog} --help")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed {text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"seed {text!r} must be between 0 and 2^63-1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="felles", description="Felles: conformance suite and tools for the Felles standard."
    )
    parser.add_argument("--version", action="version", version=f"felles {felles.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    test = commands.add_parser("test", help="run the conformance suite against a system")
    test.add_argument("base_url", nargs="?", help="base URL where the system serves the component version")
    test.add_argument(
        "--reference",
        action="store_true",
        help="start the embedded reference implementation and test it",
    )
    test.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="NAME@VERSION",
        help="component version to test (repeatable; default with --reference: all)",
    )
    test.add_argument(
        "--class",
        dest="classes",
        action="append",
        default=[],
        metavar="CLASS",
        help="conformance class to test and claim (repeatable; default: what GET /conformance declares)",
    )
    test.add_argument(
        "--requirement",
        dest="requirements",
        action="append",
        default=[],
        metavar="ID",
        help="run only the checks of this requirement (repeatable; the run then cannot certify)",
    )
    test.add_argument(
        "--token-env",
        action="append",
        default=[],
        metavar="[ROLE=]VAR",
        help="environment variable holding a bearer token; "
        "roles: default, other-tenant, read-only, write-only, no-decide",
    )
    test.add_argument(
        "--token-command",
        action="append",
        default=[],
        metavar="[ROLE=]CMD",
        help="command printing a fresh bearer token (re-run on 401)",
    )
    test.add_argument("--municipality", metavar="NNNN", help="kommunenummer the default token acts for")
    test.add_argument(
        "--seed", type=_seed, help="Hypothesis seed (default: random; printed for reproduction)"
    )
    test.add_argument(
        "--examples",
        type=_positive_int,
        default=None,
        help="generated examples per property check (default 25)",
    )
    test.add_argument(
        "--report-dir", type=Path, default=Path("felles-report"), help="where reports are written"
    )
    test.add_argument("--junit", type=Path, help="also write JUnit XML here")
    test.add_argument("--lang", choices=("nb", "en"), default="nb", help="language of the HTML report")
    test.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="run checks in N processes (pytest-xdist)",
    )
    test.add_argument(
        "--timeout", type=_positive_float, default=None, help="seconds to wait for each response"
    )
    test.add_argument(
        "--insecure", action="store_true", help="accept TLS certificates that cannot be verified"
    )

    serve = commands.add_parser("serve", help="run the reference implementation")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--fd", type=int, help="serve on an already-bound listening socket")
    serve.add_argument("--db", default=":memory:", help="SQLite database file (default: in memory)")
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )

    token = commands.add_parser("token", help="mint a development token for the reference implementation")
    token.add_argument("--scope", action="append", required=True, help="scope to grant (repeatable)")
    token.add_argument("--kommune", default="0301", help="kommunenummer the token acts for")
    token.add_argument("--ttl", type=_positive_int, default=3600, help="lifetime in seconds")

    validate = commands.add_parser("validate", help="validate a JSON file against a schema of the standard")
    validate.add_argument("file", type=Path)
    validate.add_argument(
        "--schema",
        required=True,
        metavar="NAME@VERSION/SCHEMA",
        help="e.g. application@1.0/Application",
    )

    commands.add_parser("components", help="list the components and versions of the standard")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_USAGE
        handler = {
            "test": _cmd_test,
            "serve": _cmd_serve,
            "token": _cmd_token,
            "validate": _cmd_validate,
            "components": _cmd_components,
        }
        return handler[args.command](args)
    except FellesError as exc:
        print(f"felles: error: {exc}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        print("felles: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug in felles, never the vendor's fault
        print(
            f"felles: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in felles; rerun with --debug and report it)",
            file=sys.stderr,
        )
        if debug:
            traceback.print_exc()
        return EXIT_INTERNAL


def _cmd_components(args: argparse.Namespace) -> int:
    from felles.standard import default_catalogue

    for component in default_catalogue().components():
        classes = ", ".join(component.conformance_classes) or "(definitions only)"
        print(f"{component.key:28} {classes}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from felles.standard import default_catalogue
    from felles.standard.validation import validator_for

    component_key, _, schema_name = str(args.schema).partition("/")
    if not schema_name:
        raise UsageError(
            f"--schema {args.schema!r} names no schema",
            hint="use NAME@VERSION/SCHEMA, e.g. application@1.0/Application",
        )
    component = default_catalogue().get(component_key)
    validator = validator_for(component.schema_id(schema_name))
    try:
        instance = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{args.file} is not valid JSON: {exc}") from None
    errors = validator.errors(instance)
    if not errors:
        print(f"{args.file}: valid against {component.key}/{schema_name}")
        return EXIT_OK
    for error in errors:
        print(f"{args.file}: {error.pointer or '/'}: {error.detail}")
    print(f"{args.file}: {len(errors)} error(s) against {component.key}/{schema_name}")
    return EXIT_FAILED


def _cmd_serve(args: argparse.Namespace) -> int:
    import dataclasses
    import os

    from felles.reference.server import serve
    from felles.reference.settings import Settings

    if "FELLES_REFERENCE_JWT_SECRET" not in os.environ and args.fd is None:
        print(
            "felles serve: FELLES_REFERENCE_JWT_SECRET is not set, so a random secret is used and no "
            "client can authenticate; set it (32+ bytes) and mint tokens with `felles token`.",
            file=sys.stderr,
        )
    settings = dataclasses.replace(Settings.from_env(), database=args.db, log_level=args.log_level)
    serve(settings, host=args.host, port=args.port, fd=args.fd)
    return EXIT_OK


def _cmd_token(args: argparse.Namespace) -> int:
    import os

    from felles.formats import is_municipality_number
    from felles.reference.auth import mint_dev_token
    from felles.reference.settings import Settings

    if "FELLES_REFERENCE_JWT_SECRET" not in os.environ:
        raise UsageError(
            "FELLES_REFERENCE_JWT_SECRET is not set", hint="set the same secret as for felles serve"
        )
    if not is_municipality_number(args.kommune):
        raise UsageError(f"--kommune {args.kommune!r} is not a kommunenummer in the 2024 code list")
    settings = Settings.from_env()
    print(
        mint_dev_token(
            settings.jwt_secret,
            list(args.scope),
            args.kommune,
            issuer=settings.issuer,
            audience=settings.audience,
            ttl_seconds=args.ttl,
        )
    )
    return EXIT_OK


def _cmd_test(args: argparse.Namespace) -> int:
    from felles.runner.run import TestOptions, run_tests

    if args.reference and args.base_url:
        raise UsageError("give either a base URL or --reference, not both")
    if not args.reference and not args.base_url:
        raise UsageError(
            "no system to test",
            hint="give its base URL, or --reference for the reference implementation",
        )
    if args.base_url and not args.component:
        raise UsageError("--component is required with a base URL", hint="e.g. --component application@1.0")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    options = TestOptions(
        base_url=args.base_url,
        reference=args.reference,
        components=list(args.component),
        classes=list(args.classes),
        requirements=list(args.requirements),
        token_env=list(args.token_env),
        token_command=list(args.token_command),
        municipality=args.municipality,
        seed=seed,
        examples=args.examples,
        report_dir=args.report_dir,
        junit=args.junit,
        lang=args.lang,
        workers=args.workers,
        timeout_s=args.timeout,
        insecure=args.insecure,
        started_at=datetime.now(UTC),
    )
    return run_tests(options)
