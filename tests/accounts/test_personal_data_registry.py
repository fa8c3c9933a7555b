"""The personal-data registry: every table says what it holds about people and what export and deletion do."""

import pytest

from puchi.core import personal_data
from puchi.core.db import db
from puchi.core.personal_data import Rule


def test_every_table_is_in_the_personal_data_registry(app):
    """A new table fails here until its domain registers it (puchi/<domain>/data_registry.py): whether it
    holds personal data, how its rows are exported, and what deleting an account does to them."""
    with app.app_context():
        registered = {entry.table for entry in personal_data.entries()}
    tables = set(db.metadata.tables)
    assert sorted(tables - registered) == [], "register these tables in their domain's data_registry.py"
    assert sorted(registered - tables) == [], "these registered tables no longer exist"


def test_every_personal_table_can_be_exported_and_erased_and_every_kept_row_says_why(app):
    with app.app_context():
        for entry in personal_data.entries():
            if entry.rule is Rule.NONE:
                assert entry.export is None and entry.erase is None, entry.table
                continue
            assert entry.export is not None and entry.erase is not None, entry.table
            if entry.rule is not Rule.ERASE:
                assert entry.why, f"{entry.table}: say why its rows are {entry.rule.value}"


def test_billing_keeps_its_records_for_tax_law_with_the_learner_cut_off(app):
    with app.app_context():
        rules = {entry.table: entry for entry in personal_data.entries()}
    for table in ("billing_subscriptions", "billing_stripe_events"):
        assert rules[table].rule is Rule.KEEP
        assert "tax law" in rules[table].why
    assert rules["billing_customers"].rule is Rule.ERASE
    assert rules["direct_messages"].rule is Rule.ANONYMISE
    assert rules["courses"].rule is Rule.NONE


def test_a_table_cannot_be_registered_twice_or_kept_without_a_reason(app):
    with pytest.raises(ValueError, match="twice"):
        personal_data.register(app, "users", rule=Rule.NONE, why="again")
    with pytest.raises(ValueError, match="why"):
        personal_data.register(app, "a_new_table", rule=Rule.KEEP, export=lambda _: [], erase=lambda _: None)
    with pytest.raises(ValueError, match="exporter and an eraser"):
        personal_data.register(app, "another_table", rule=Rule.ERASE)
