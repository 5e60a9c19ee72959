"""Kommunenummer: the shipped SSB 131 code list (2024) and the checks built on it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from felles.errors import StandardError
from felles.formats import is_municipality_number, municipality_numbers
from felles.formats.municipality import _parse, code_list

CODE_LIST = Path(__file__).resolve().parents[2] / "schemas/common/1.0/codelists/municipalities.json"
FYLKER_2024 = {
    "03",
    "11",
    "15",
    "18",
    "31",
    "32",
    "33",
    "34",
    "39",
    "40",
    "42",
    "46",
    "50",
    "55",
    "56",
}
VALID_FROM = datetime.date(2024, 1, 1)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CODE_LIST.read_text(encoding="utf-8"))
    return data


def test_code_list_metadata(document: dict[str, Any]) -> None:
    assert document["classification"] == "SSB 131"
    assert document["source"] == "https://www.ssb.no/klass/klassifikasjoner/131"
    assert document["validFrom"] == "2024-01-01"
    assert document["validTo"] is None
    assert document["$comment"]


def test_code_list_has_the_357_kommuner_of_2024(document: dict[str, Any]) -> None:
    numbers = [entry["number"] for entry in document["municipalities"]]
    assert len(numbers) == 357
    assert len(set(numbers)) == 357
    assert numbers == sorted(numbers)
    assert all(len(n) == 4 and n.isascii() and n.isdigit() for n in numbers)
    assert all(entry["name"].strip() for entry in document["municipalities"])


def test_every_number_belongs_to_one_of_the_15_fylker(document: dict[str, Any]) -> None:
    fylker = {entry["number"][:2] for entry in document["municipalities"]}
    assert fylker == FYLKER_2024


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("0301", "Oslo"),
        ("3201", "Bærum"),
        ("4601", "Bergen"),
        ("5001", "Trondheim"),
        ("1103", "Stavanger"),
        ("5501", "Tromsø"),
        ("3101", "Halden"),
        ("4204", "Kristiansand"),
        ("5601", "Alta"),
        ("1580", "Haram"),  # split from Ålesund on 2024-01-01
        ("1508", "Ålesund"),
    ],
)
def test_well_known_kommuner_are_listed(document: dict[str, Any], number: str, name: str) -> None:
    names = {entry["number"]: entry["name"] for entry in document["municipalities"]}
    # SSB gives some kommuner parallel Sami/Kven names, e.g. "Trondheim - Tråante".
    assert name in names[number].split(" - ")


def test_loader_returns_the_file(document: dict[str, Any]) -> None:
    assert municipality_numbers(on=VALID_FROM) == tuple(e["number"] for e in document["municipalities"])
    assert code_list().names["4601"] == "Bergen"


@pytest.mark.parametrize("number", ["0301", "3201", "4601", "5601", "1580"])
def test_current_numbers_are_valid(number: str) -> None:
    assert is_municipality_number(number)
    assert is_municipality_number(number, on=VALID_FROM)


@pytest.mark.parametrize(
    "value",
    [
        "0219",  # Bærum before 2020
        "3024",  # Bærum 2020-2023
        "1201",  # Bergen before 2020
        "5401",  # Tromsø 2020-2023
        "1507",  # Ålesund 2020-2023
        "2100",  # Svalbard: not a kommune
        "9999",  # SSB "Uoppgitt": a statistical placeholder
        "0000",
        "301",
        "03010",
        " 0301",
        "0301\n",
        "03\uff101",
        "",
    ],
)
def test_other_values_are_rejected(value: str) -> None:
    assert not is_municipality_number(value)


def test_the_list_is_not_valid_before_2024() -> None:
    day_before = VALID_FROM - datetime.timedelta(days=1)
    assert municipality_numbers(on=day_before) == ()
    assert not is_municipality_number("3201", on=day_before)
    assert is_municipality_number("3201", on=VALID_FROM)


def test_the_default_date_is_today() -> None:
    assert municipality_numbers() == municipality_numbers(on=datetime.date.today())


@pytest.mark.parametrize(
    "broken",
    [
        {"validTo": None, "municipalities": []},  # no validFrom
        {"validFrom": "2024-01-01", "validTo": None, "municipalities": []},  # empty
        {
            "validFrom": "2024-01-01",
            "validTo": None,
            "municipalities": [{"number": "301", "name": "x"}],
        },
        {
            "validFrom": "2024-01-01",
            "validTo": None,
            "municipalities": [{"number": "0301", "name": "a"}, {"number": "0301", "name": "b"}],
        },
        {
            "validFrom": "1 Jan 2024",
            "validTo": None,
            "municipalities": [{"number": "0301", "name": "a"}],
        },
    ],
)
def test_a_broken_code_list_fails_loudly(broken: dict[str, Any]) -> None:
    with pytest.raises(StandardError):
        _parse(broken, Path("municipalities.json"))


def test_validity_period_end_is_exclusive() -> None:
    codes = _parse(
        {
            "validFrom": "2024-01-01",
            "validTo": "2026-01-01",
            "municipalities": [{"number": "0301", "name": "Oslo"}],
        },
        Path("municipalities.json"),
    )
    assert codes.is_valid_on(datetime.date(2025, 12, 31))
    assert not codes.is_valid_on(datetime.date(2026, 1, 1))
