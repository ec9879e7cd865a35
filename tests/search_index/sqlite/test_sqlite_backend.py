"""What only the SQLite backend does: WAL files, per-thread connections, the file switch."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_index.backend import BackendUnavailable, ImportBusy, ImportLocking, PublishFailed
from search_index.records import (
    FAMILY_MEMBER,
    PERSON_CATEGORIES,
    AccreditationStatus,
    CredentialStatus,
    CredentialType,
    Dataset,
    ImmunityOverride,
    Person,
    RegistrationStatus,
    TravelControl,
    TravelZone,
    Vehicle,
    VehicleType,
)
from search_index.sqlite.backend import POINTER, SQLiteBackend
from tests.factories import (
    DIPLOMAT_PLATE,
    MISSION_ID,
    make_license,
    make_mission,
    make_person,
    make_vehicle,
    small_dataset,
)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[SQLiteBackend]:
    built = SQLiteBackend(tmp_path / "data")
    yield built
    built.close()


def index_files(backend: SQLiteBackend) -> list[str]:
    return sorted(p.name for p in backend.data_dir.glob("index-*.sqlite"))


def one_plate_set(plate: str, family_name: str) -> Dataset:
    return Dataset(
        missions=(make_mission(),),
        persons=(make_person(family_name=family_name),),
        vehicles=(make_vehicle(plate=plate),),
        licenses=(make_license(),),
    )


def test_published_file_is_in_wal_mode(backend: SQLiteBackend) -> None:
    backend.publish(small_dataset())
    (name,) = index_files(backend)
    db = sqlite3.connect(backend.data_dir / name)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        db.close()


def test_each_thread_reuses_its_own_connection(backend: SQLiteBackend) -> None:
    backend.publish(small_dataset())
    with backend.snapshot() as first:
        pass
    with backend.snapshot() as second:
        pass
    assert first._db is second._db
    seen: list[sqlite3.Connection] = []

    def read() -> None:
        with backend.snapshot() as snap:
            seen.append(snap._db)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen
    assert seen[0] is not first._db


def test_switch_keeps_the_previous_file_and_removes_older_ones(backend: SQLiteBackend) -> None:
    backend.publish(one_plate_set("AAA111", "Alder"))
    first = index_files(backend)
    backend.publish(one_plate_set("BBB222", "Birch"))
    second = index_files(backend)
    assert len(second) == 2
    assert first[0] in second
    backend.publish(one_plate_set("CCC333", "Cedar"))
    third = index_files(backend)
    assert len(third) == 2
    assert first[0] not in third
    pointer = json.loads((backend.data_dir / POINTER).read_text())
    assert pointer["file"] == third[-1]


def test_a_pinned_snapshot_finishes_on_its_set_while_a_new_one_is_published(
    backend: SQLiteBackend,
) -> None:
    backend.publish(one_plate_set("AAA111", "Alder"))
    with backend.snapshot() as old:
        backend.publish(one_plate_set("BBB222", "Birch"))
        assert [m.vehicle.plate for m in old.find_plate("AAA111")] == ["AAA111"]
        assert old.find_plate("BBB222") == []
        with backend.snapshot() as new:
            assert new.find_plate("AAA111") == []
            assert new.info.dataset_id != old.info.dataset_id
        # The outer snapshot still answers from the old file after the inner one closed.
        assert [h.person.family_name for h in old.search_persons("alder")] == ["Alder"]
    with backend.snapshot() as after:
        assert after.find_plate("AAA111") == []


def test_another_backend_instance_sees_a_publish(backend: SQLiteBackend) -> None:
    """Like the web server seeing what `dipcheck import` published from another process."""
    reader = SQLiteBackend(backend.data_dir)
    try:
        assert reader.dataset_info() is None
        backend.publish(one_plate_set("AAA111", "Alder"))
        with reader.snapshot() as snap:
            assert [m.vehicle.plate for m in snap.find_plate("AAA111")] == ["AAA111"]
        backend.publish(one_plate_set("BBB222", "Birch"))
        with reader.snapshot() as snap:
            assert snap.find_plate("AAA111") == []
            assert snap.info == backend.dataset_info()
    finally:
        reader.close()


def test_lookups_in_threads_see_one_whole_set_during_switches(backend: SQLiteBackend) -> None:
    """Readers hammer the index while sets A and B are published in turn: every snapshot must
    answer entirely from A or entirely from B, and never fail or come back empty."""
    sets = {"A": one_plate_set("AAA111", "Alder"), "B": one_plate_set("BBB222", "Birch")}
    plate_of = {"A": "AAA111", "B": "BBB222"}
    name_of = {"A": "Alder", "B": "Birch"}
    backend.publish(sets["A"])
    which: dict[str, str] = {}
    which[backend.dataset_info().dataset_id] = "A"  # type: ignore[union-attr]
    stop = threading.Event()
    problems: list[str] = []
    seen: set[str] = set()

    def read() -> None:
        while not stop.is_set():
            try:
                with backend.snapshot() as snap:
                    label = which.get(snap.info.dataset_id)
                    plates = {m.vehicle.plate for m in snap.find_plate("AAA111")} | {
                        m.vehicle.plate for m in snap.find_plate("BBB222")
                    }
                    names = {
                        hit.person.family_name
                        for query in ("alder", "birch")
                        for hit in snap.search_persons(query)
                    }
                if label is None:
                    continue  # published a moment ago; its label is being recorded
                seen.add(label)
                if plates != {plate_of[label]} or names != {name_of[label]}:
                    problems.append(f"{label}: {plates} {names}")
            except Exception as exc:  # any failure is a finding, reported below
                problems.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        for round_ in range(12):
            label = "B" if round_ % 2 == 0 else "A"
            info = backend.publish(sets[label])
            which[info.dataset_id] = label
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert problems == []
    assert seen == {"A", "B"}


def test_a_failed_publish_leaves_the_served_set_and_no_files(backend: SQLiteBackend) -> None:
    good = backend.publish(small_dataset())
    duplicate = make_vehicle()
    broken = Dataset(
        missions=(make_mission(),),
        persons=(make_person(),),
        vehicles=(duplicate, duplicate),  # the importer never lets this through
        licenses=(),
    )
    with pytest.raises(PublishFailed, match="UNIQUE"):
        backend.publish(broken)
    assert backend.dataset_info() == good
    with backend.snapshot() as snap:
        assert snap.get_vehicle(DIPLOMAT_PLATE) is not None
    assert [p.name for p in backend.data_dir.iterdir() if "building" in p.name] == []
    assert len(index_files(backend)) == 1


def test_a_second_import_is_refused_while_one_runs(backend: SQLiteBackend) -> None:
    assert isinstance(backend, ImportLocking)
    other = SQLiteBackend(backend.data_dir)
    try:
        with backend.import_lock():
            with pytest.raises(ImportBusy, match="another import"):
                other.publish(small_dataset())
            with pytest.raises(ImportBusy), other.import_lock():
                pass
            # The holder itself publishes under the lock it holds.
            backend.publish(small_dataset())
        assert other.dataset_info() == backend.dataset_info()
        other.publish(small_dataset())  # free again once released
    finally:
        other.close()


def test_concurrent_publishes_from_threads_one_wins_one_is_refused(
    backend: SQLiteBackend,
) -> None:
    """The lock is per import, not per process: two threads of one backend exclude each other."""
    entered = threading.Event()
    release = threading.Event()
    outcome: list[str] = []

    def hold() -> None:
        with backend.import_lock():
            entered.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(10)
        try:
            backend.publish(small_dataset())
            outcome.append("published")
        except ImportBusy:
            outcome.append("busy")
    finally:
        release.set()
        holder.join()
    assert outcome == ["busy"]
    assert backend.dataset_info() is None


def test_broken_pointer_or_missing_file_is_unavailable_not_empty(backend: SQLiteBackend) -> None:
    backend.publish(small_dataset())
    (backend.data_dir / POINTER).write_text("{not json")
    fresh = SQLiteBackend(backend.data_dir)
    try:
        with pytest.raises(BackendUnavailable), fresh.snapshot():
            pass
        (backend.data_dir / POINTER).write_text(json.dumps({"file": "index-gone.sqlite"}))
        with pytest.raises(BackendUnavailable), fresh.snapshot():
            pass
        with pytest.raises(BackendUnavailable):
            fresh.ping()
    finally:
        fresh.close()


def test_stale_connections_are_closed_after_a_switch(backend: SQLiteBackend) -> None:
    backend.publish(one_plate_set("AAA111", "Alder"))
    with backend.snapshot() as old:
        old_db = old._db
    backend.publish(one_plate_set("BBB222", "Birch"))
    with backend.snapshot() as new:
        assert new._db is not old_db
    with pytest.raises(sqlite3.ProgrammingError):
        old_db.execute("SELECT 1")


def open_index_descriptors(backend: SQLiteBackend) -> int:
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc to count open files")
    count = 0
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(backend.data_dir)) and target.endswith(".sqlite"):
            count += 1
    return count


def test_finished_threads_do_not_leave_connections_open(backend: SQLiteBackend) -> None:
    """Servers that run each request on a new thread must not accumulate open files."""
    backend.publish(small_dataset())

    def lookup() -> None:
        with backend.snapshot() as snap:
            snap.find_plate(DIPLOMAT_PLATE)

    for _ in range(30):
        thread = threading.Thread(target=lookup)
        thread.start()
        thread.join()
    gc.collect()
    assert open_index_descriptors(backend) <= 2


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def literal(kind: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(get_args(kind))


texts = st.text(min_size=1, max_size=24)
flags = st.text(min_size=1, max_size=12).filter(lambda flag: ";" not in flag)
persons = st.builds(
    Person,
    person_id=st.just(""),  # replaced by a unique id below
    mission_id=st.just(MISSION_ID),
    family_name=texts,
    category=st.sampled_from([*PERSON_CATEGORIES, FAMILY_MEMBER]),
    accreditation_status=literal(AccreditationStatus),
    given_names=optional(texts),
    date_of_birth=optional(st.dates()),
    title=optional(texts),
    principal_id=optional(texts),
    us_national_or_resident=st.booleans(),
    immunity_override=optional(literal(ImmunityOverride)),
    override_reason=optional(texts),
    accreditation_start=optional(st.dates()),
    accreditation_end=optional(st.dates()),
    credential_number=st.just(None),
    credential_type=optional(literal(CredentialType)),
    credential_expiry=optional(st.dates()),
    credential_status=optional(literal(CredentialStatus)),
    travel_control=literal(TravelControl),
    travel_zone=optional(literal(TravelZone)),
    travel_notice_until=optional(st.dates()),
    flags=st.lists(flags, max_size=3).map(tuple),
)
dollars = optional(st.integers(0, 1_000_000_000))
vehicles = st.builds(
    Vehicle,
    plate=st.just(""),  # replaced by a unique plate below
    registration_status=literal(RegistrationStatus),
    owner_person_id=optional(texts),
    owner_mission_id=optional(texts),
    vin=optional(texts),
    make=optional(texts),
    model=optional(texts),
    year=optional(st.integers(1900, 2100)),
    color=optional(texts),
    vehicle_type=literal(VehicleType),
    registration_expiry=optional(st.dates()),
    insurer=optional(texts),
    policy_number=optional(texts),
    policy_effective=optional(st.dates()),
    policy_expiry=optional(st.dates()),
    policy_cancelled=st.booleans(),
    coverage_csl=dollars,
    coverage_bi_person=dollars,
    coverage_bi_accident=dollars,
    coverage_pd=dollars,
)


@given(
    st.lists(persons, min_size=1, max_size=4),
    st.lists(vehicles, min_size=1, max_size=4),
    st.lists(st.sampled_from(["D", "E", "0", "O", "1", "7"]), min_size=2, max_size=3),
)
@settings(max_examples=25, deadline=None)
def test_any_record_round_trips_exactly(
    people: list[Person], cars: list[Vehicle], stem: list[str]
) -> None:
    people = [
        replace(p, person_id=f"P{i}", credential_number=f"C{i}") for i, p in enumerate(people)
    ]
    cars = [replace(v, plate=f"{''.join(stem)}{i}") for i, v in enumerate(cars)]
    with tempfile.TemporaryDirectory() as directory:
        backend = SQLiteBackend(Path(directory))
        try:
            backend.publish(Dataset((make_mission(),), tuple(people), tuple(cars), ()))
            with backend.snapshot() as snap:
                assert [snap.get_person(p.person_id) for p in people] == people
                assert [snap.find_credential(f"C{i}") for i in range(len(people))] == people
                assert [snap.get_vehicle(v.plate) for v in cars] == cars
        finally:
            backend.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_worker_opens_its_own_connection(backend: SQLiteBackend) -> None:
    """Like gunicorn --preload: the parent looked something up before forking."""
    backend.publish(small_dataset())
    with backend.snapshot() as snap:
        parent_db = snap._db
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports through the pipe and exits without running pytest's teardown
        try:
            with backend.snapshot() as snap:
                ok = snap._db is not parent_db and snap.get_vehicle(DIPLOMAT_PLATE) is not None
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"


def test_an_index_from_another_version_is_unavailable(backend: SQLiteBackend) -> None:
    backend.publish(small_dataset())
    (name,) = index_files(backend)
    db = sqlite3.connect(backend.data_dir / name)
    try:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        db.commit()
    finally:
        db.close()
    fresh = SQLiteBackend(backend.data_dir)
    try:
        with pytest.raises(BackendUnavailable, match="another version"), fresh.snapshot():
            pass
    finally:
        fresh.close()
