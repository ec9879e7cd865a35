"""The training set shares no card or licence number with the demo set `make run` loads."""

from __future__ import annotations

from pathlib import Path

from outreach.training_data import TRAINING_SEED, build_import_files
from search_index.demo_data import numbers_block, write_demo_data
from search_index.importer import load_directory
from tests.outreach.conftest import CONTENT_DIR

DEMO_SEED = 1  # `dipcheck bootstrap` and `make run`


def test_training_and_demo_sets_share_no_card_or_licence_number(tmp_path: Path) -> None:
    # Different number blocks: disjoint at every scale (the numbers are a bijection of the index).
    assert numbers_block(DEMO_SEED) != numbers_block(TRAINING_SEED)
    write_demo_data(tmp_path / "demo", "small", seed=DEMO_SEED)
    demo = load_directory(tmp_path / "demo")
    (tmp_path / "work").mkdir()
    training = load_directory(
        build_import_files(CONTENT_DIR / "training_records", tmp_path / "work")
    )
    cards = {p.credential_number for p in demo.persons if p.credential_number}
    training_cards = {p.credential_number for p in training.persons if p.credential_number}
    assert cards
    assert training_cards
    assert not cards & training_cards
    licences = {licence.license_number for licence in demo.licenses}
    training_licences = {licence.license_number for licence in training.licenses}
    assert licences
    assert not licences & training_licences
