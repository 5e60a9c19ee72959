"""Results of a conformance run and the writers that publish them.

One plain-data model (:mod:`felles.report.model`) and one writer per format, so
that the JSON, HTML, JUnit and terminal views of a run can never disagree.
"""

from felles.report.html import STRINGS, Lang, render_html, write_html
from felles.report.json_report import (
    REPORT_SCHEMA_ID,
    atomic_write,
    from_json_dict,
    load_report_schema,
    read_json,
    to_json_dict,
    validate_json_report,
    write_json,
)
from felles.report.junit import render_junit, write_junit
from felles.report.model import (
    CheckResult,
    ClassResult,
    Exchange,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
    Status,
    worst,
)
from felles.report.summary import format_check_failure, render_summary

__all__ = [
    "REPORT_SCHEMA_ID",
    "STRINGS",
    "CheckResult",
    "ClassResult",
    "Exchange",
    "Lang",
    "Requirement",
    "RequirementResult",
    "RunInfo",
    "RunReport",
    "Status",
    "atomic_write",
    "format_check_failure",
    "from_json_dict",
    "load_report_schema",
    "read_json",
    "render_html",
    "render_junit",
    "render_summary",
    "to_json_dict",
    "validate_json_report",
    "worst",
    "write_html",
    "write_json",
    "write_junit",
]
