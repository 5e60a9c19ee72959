"""Who an area reaches: register entries inside a polygon, at an address, on a matrikkel unit.

The register stores, per entry, its position in both CRSs and normalised
address and matrikkel keys (:func:`register_columns`), so resolving an area is
an indexed lookup plus, for a polygon, an exact *covers* test in the area's
own CRS. Every query is limited to the alert's kommune.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from felles.reference.components.citizen_alert_geo import covered, locate, polygon_of
from felles.reference.components.citizen_alert_model import RESIDENT_COLUMNS, StoredResident, resident_row


@dataclass(frozen=True)
class RegisterColumns:
    """The derived columns of an ``alert_residents`` row."""

    lon: float
    lat: float
    easting: float
    northing: float
    address_key: str | None
    unit_number: str | None
    cadastral_key: str | None
    leasehold_number: int
    section_number: int


def address_key(address: Mapping[str, Any]) -> str | None:
    """Street (case-folded), house number, letter and postal code: what an address target
    must equal (spec: "At an address"); None for an address without street and number."""
    street, number = address.get("streetName"), address.get("houseNumber")
    if street is None or number is None:
        return None
    folded = unicodedata.normalize("NFC", str(street)).casefold()
    return "\x1f".join((folded, str(number), str(address.get("houseLetter", "")), str(address["postalCode"])))


def cadastral_key(cadastral: Mapping[str, Any]) -> str:
    """Kommune, gårdsnummer and bruksnummer; fnr and snr are matched separately."""
    return "/".join(
        str(cadastral[member])
        for member in ("municipalityNumber", "cadastralUnitNumber", "propertyUnitNumber")
    )


def register_columns(entry: Mapping[str, Any]) -> RegisterColumns:
    """The derived columns of a register entry (its location must be validated first)."""
    location = entry["location"]
    x, y = location["geometry"]["coordinates"]
    located = locate(location["crs"], x, y)
    address = entry["address"]
    cadastral = address.get("cadastralNumber")
    return RegisterColumns(
        lon=located.lon,
        lat=located.lat,
        easting=located.easting,
        northing=located.northing,
        address_key=address_key(address),
        unit_number=address.get("unitNumber"),
        cadastral_key=cadastral_key(cadastral) if cadastral else None,
        leasehold_number=int(cadastral.get("leaseholdNumber", 0)) if cadastral else 0,
        section_number=int(cadastral.get("sectionNumber", 0)) if cadastral else 0,
    )


_POSITION_COLUMNS = {"EPSG:4326": ("r.lon", "r.lat"), "EPSG:25833": ("r.easting", "r.northing")}


def in_polygon(connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]) -> list[StoredResident]:
    """Entries whose location, in the area's CRS, the polygon covers: bounding box by index,
    then the exact test."""
    polygon = polygon_of(dict(area))
    x_column, y_column = _POSITION_COLUMNS[area["crs"]]
    west, south, east, north = polygon.bounds
    rows = connection.execute(
        f"SELECT {RESIDENT_COLUMNS}, {x_column}, {y_column} FROM alert_residents r "
        f"WHERE r.municipality = ? AND {x_column} BETWEEN ? AND ? AND {y_column} BETWEEN ? AND ? "
        "ORDER BY r.seq",
        (tenant, west, east, south, north),
    ).fetchall()
    inside = covered(polygon, ((float(row[-2]), float(row[-1])) for row in rows))
    return [resident_row(row[:-2]) for row, hit in zip(rows, inside, strict=True) if hit]


def _union(connection: sqlite3.Connection, queries: Iterable[tuple[str, list[Any]]]) -> list[StoredResident]:
    """Entries any of the queries finds, each once, in register order."""
    found: dict[int, StoredResident] = {}
    for sql, parameters in queries:
        for row in connection.execute(sql, parameters).fetchall():
            resident = resident_row(row)
            found.setdefault(resident.seq, resident)
    return [found[seq] for seq in sorted(found)]


def _address_query(tenant: str, target: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Entries at the address; a target with ``unitNumber`` reaches that dwelling only."""
    sql = f"SELECT {RESIDENT_COLUMNS} FROM alert_residents r WHERE r.municipality = ? AND r.address_key = ?"
    parameters: list[Any] = [tenant, address_key(target)]
    if "unitNumber" in target:
        sql += " AND r.unit_number = ?"
        parameters.append(target["unitNumber"])
    return sql, parameters


def _cadastral_query(tenant: str, target: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Entries on the matrikkel unit; fnr and snr count only where the target gives them."""
    sql = f"SELECT {RESIDENT_COLUMNS} FROM alert_residents r WHERE r.municipality = ? AND r.cadastral_key = ?"
    parameters: list[Any] = [tenant, cadastral_key(target)]
    for member, column in (("leaseholdNumber", "leasehold_number"), ("sectionNumber", "section_number")):
        if member in target:
            sql += f" AND r.{column} = ?"
            parameters.append(int(target[member]))
    return sql, parameters


def resolve(connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]) -> list[StoredResident]:
    """The recipients of ``area`` in the kommune ``tenant``, in register order."""
    kind = area["type"]
    if kind == "polygon":
        return in_polygon(connection, tenant, area)
    if kind == "addresses":
        return _union(connection, (_address_query(tenant, target) for target in area["addresses"]))
    return _union(connection, (_cadastral_query(tenant, target) for target in area["cadastralUnits"]))
