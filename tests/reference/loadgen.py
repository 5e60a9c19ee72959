"""A write-heavy workload against the reference, and the invariants it must keep.

Many clients, a few kommuner. Each client loops over: create an application
(with an ``Idempotency-Key``, sometimes retried), race the other clients to
move one of a few shared "hot" applications on (read the ``ETag``, send the
transition with ``If-Match``: exactly one of the racers may win, the others
get ``412``), read back its own applications, and list with filters.

Everything the server acknowledged goes into a :class:`Ledger`; every
request that got no answer is recorded as *unknown*. :func:`verify` then
proves against the live server that nothing acknowledged was lost, nothing
was written twice or half, and no update was lost: every ``200`` transition
must sit in the final history at exactly the version it was acknowledged
with, with the note its sender chose.

Used by ``test_reference_concurrency.py`` (a few seconds),
``test_reference_crash.py`` (bursts ended by ``kill -9``) and
``benchmarks/bench_reference_load.py`` (50 clients, 30 s).
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from felles.reference import mint_dev_token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (
    ROOT / "examples/application/1.0/valid/ApplicationSubmission/kindergarten-full-time-two-guardians.json"
)
BASE_SUBMISSION: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
ALL_SCOPES = ("application:read", "application:write", "application:decide")
COMPONENT = "/application/1.0"
FINAL = frozenset({"granted", "refused", "withdrawn"})
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "submitted": ("received",),
    "received": ("under-review",),
    "under-review": ("granted", "refused"),
}
WITHDRAW_SHARE = 0.08
RETRY_SHARE = 0.1


def token_for(secret: str, kommune: str) -> str:
    return mint_dev_token(secret, ALL_SCOPES, kommune, ttl_seconds=3600)


# --------------------------------------------------------------------------- what happened


@dataclass
class CreateRecord:
    tenant: str
    key: str
    marker: str
    submission: dict[str, Any]
    outcome: str = "unknown"  # "acked", "unknown" (no answer) or "rejected <status>"
    application_id: str | None = None


@dataclass
class TransitionRecord:
    tenant: str
    application_id: str
    to: str
    note: str
    outcome: str = "unknown"  # "acked", "conflict", "unknown" or "rejected <status>"
    version: int | None = None


@dataclass
class Ledger:
    """What every client sent and what the server acknowledged; thread-safe."""

    creates: list[CreateRecord] = field(default_factory=list)
    transitions: list[TransitionRecord] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    transport_errors: int = 0
    replays_checked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, item: CreateRecord | TransitionRecord) -> None:
        with self.lock:
            if isinstance(item, CreateRecord):
                self.creates.append(item)
            else:
                self.transitions.append(item)

    def observe(self, what: str, response: httpx.Response, seconds: float) -> None:
        problems = []
        if response.status_code >= 500:
            problems.append(f"{what} -> {response.status_code}: {response.text[:300]}")
        bad_body = response.status_code >= 400 and not response.headers.get("content-type", "").startswith(
            "application/problem+json"
        )
        with self.lock:
            self.statuses[response.status_code] += 1
            self.latencies.append(seconds)
            self.server_errors.extend(problems)
            if bad_body:
                self.unexpected.append(f"{what} -> {response.status_code} without a problem body")

    def surprise(self, message: str) -> None:
        with self.lock:
            self.unexpected.append(message)

    def lost_connection(self) -> None:
        with self.lock:
            self.transport_errors += 1

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def conflicts(self) -> int:
        return sum(1 for t in self.transitions if t.outcome == "conflict")

    def acked_creates(self) -> list[CreateRecord]:
        return [c for c in self.creates if c.outcome == "acked"]

    def acked_transitions(self) -> list[TransitionRecord]:
        return [t for t in self.transitions if t.outcome == "acked"]


def percentile(values: Iterable[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- the shared hot set


class HotSet:
    """A few applications per kommune that every client of that kommune races to move on."""

    def __init__(self) -> None:
        self._ids: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()

    def add(self, tenant: str, application_id: str) -> None:
        with self._lock:
            self._ids[tenant].append(application_id)

    def pick(self, tenant: str, rng: random.Random) -> str | None:
        with self._lock:
            ids = self._ids[tenant]
            return rng.choice(ids) if ids else None

    def replace(self, tenant: str, old: str, new: str) -> None:
        with self._lock:
            ids = self._ids[tenant]
            if old in ids:  # else another client replaced it first
                ids[ids.index(old)] = new


# --------------------------------------------------------------------------- one client


class LoadClient:
    """One thread's loop of requests, all as one kommune."""

    def __init__(
        self,
        index: int,
        http: httpx.Client,
        tenant: str,
        ledger: Ledger,
        hot: HotSet,
        stop: threading.Event,
        seed: int,
        label: str = "",
    ) -> None:
        self.index = index
        self.label = label or f"{index}"
        self.http = http
        self.tenant = tenant
        self.ledger = ledger
        self.hot = hot
        self.stop = stop
        self.rng = random.Random(seed)
        self.counter = itertools.count()
        self.own: list[str] = []

    def send(self, what: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        response = self.http.request(method, url, **kwargs)
        self.ledger.observe(what, response, time.perf_counter() - started)
        return response

    def run(self, pause_on_error_s: float = 0.02) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except httpx.TransportError:
                self.ledger.lost_connection()
                time.sleep(pause_on_error_s)

    def step(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            self.create()
        elif choice < 0.8:
            self.contend()
        elif choice < 0.95:
            self.read_own()
        else:
            self.list_filtered()

    def create(self) -> str | None:
        n = next(self.counter)
        marker = f"load {self.label}/{n}"
        submission = copy.deepcopy(BASE_SUBMISSION)
        submission["comment"] = marker
        record = CreateRecord(self.tenant, f"c{self.label}-{n}", marker, submission)
        self.ledger.record(record)
        headers = {"Idempotency-Key": record.key}
        response = self.send("POST /applications", "POST", "/applications", json=submission, headers=headers)
        if response.status_code != 201:
            record.outcome = f"rejected {response.status_code}"
            self.ledger.surprise(f"create {record.key} -> {response.status_code}: {response.text[:200]}")
            return None
        application_id = str(response.json()["id"])
        record.application_id = application_id
        record.outcome = "acked"
        self.own.append(application_id)
        if self.rng.random() < RETRY_SHARE:  # a client retrying after a lost answer
            again = self.send(
                "POST /applications (retry)", "POST", "/applications", json=submission, headers=headers
            )
            with self.ledger.lock:
                self.ledger.replays_checked += 1
            if again.status_code != 201 or again.content != response.content:
                self.ledger.surprise(
                    f"retry of {record.key} answered {again.status_code}, not the first answer"
                )
        return application_id

    def contend(self) -> None:
        application_id = self.hot.pick(self.tenant, self.rng)
        if application_id is None:
            return
        current = self.send("GET /applications/{id}", "GET", f"/applications/{application_id}")
        if current.status_code != 200:
            self.ledger.surprise(f"GET hot {application_id} -> {current.status_code}")
            return
        status = current.json()["status"]
        if status in FINAL:
            replacement = self.create()
            if replacement is not None:
                self.hot.replace(self.tenant, application_id, replacement)
            return
        to = "withdrawn" if self.rng.random() < WITHDRAW_SHARE else self.rng.choice(NEXT_STATUS[status])
        record = TransitionRecord(self.tenant, application_id, to, f"t{self.label}-{next(self.counter)}")
        self.ledger.record(record)
        response = self.send(
            "POST /applications/{id}/transitions",
            "POST",
            f"/applications/{application_id}/transitions",
            json={"to": to, "note": record.note},
            headers={"If-Match": current.headers["etag"]},
        )
        if response.status_code == 200:
            body = response.json()
            last = body["history"][-1]
            record.version = len(body["history"])
            record.outcome = "acked"
            if (body["status"], last["status"], last.get("note")) != (to, to, record.note):
                self.ledger.surprise(f"transition {record.note} answered 200 with another state: {last}")
        elif response.status_code == 412:
            record.outcome = "conflict"
        else:
            record.outcome = f"rejected {response.status_code}"
            self.ledger.surprise(f"transition {record.note} -> {response.status_code}: {response.text[:200]}")

    def read_own(self) -> None:
        if not self.own:
            return
        application_id = self.rng.choice(self.own)
        response = self.send("GET /applications/{id}", "GET", f"/applications/{application_id}")
        if response.status_code != 200 or response.json()["municipalityNumber"] != self.tenant:
            self.ledger.surprise(f"own application {application_id} -> {response.status_code}")

    def list_filtered(self) -> None:
        params: dict[str, str | int] = {"limit": self.rng.randint(1, 100)}
        if self.rng.random() < 0.5:
            params["status"] = self.rng.choice(["submitted", "received", "under-review", "granted"])
        response = self.send("GET /applications", "GET", "/applications", params=params)
        if response.status_code != 200:
            self.ledger.surprise(f"list {params} -> {response.status_code}")
            return
        for item in response.json()["items"]:
            if item["municipalityNumber"] != self.tenant or item["status"] != params.get(
                "status", item["status"]
            ):
                self.ledger.surprise(
                    f"list {params} as {self.tenant} returned {item['id']} ({item['status']})"
                )


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class LoadConfig:
    clients: int = 20
    tenants: tuple[str, ...] = ("0301", "4601", "3201")
    hot_per_tenant: int = 3
    seed: int = 1


@dataclass
class LoadRun:
    """A running workload: start it, let it run (or kill the server under it), stop it."""

    root: str
    secret: str
    config: LoadConfig = field(default_factory=LoadConfig)
    ledger: Ledger = field(default_factory=Ledger)
    hot: HotSet = field(default_factory=HotSet)
    #: Makes keys, markers and notes unique across runs sharing one database.
    label: str = field(default_factory=lambda: secrets.token_hex(3))
    started: float = 0.0
    stopped: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def http(self, tenant: str) -> httpx.Client:
        """One client per kommune, shared by its threads (httpx clients are thread-safe)."""
        if tenant not in self._clients:
            self._clients[tenant] = httpx.Client(
                base_url=self.root + COMPONENT,
                headers={"Authorization": f"Bearer {token_for(self.secret, tenant)}"},
                timeout=httpx.Timeout(30.0, connect=5.0),
                limits=httpx.Limits(max_connections=self.config.clients + 4, max_keepalive_connections=None),
                verify=False,  # plain HTTP on loopback; skips building a TLS context per client
            )
        return self._clients[tenant]

    def seed_hot(self) -> None:
        """The shared applications every client races on."""
        for number, tenant in enumerate(self.config.tenants):
            setup = LoadClient(
                10_000 + number,
                self.http(tenant),
                tenant,
                self.ledger,
                self.hot,
                self._stop,
                seed=number,
                label=f"{self.label}.s{number}",
            )
            for _ in range(self.config.hot_per_tenant):
                created = setup.create()
                assert created is not None, self.ledger.unexpected
                self.hot.add(tenant, created)

    def start(self, *, seed_hot: bool = True) -> LoadRun:
        if seed_hot:
            self.seed_hot()
        tenants = self.config.tenants
        for index in range(self.config.clients):
            tenant = tenants[index % len(tenants)]
            client = LoadClient(
                index,
                self.http(tenant),
                tenant,
                self.ledger,
                self.hot,
                self._stop,
                seed=self.config.seed * 1000 + index,
                label=f"{self.label}.{index}",
            )
            thread = threading.Thread(target=client.run, name=f"load-{index}", daemon=True)
            self._threads.append(thread)
        self.started = time.perf_counter()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        self.stopped = time.perf_counter()
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def run_for(self, seconds: float) -> LoadRun:
        self.start()
        time.sleep(seconds)
        self.stop()
        return self

    @property
    def seconds(self) -> float:
        return max(1e-9, self.stopped - self.started)

    def summary(self) -> dict[str, Any]:
        ledger = self.ledger
        return {
            "clients": self.config.clients,
            "seconds": round(self.seconds, 2),
            "requests": ledger.requests,
            "requests_per_s": round(ledger.requests / self.seconds, 1),
            "p50_ms": round(1000 * percentile(ledger.latencies, 0.50), 1),
            "p99_ms": round(1000 * percentile(ledger.latencies, 0.99), 1),
            "creates_acked": len(ledger.acked_creates()),
            "transitions_acked": len(ledger.acked_transitions()),
            "conflicts_412": ledger.conflicts,
            "idempotent_retries": ledger.replays_checked,
            "server_errors": len(ledger.server_errors),
            "transport_errors": ledger.transport_errors,
            "statuses": dict(sorted(ledger.statuses.items())),
        }


# --------------------------------------------------------------------------- the invariants


def walk(http: httpx.Client) -> Iterator[dict[str, Any]]:
    """Every application the caller's kommune may list, following ``next`` links."""
    url: str | None = "/applications?limit=100"
    while url is not None:
        page = http.get(url)
        assert page.status_code == 200, page.text
        body = page.json()
        yield from body["items"]
        url = body["next"]
        if url is not None and url.startswith(COMPONENT):
            url = url[len(COMPONENT) :]


def verify(run: LoadRun, *, crashed: bool = False, retry_unknown: bool = False) -> list[str]:
    """Every invariant of the workload, checked against the live server; returns the violations.

    ``crashed``: the server was killed under load, so some requests have no
    answer; their writes may be present (complete) or absent, never half.
    ``retry_unknown``: first retry each unanswered create with its key, as a
    client would after the outage; there must still be at most one of each.
    """
    ledger = run.ledger
    problems: list[str] = [f"5xx: {e}" for e in ledger.server_errors[:20]]
    problems += [f"unexpected: {e}" for e in ledger.unexpected[:20]]
    if not crashed and ledger.transport_errors:
        problems.append(f"{ledger.transport_errors} requests got no answer")
    http = {tenant: run.http(tenant) for tenant in run.config.tenants}
    if retry_unknown:
        for record in ledger.creates:
            if record.outcome != "unknown":
                continue
            again = http[record.tenant].post(
                "/applications", json=record.submission, headers={"Idempotency-Key": record.key}
            )
            if again.status_code != 201:
                problems.append(f"retry of unanswered create {record.key} -> {again.status_code}")
                continue
            record.outcome, record.application_id = "acked", str(again.json()["id"])

    # IDs: one per acknowledged create, never shared.
    acked = ledger.acked_creates()
    ids = Counter(c.application_id for c in acked)
    problems += [f"id {i} acknowledged for {n} different creates" for i, n in ids.items() if n > 1]

    # Everything each kommune can list, once, and nothing of another kommune.
    listed: dict[str, dict[str, dict[str, Any]]] = {}
    markers: Counter[str] = Counter()
    for tenant, client in http.items():
        items = list(walk(client))
        seen = Counter(item["id"] for item in items)
        problems += [f"{tenant}: {i} listed {n} times" for i, n in seen.items() if n > 1]
        problems += [
            f"{tenant} lists {item['id']} of {item['municipalityNumber']}"
            for item in items
            if item["municipalityNumber"] != tenant
        ]
        listed[tenant] = {item["id"]: item for item in items}
        markers.update(str(item["submission"].get("comment")) for item in items)

    # Acknowledged creates: present, as sent, for the right kommune; no create stored twice.
    for record in acked:
        item = listed[record.tenant].get(str(record.application_id))
        if item is None:
            problems.append(f"acknowledged create {record.key} ({record.application_id}) is missing")
        elif item["submission"] != record.submission:
            problems.append(f"acknowledged create {record.key} reads back changed")
    for record in ledger.creates:
        if markers[record.marker] > 1:
            problems.append(f"create {record.key} is stored {markers[record.marker]} times")
    if not crashed:
        expected = {t: {c.application_id for c in acked if c.tenant == t} for t in http}
        for tenant, items in listed.items():
            extra = set(items) - expected[tenant]
            problems += [f"{tenant}: {i} exists but no create was acknowledged" for i in sorted(extra)[:10]]

    # Transitions: each 200 is in the history at its version, with its note; nothing else is.
    attempts: dict[str, dict[str, TransitionRecord]] = defaultdict(dict)
    for record in ledger.transitions:
        attempts[record.application_id][record.note] = record
    for application_id, by_note in attempts.items():
        tenant = next(iter(by_note.values())).tenant
        item = listed[tenant].get(application_id)
        if item is None:
            problems.append(f"{application_id} was transitioned but is not listed")
            continue
        history = item["history"]
        versions = Counter(r.version for r in by_note.values() if r.outcome == "acked")
        problems += [
            f"lost update: {n} transitions of {application_id} all acknowledged as version {v}"
            for v, n in versions.items()
            if n > 1
        ]
        for record in by_note.values():
            if record.outcome != "acked" or record.version is None:
                continue
            entry = history[record.version - 1] if record.version <= len(history) else None
            if entry is None or (entry["status"], entry.get("note")) != (record.to, record.note):
                problems.append(
                    f"acknowledged transition {record.note} ({record.to}) of {application_id} is not "
                    f"version {record.version} of its history: {entry}"
                )
        for position, entry in enumerate(history[1:], start=2):
            sender = by_note.get(str(entry.get("note")))
            if sender is None or sender.to != entry["status"]:
                problems.append(f"{application_id} history entry {position} was never sent: {entry}")
            elif not crashed and sender.outcome != "acked":
                problems.append(f"{application_id}: {sender.note} was applied but answered {sender.outcome}")
        if item["status"] != history[-1]["status"]:
            problems.append(f"{application_id}: status {item['status']} is not its last history entry")
    return problems


def run_and_verify(root: str, secret: str, config: LoadConfig, seconds: float) -> tuple[LoadRun, list[str]]:
    run = LoadRun(root, secret, config).run_for(seconds)
    return run, verify(run)
