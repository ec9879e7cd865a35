"""SQLite and Elasticsearch answer every lookup identically: same matches, same order, same
scores and substitutions. Both are loaded with the small synthetic data set; Elasticsearch runs
over the fake node, so this checks everything computed in Python (normalization, candidate
filtering, the shared ranking) plus the candidate sets the queries ask for, as the fake evaluates
them. On a live cluster, the contract suite makes the same comparison through fixed expectations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from search_index.backend import SearchBackend, Snapshot
from search_index.confusables import CONFUSION_CLASSES
from search_index.demo_data import write_demo_data
from search_index.elasticsearch.backend import ElasticsearchBackend
from search_index.elasticsearch.client import ClientOptions
from search_index.importer import load_directory
from search_index.records import Dataset, PersonHit, PlateMatch
from search_index.sqlite.backend import SQLiteBackend
from tests.search_index.elasticsearch.es_fakes import FakeCluster

CLASS_OF = {ch: group for group in CONFUSION_CLASSES for ch in group}
checked = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    directory = tmp_path_factory.mktemp("demo")
    write_demo_data(directory, scale="small", seed=7)
    return load_directory(directory)


@pytest.fixture(scope="module")
def both(
    dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SearchBackend, SearchBackend]]:
    sqlite = SQLiteBackend(Path(tmp_path_factory.mktemp("sqlite")))
    cluster = FakeCluster()
    es = ElasticsearchBackend(
        "http://es.invalid:9200", options=ClientOptions(node_class=cluster.node_class())
    )
    sqlite.publish(dataset)
    es.publish(dataset)
    yield sqlite, es
    sqlite.close()
    es.close()


def plates(matches: list[PlateMatch]) -> list[tuple[str, str, float, tuple[object, ...]]]:
    return [(m.match, m.vehicle.plate, m.score, m.substitutions) for m in matches]


def persons(hits: list[PersonHit]) -> list[tuple[str, float]]:
    return [(h.person.person_id, h.score) for h in hits]


def same(both: tuple[SearchBackend, SearchBackend], ask: object) -> None:
    answers = []
    for backend in both:
        with backend.snapshot() as snap:
            try:
                answers.append(ask(snap))  # type: ignore[operator]
            except ValueError as error:
                answers.append(("ValueError", str(error)))
    assert answers[0] == answers[1]


@st.composite
def misread_plates(draw: st.DrawFn, dataset: Dataset) -> str:
    plate = draw(st.sampled_from([v.plate for v in dataset.vehicles]))
    chars = list(plate)
    for i in draw(st.lists(st.integers(0, len(chars) - 1), max_size=3)):
        group = CLASS_OF.get(chars[i])
        if group:
            chars[i] = draw(st.sampled_from(group))
    return draw(st.sampled_from(["{}", "{} ", "{}-", " {}"])).format("".join(chars))


def test_plates_agree(both: tuple[SearchBackend, SearchBackend], dataset: Dataset) -> None:
    @checked
    @given(typed=misread_plates(dataset) | st.text(max_size=10))
    def check(typed: str) -> None:
        same(both, lambda snap: plates(snap.find_plate(typed)))

    check()


def test_patterns_agree(both: tuple[SearchBackend, SearchBackend], dataset: Dataset) -> None:
    @checked
    @given(
        plate=st.sampled_from([v.plate for v in dataset.vehicles]),
        holes=st.lists(st.integers(0, 7), max_size=3),
        cut=st.integers(3, 8),
    )
    def check(plate: str, holes: list[int], cut: int) -> None:
        chars = list(plate[:cut])
        for i in holes:
            if i < len(chars):
                chars[i] = "?"
        pattern = "".join(chars) + ("*" if cut < len(plate) else "")
        same(both, lambda snap: plates(snap.find_plate_pattern(pattern, limit=25)))

    check()


def test_names_agree(both: tuple[SearchBackend, SearchBackend], dataset: Dataset) -> None:
    @checked
    @given(
        person=st.sampled_from(dataset.persons),
        drop=st.integers(0, 12),
        swap=st.booleans(),
        by_country=st.booleans(),
    )
    def check(person: object, drop: int, swap: bool, by_country: bool) -> None:
        family = person.family_name  # type: ignore[attr-defined]
        given_names = person.given_names or ""  # type: ignore[attr-defined]
        if drop < len(family):
            family = family[:drop] + family[drop + 1 :]
        words = [given_names.split(" ")[0], family] if given_names else [family]
        if swap:
            words.reverse()
        query = " ".join(w for w in words if w)
        assume(query.strip())
        country = None
        if by_country:
            mission = {m.mission_id: m for m in dataset.missions}[person.mission_id]  # type: ignore[attr-defined]
            country = mission.country.upper()
        same(both, lambda snap: persons(snap.search_persons(query, country=country, limit=20)))

    check()


def test_identifiers_and_relations_agree(
    both: tuple[SearchBackend, SearchBackend], dataset: Dataset
) -> None:
    def relations(snap: Snapshot) -> list[object]:
        out: list[object] = []
        for p in dataset.persons[:80]:
            if p.credential_number:
                found = snap.find_credential(p.credential_number.lower())
                out.append(found.person_id if found else None)
            lic = snap.licenses_of([p.person_id]).get(p.person_id)
            out.append(lic.license_number if lic else None)
            out.append([f.person_id for f in snap.family_of(p.person_id)])
            out.append([v.plate for v in snap.vehicles_of_person(p.person_id)])
        for m in dataset.missions:
            members = snap.members_of(m.mission_id, limit=30)
            out.append([p.person_id for p in members])
            held = snap.licenses_of([p.person_id for p in members])
            out.append(sorted((pid, lic.license_number) for pid, lic in held.items()))
        for lic in dataset.licenses[:40]:
            found_license = snap.find_license(lic.license_number)
            out.append(found_license == lic)
        return out

    same(both, relations)
