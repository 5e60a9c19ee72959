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
from collections.abc import Callable, Sequence
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


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


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
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number greater than 0")
    return value


def _byte_size(text: str) -> int:
    """A size in bytes, optionally with a K, M or G suffix (powers of 1024)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    factor = units.get(text[-1:].upper(), 1)
    number = text[:-1] if factor != 1 else text
    try:
        value = int(number) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in bytes (e.g. 5M, 512K)") from None
    if value < 1024:
        raise argparse.ArgumentTypeError(f"{text!r} is less than 1K")
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
        "--shrink",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="after a failure, send up to N more generated requests to find a smaller failing "
        "example (default 0: report the first failing example; shrinking is real traffic)",
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
        "--timeout",
        type=_positive_float,
        default=None,
        help="seconds each request may take in all: connecting, sending, reading the answer (default 10)",
    )
    test.add_argument(
        "--insecure", action="store_true", help="accept TLS certificates that cannot be verified"
    )
    test.add_argument(
        "--rate",
        type=_positive_float,
        default=None,
        metavar="N",
        help="send at most N requests per second in all (shared by --workers); default: no limit",
    )
    test.add_argument(
        "--deadline",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="stop the whole run after this long; the report is then marked incomplete (exit 3)",
    )
    test.add_argument(
        "--max-body-bytes",
        type=_byte_size,
        default=None,
        metavar="SIZE",
        help="read at most this much of each response body (default 5M)",
    )
    test.add_argument(
        "--trace",
        action="store_true",
        help="also write every request (in full) and the start of each answer to trace.jsonl "
        "in the report directory, one JSON line each; tokens are masked",
    )
    _add_certify_options(test)

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
    _add_certification_commands(commands)
    _add_editor_commands(commands)
    return parser


def _add_certify_options(test: argparse.ArgumentParser) -> None:
    test.add_argument(
        "--certify",
        action="store_true",
        help="sign report.json with --key (report.json.sig); a certificate if every claimed MUST passed",
    )
    test.add_argument("--key", type=Path, metavar="KEYFILE", help="Ed25519 private key (PEM) for --certify")
    test.add_argument("--vendor", help="vendor the certificate is issued to (required with --certify)")
    test.add_argument("--product", help="product the certificate is for (required with --certify)")


def _add_certification_commands(commands: Any) -> None:
    """``felles keygen``, ``felles report verify`` and ``felles register build``."""
    keygen = commands.add_parser("keygen", help="create an Ed25519 key pair for signing reports")
    keygen.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="where to write the keys")
    keygen.add_argument("--force", action="store_true", help="overwrite existing key files")

    report = commands.add_parser("report", help="work with signed reports")
    report_actions = report.add_subparsers(
        dest="report_action", metavar="ACTION", parser_class=_Parser, required=True
    )
    verify = report_actions.add_parser("verify", help="check that a signed report is genuine and unchanged")
    verify.add_argument("report", type=Path, metavar="REPORT", help="report.json")
    verify.add_argument("--public-key", type=Path, metavar="KEY", help="the certifier's public key (PEM)")
    verify.add_argument("--signature", type=Path, metavar="SIG", help="signature file (default: REPORT.sig)")
    verify.add_argument(
        "--require-certified",
        action="store_true",
        help="also exit 1 when the genuine report is not certified",
    )

    register = commands.add_parser("register", help="build the public register of certificates")
    register_actions = register.add_subparsers(
        dest="register_action", metavar="ACTION", parser_class=_Parser, required=True
    )
    build = register_actions.add_parser("build", help="verify signed reports and write the register site")
    build.add_argument("report_dir", type=Path, metavar="REPORT_DIR", help="searched for */report.json")
    build.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="where the register is written")
    build.add_argument(
        "--public-key",
        type=Path,
        action="append",
        default=[],
        metavar="KEY",
        help="trusted certifier key (repeatable); without it only each report's own key is checked",
    )


def _add_editor_commands(commands: Any) -> None:
    """``felles lint`` and ``felles diff``: the standards editors' toolchain."""
    lint = commands.add_parser(
        "lint", help="find drift between the spec, schemas, examples and conformance checks"
    )
    lint.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="standard to lint: the folder holding spec/, schemas/, examples/ (default: the installed one)",
    )
    lint.add_argument(
        "--checks-dir",
        type=Path,
        metavar="DIR",
        help="conformance check modules to trace requirements to (default: the installed ones)",
    )
    lint.add_argument("--format", choices=("text", "json"), default="text", help="output format")

    diff = commands.add_parser(
        "diff", help="classify the changes between two versions of a component (breaking or not)"
    )
    for name in ("old", "new"):
        diff.add_argument(name, metavar=name.upper(), help="NAME@VERSION, or a component version folder")
    diff.add_argument("--root", type=Path, metavar="DIR", help="standard to look NAME@VERSION up in")
    diff.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    diff.add_argument(
        "--check-version",
        action="store_true",
        help="exit 1 when the version bump is too small for the changes (breaking: major, additive: minor)",
    )


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
            "keygen": _cmd_keygen,
            "report": _cmd_report,
            "register": _cmd_register,
            "lint": _cmd_lint,
            "diff": _cmd_diff,
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

    settings = dataclasses.replace(Settings.from_env(), database=args.db, log_level=args.log_level)
    if args.fd is None:
        print(f"felles serve: tokens: {settings.auth_description}", file=sys.stderr)
    if settings.auth_mode == "hs256" and "FELLES_REFERENCE_JWT_SECRET" not in os.environ and args.fd is None:
        print(
            "felles serve: FELLES_REFERENCE_JWT_SECRET is not set, so a random secret is used and no "
            "client can authenticate; set it (32+ bytes) and mint tokens with `felles token`, or set "
            "FELLES_REFERENCE_JWT_PUBLIC_KEY / FELLES_REFERENCE_JWKS_FILE for RS256/ES256 tokens.",
            file=sys.stderr,
        )
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
    vendor, product = _certification_subject(args)
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
        shrink=args.shrink,
        report_dir=args.report_dir,
        junit=args.junit,
        lang=args.lang,
        workers=args.workers,
        timeout_s=args.timeout,
        insecure=args.insecure,
        started_at=datetime.now(UTC),
        certify=args.certify,
        key=args.key,
        vendor=vendor,
        product=product,
        rate=args.rate,
        deadline_s=args.deadline,
        max_body_bytes=args.max_body_bytes,
        trace=args.trace,
    )
    return run_tests(options)


# --------------------------------------------------------------------------- certification


def _certification_subject(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """Check the --certify options; vendor and product default for the reference."""
    if not args.certify:
        given = [name for name in ("key", "vendor", "product") if getattr(args, name) is not None]
        if given:
            raise UsageError(f"--{given[0]} is only used with --certify")
        return None, None
    if args.key is None:
        raise UsageError("--certify needs --key KEYFILE", hint="create one with `felles keygen --out DIR`")
    if args.requirements:
        raise UsageError("--certify cannot be combined with --requirement: a partial run certifies nothing")
    if args.seed is not None and args.seed > 2**53 - 1:
        raise UsageError("--seed must be below 2^53 with --certify (signed JSON holds integers up to 2^53-1)")
    vendor = args.vendor or ("Felles" if args.reference else None)
    product = args.product or ("Felles reference implementation" if args.reference else None)
    for name, value in (("vendor", vendor), ("product", product)):
        if value is None or not value.strip():
            raise UsageError(
                f"--certify needs --{name}", hint="it is signed into the report and the register"
            )
    return vendor, product


def _cmd_keygen(args: argparse.Namespace) -> int:
    from felles.report.signing import generate_keypair

    pair = generate_keypair(args.out, force=args.force)
    print(f"Private key: {pair.private_path} (keep it secret; readable by you only)")
    print(f"Public key:  {pair.public_path} (give it to whoever verifies your reports)")
    print(f"Fingerprint: {pair.fingerprint}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from felles.report.certificate import claimed_classes, not_certified_reasons, passed_classes
    from felles.report.signing import load_public_key, verify_report_file

    key = load_public_key(args.public_key) if args.public_key else None
    verified = verify_report_file(args.report, signature_path=args.signature, public_key=key)
    report, info = verified.report, verified.report.info
    print(f"{args.report}: GENUINE: the signature is valid and the report is unchanged since it was signed")
    if verified.key_source == "given":
        print(f"  Signed by:   {verified.fingerprint} (the key in {args.public_key})")
    else:
        print(f"  Signed by:   {verified.fingerprint} (the key inside {verified.signature_path})")
        print(
            "  WARNING: the signer's identity is NOT established. Without --public-key the report is "
            "checked only against the key in its own signature file: that proves it is unchanged since "
            "that key signed it, not who signed it. Compare the fingerprint with the certifier's, "
            "or pass --public-key."
        )
    reasons = not_certified_reasons(report)
    if reasons:
        print(f"  Certificate: NONE (not certified: {'; '.join(reasons)})")
    else:
        print("  Certificate: CERTIFIED (every MUST requirement of every claimed class passed)")
    rows = [
        ("Vendor", info.vendor or "-"),
        ("Product", info.product or "-"),
        ("Component", f"{info.component}@{info.version}"),
        ("Claimed", ", ".join(claimed_classes(report)) or "none"),
        ("Passed", ", ".join(passed_classes(report)) or "none"),
        ("Date", f"{info.started_at} to {info.finished_at}"),
        ("Suite", f"felles {info.suite_version}, seed {info.seed}, {info.examples} examples"),
        ("Target", info.target),
    ]
    for label, value in rows:
        print(f"  {label + ':':12} {value}")
    for req in report.warnings:
        requirement = req.requirement
        print(f"  Warning:     {requirement.requirement_id} ({requirement.keyword}, {req.status.value})")
    if args.require_certified and reasons:
        return EXIT_FAILED
    return EXIT_OK


def _cmd_register(args: argparse.Namespace) -> int:
    from felles.report.register import build_register
    from felles.report.signing import load_public_key
    from felles.standard import default_catalogue

    keys = [load_public_key(path) for path in args.public_key]
    known: dict[str, list[str]] = {}
    for component in default_catalogue().components():
        known.setdefault(component.name, []).append(component.version)
    result = build_register(args.report_dir, args.out_dir, public_keys=keys, known_versions=known)
    for certificate in result.certificates:
        state = (
            f"outdated: {certificate.component}@{certificate.newer_version} exists"
            if certificate.newer_version
            else "certified"
        )
        print(
            f"Listed:  {certificate.vendor}, {certificate.product}, {certificate.key} "
            f"[{', '.join(certificate.classes)}] ({state}) from {certificate.source}"
        )
    for refusal in result.refused:
        print(f"Refused: {refusal.source}: {refusal.reason}")
    if not keys:
        print("Note: no --public-key given, so signers are not established (the page says so).")
    print(f"Register: {result.index} ({len(result.certificates)} listed, {len(result.refused)} refused)")
    return EXIT_FAILED if result.refused else EXIT_OK


def _cmd_lint(args: argparse.Namespace) -> int:
    from felles.tools.lint import lint, render, summary

    result = lint(root=args.root, checks_dir=args.checks_dir)
    output = render(result, args.format)
    if output:
        print(output)
    print(summary(result), file=sys.stderr)
    return EXIT_OK if result.clean else EXIT_FAILED


def _cmd_diff(args: argparse.Namespace) -> int:
    from felles.tools.diff import diff, render

    report = diff(args.old, args.new, root=args.root)
    print(render(report, args.format))
    if args.check_version and not report.version_ok:
        print(f"felles diff: version check failed: {report.verdict()}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
