"""Integrity lives in the schema: raw SQL that skips the store's checks is still refused, and the
migrations build the same schema as the models on both databases."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic import command
from alembic.script import ScriptDirectory
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DataError, IntegrityError

from policy import vocabulary as policy_words
from store import StoreError, open_store
from store import vocabulary as store_words
from store.migrate import alembic_config
from store.models import Base

from ..conftest import BACKENDS, execute_raw, postgres_database
from .data import buyer, item, load, order, product, seller

T = "'2026-05-01 10:00:00'"


@pytest.fixture
def shop(store):
    load(store, [seller("S1"), buyer("B1"), product("P1", "S1"),
                 order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1"), item("I2", "P1")])])
    execute_raw(store, f"INSERT INTO refunds (id, order_item_id, amount, fee, issued_by, issued_at, auto_refund_late) "
                       f"VALUES ('F1', 'I1', 10, 0, 'seller', {T}, false)")
    return store


REFUSED = {
    "a return of no units": "INSERT INTO return_requests (id, order_item_id, reason, condition, requested_at, prepaid_label, "
                            f"ships_back, quantity) VALUES ('RQ', 'I2', 'defective', 'unopened', {T}, true, true, 0)",
    "unknown return reason": "INSERT INTO return_requests (id, order_item_id, reason, condition, requested_at, prepaid_label, "
                             f"ships_back) VALUES ('RQ', 'I2', 'bored', 'unopened', {T}, true, true)",
    "unknown condition": "INSERT INTO return_requests (id, order_item_id, reason, condition, requested_at, prepaid_label, "
                         f"ships_back) VALUES ('RQ', 'I2', 'defective', 'mint', {T}, true, true)",
    "unknown condition received": "INSERT INTO return_requests (id, order_item_id, reason, condition, requested_at, prepaid_label, "
                                  f"ships_back, condition_received) VALUES ('RQ', 'I2', 'defective', 'used', {T}, true, true, 'Used')",
    "second refund for an item": "INSERT INTO refunds (id, order_item_id, amount, fee, issued_by, issued_at, auto_refund_late) "
                                 f"VALUES ('F2', 'I1', 10, 0, 'seller', {T}, false)",
    "negative refund": "INSERT INTO refunds (id, order_item_id, amount, fee, issued_by, issued_at, auto_refund_late) "
                       f"VALUES ('F2', 'I2', -0.01, 0, 'seller', {T}, false)",
    "negative fee": "INSERT INTO refunds (id, order_item_id, amount, fee, issued_by, issued_at, auto_refund_late) "
                    f"VALUES ('F2', 'I2', 1, -1, 'seller', {T}, false)",
    "unknown issuer": "INSERT INTO refunds (id, order_item_id, amount, fee, issued_by, issued_at, auto_refund_late) "
                      f"VALUES ('F2', 'I2', 1, 0, 'buyer', {T}, false)",
    "refund of a missing item": "INSERT INTO refunds (id, order_item_id, amount, fee, issued_by, issued_at, auto_refund_late) "
                                f"VALUES ('F2', 'I9', 1, 0, 'seller', {T}, false)",
    "second claim for a refund": "INSERT INTO claims (id, refund_id, reason, evidence, filed_at, status) VALUES "
                                 f"('C1', 'F1', 'returned_damaged', '[]', {T}, 'pending'), "
                                 f"('C2', 'F1', 'returned_damaged', '[]', {T}, 'pending')",
    "unknown claim status": "INSERT INTO claims (id, refund_id, reason, evidence, filed_at, status) VALUES "
                            f"('C1', 'F1', 'returned_damaged', '[]', {T}, 'maybe')",
    "negative reimbursement": "INSERT INTO claims (id, refund_id, reason, evidence, filed_at, status, reimbursement) VALUES "
                              f"('C1', 'F1', 'returned_damaged', '[]', {T}, 'approved', -5)",
    "negative price": "INSERT INTO products (id, seller_id, sku, name, category, price) VALUES ('P2', 'S1', 'X', 'x', 'toys', -1)",
    "duplicate sku": "INSERT INTO products (id, seller_id, sku, name, category, price) VALUES ('P2', 'S1', 'SKU-P1', 'x', 'toys', 1)",
    "zero quantity": "INSERT INTO order_items (id, order_id, product_id, quantity, unit_price) VALUES ('I3', 'O1', 'P1', 0, 1)",
    "unknown fulfilment": f"INSERT INTO orders (id, buyer_id, seller_id, fulfilment, placed_at) VALUES ('O2', 'B1', 'S1', 'drone', {T})",
    "second return request": "INSERT INTO return_requests (id, order_item_id, reason, condition, requested_at, prepaid_label, "
                             f"ships_back) VALUES ('R1', 'I2', 'defective', 'used', {T}, true, true), "
                             f"('R2', 'I2', 'defective', 'used', {T}, true, true)",
    "half an enrolment": f"INSERT INTO sellers (id, name, csba_enrolled_at) VALUES ('S2', 'x', {T})",
    "identity without its account": "INSERT INTO chat_identities (telegram_user_id, role, buyer_id, linked_at) "
                                    f"VALUES (1, 'seller', 'B1', {T})",
    "agent without an agent id": "INSERT INTO chat_identities (telegram_user_id, role, linked_at) "
                                 f"VALUES (1, 'agent', {T})",
    "unknown role": f"INSERT INTO chat_identities (telegram_user_id, role, linked_at) VALUES (1, 'boss', {T})",
    "buyer invite naming an agent": "INSERT INTO chat_invites (code_hash, role, buyer_id, agent_id, created_at, expires_at) "
                                    f"VALUES ('h', 'buyer', 'B1', 'alice', {T}, {T})",
    "second outbox message with one key": "INSERT INTO outbox (id, dedupe_key, chat_id, text, status, created_at, "
                                          "next_attempt_at, attempts) VALUES "
                                          f"('M1', 'k', 1, 't', 'pending', {T}, {T}, 0), ('M2', 'k', 1, 't', 'pending', {T}, {T}, 0)",
    "outbox message to nobody": "INSERT INTO outbox (id, dedupe_key, text, status, created_at, next_attempt_at, attempts) "
                                f"VALUES ('M1', 'k', 't', 'pending', {T}, {T}, 0)",
    "sent without a time": "INSERT INTO outbox (id, dedupe_key, chat_id, text, status, created_at, next_attempt_at, attempts) "
                           f"VALUES ('M1', 'k', 1, 't', 'sent', {T}, {T}, 0)",
    "unknown case kind": "INSERT INTO cases (id, kind, status, decision_id, order_item_id, buyer_id, seller_id, opened_at, "
                         f"opened_by) VALUES ('C-1', 'whim', 'open', 'D-0', 'I1', 'B1', 'S1', {T}, 'engine')",
    "lower-case country": "INSERT INTO buyers (id, name, country) VALUES ('B2', 'x', 'de')",
    "three-letter country": "INSERT INTO buyers (id, name, country) VALUES ('B2', 'x', 'DEU')",
    "one-letter country": "INSERT INTO buyers (id, name, country) VALUES ('B2', 'x', 'D')",
    "country with a digit": "INSERT INTO buyers (id, name, country) VALUES ('B2', 'x', 'D1')",
    "non-ASCII country": "INSERT INTO buyers (id, name, country) VALUES ('B2', 'x', 'ÄB')",
    "negative shipping": f"INSERT INTO orders (id, buyer_id, seller_id, fulfilment, placed_at, shipping_paid) "
                         f"VALUES ('O2', 'B1', 'S1', 'seller', {T}, -0.01)",
    "negative decision amount": "INSERT INTO decisions (id, kind, outcome, reason, rule, policy_version, explanation, facts, "
                                "result, refund_amount, decided_at, channel) VALUES ('D-1', 'refund', 'deny', 'r', 'r', 'v', 'e', "
                                f"'{{}}', '{{}}', -1, {T}, 'cli')",
}


@pytest.mark.parametrize("statement", list(REFUSED.values()), ids=list(REFUSED))
def test_the_database_refuses(shop, statement):
    with pytest.raises((IntegrityError, DataError)):  # PostgreSQL refuses a too-long string as a DataError
        execute_raw(shop, statement)


def test_new_columns_default_for_rows_written_without_them(shop):
    execute_raw(shop, "INSERT INTO buyers (id, name, country) VALUES ('B2', 'x', 'DE')")
    with shop.read() as session:
        from store.models import Buyer, Order, Product
        assert (session.get(Buyer, "B1").country, session.get(Buyer, "B1").tags, session.get(Buyer, "B2").country) == (None, [], "DE")
        assert session.get(Product, "P1").tags == []
        order = session.get(Order, "O1")
        assert (order.shipping_paid, order.a_to_z_claim) == (0, False)


def _migrate(url: str, target: str, *, down: bool = False) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)
    finally:
        engine.dispose()


def _policy2_round_trip(url: str) -> None:
    _migrate(url, "0001")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:  # data written before the policy-2 columns existed
            connection.exec_driver_sql("INSERT INTO sellers (id, name) VALUES ('S1', 's')")
            connection.exec_driver_sql("INSERT INTO buyers (id, name) VALUES ('B1', 'b')")
            connection.exec_driver_sql(f"INSERT INTO orders (id, buyer_id, seller_id, fulfilment, placed_at) "
                                       f"VALUES ('O1', 'B1', 'S1', 'seller', {T})")
        _migrate(url, "0002_policy2")
        with engine.begin() as connection:
            assert connection.exec_driver_sql("SELECT shipping_paid, a_to_z_claim FROM orders").one() == (0, False)
            assert connection.exec_driver_sql("SELECT country FROM buyers").scalar() is None
            with pytest.raises(IntegrityError):
                connection.exec_driver_sql("UPDATE buyers SET country = 'xx'")
        _migrate(url, "0001", down=True)
        with engine.connect() as connection:
            assert "country" not in {c["name"] for c in inspect(connection).get_columns("buyers")}
            assert connection.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 1
    finally:
        engine.dispose()


def test_policy2_migration_upgrades_data_and_downgrades(tmp_path):
    _policy2_round_trip(f"sqlite:///{tmp_path}/old.sqlite3")
    with postgres_database() as url:
        _policy2_round_trip(url)


def test_migrations_match_the_models(store):
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def _build_from_empty(url: str) -> set[str]:
    opened = open_store(url)
    opened.close()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            heads = ScriptDirectory.from_config(alembic_config()).get_heads()
            assert set(MigrationContext.configure(connection).get_current_heads()) == set(heads)
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_migrations_create_both_databases_from_empty(tmp_path):
    sqlite_tables = _build_from_empty(f"sqlite:///{tmp_path}/fresh.sqlite3")
    with postgres_database() as url:
        postgres_tables = _build_from_empty(url)
    assert sqlite_tables == postgres_tables == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}


def test_opening_twice_migrates_once(store_url):
    open_store(store_url).close()
    open_store(store_url).close()


def test_sqlite_settings(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path}/s.sqlite3")
    try:
        with opened.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert (pragma("journal_mode"), pragma("synchronous"), pragma("busy_timeout"), pragma("foreign_keys")) == ("wal", 2, 30000, 1)
    finally:
        opened.close()


def test_store_words_mirror_the_policy_language():
    for name in ("REFUND_REASONS", "CONDITIONS", "CLAIM_REASONS", "EVIDENCE_KINDS", "REFUND_ISSUERS", "REFUND_OUTCOMES"):
        assert getattr(store_words, name) == getattr(policy_words, name), name
    assert set(store_words.CLAIM_STATUS_OF) == set(policy_words.CLAIM_OUTCOMES)


def test_unusable_urls_are_store_errors():
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        open_store("mysql://localhost/db")
    with pytest.raises(StoreError, match="invalid database URL"):
        open_store("not a url")
    with pytest.raises(StoreError, match="cannot open the database postgresql"):
        open_store("postgresql://postgres@127.0.0.1:1/nothing")


def test_an_unreachable_postgresql_skips_or_fails_when_required(monkeypatch):
    from .. import conftest

    monkeypatch.setattr(conftest, "PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:1/test")
    monkeypatch.setenv("REFUNDBOT_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="REFUNDBOT_REQUIRE_POSTGRES=1"):
        with conftest.postgres_database():
            pass
    monkeypatch.delenv("REFUNDBOT_REQUIRE_POSTGRES")
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        with conftest.postgres_database():
            pass


def test_an_agent_identity_is_accepted(shop):
    execute_raw(shop, f"INSERT INTO chat_identities (telegram_user_id, role, agent_id, linked_at) VALUES (7, 'agent', 'alice', {T})")


@pytest.fixture(params=BACKENDS)
def private_url(request, tmp_path):
    """A database of this test's own: downgrading a migration must not leave the shared schema behind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/refundbot.sqlite3"
    else:
        with postgres_database() as url:
            yield url


def test_the_desk_migration_downgrades_and_upgrades_again(private_url):
    import importlib.util

    from alembic.operations import Operations

    from store.db import create
    from store.migrate import MIGRATIONS

    spec = importlib.util.spec_from_file_location("desk_migration", MIGRATIONS / "versions" / "0003_desk.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    open_store(private_url).close()
    engine = create(private_url)
    try:
        with engine.connect().execution_options(refundbot_write=True) as connection, connection.begin():
            with Operations.context(MigrationContext.configure(connection)):
                migration.downgrade()
                assert "outbox" not in inspect(connection).get_table_names()
                migration.upgrade()
            assert {"outbox", "cases"} <= set(inspect(connection).get_table_names())
            connection.execute(text(f"INSERT INTO chat_identities (telegram_user_id, role, agent_id, linked_at) "
                                    f"VALUES (7, 'agent', 'alice', {T})"))
    finally:
        engine.dispose()


def test_the_return_checks_migration_keeps_the_rows_and_the_rules(private_url):
    """0008 rewrites the return requests' word checks from IN to comparisons: down and up again keep every row,
    and each form accepts every word and refuses any other."""
    import importlib.util

    from alembic.operations import Operations

    from store import vocabulary
    from store.db import create
    from store.migrate import MIGRATIONS

    spec = importlib.util.spec_from_file_location("return_checks", MIGRATIONS / "versions" / "0008_return_checks.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert (migration.REASONS, migration.CONDITIONS) == (vocabulary.REFUND_REASONS, vocabulary.CONDITIONS)
    opened = open_store(private_url)
    load(opened, [seller("S1"), buyer("B1"), product("P1", "S1"),
                  order("O1", "B1", "S1", "2026-05-01", [item(f"I{i}", "P1") for i in range(6)])])
    opened.close()
    insert = ("INSERT INTO return_requests (id, order_item_id, reason, condition, requested_at, prepaid_label, ships_back, "
              "condition_received) VALUES ('{0}', '{1}', '{2}', '{3}', " + T + ", true, true, {4})")
    engine = create(private_url)
    try:
        with engine.connect().execution_options(refundbot_write=True) as connection, connection.begin():
            for i, reason in enumerate(vocabulary.REFUND_REASONS):
                condition = vocabulary.CONDITIONS[i % 4]
                connection.exec_driver_sql(insert.format(f"R{i}", f"I{i}", reason, condition, "NULL" if i % 2 else f"'{condition}'"))
            before = connection.exec_driver_sql("SELECT * FROM return_requests ORDER BY id").fetchall()
            with Operations.context(MigrationContext.configure(connection)):
                for step in (migration.downgrade, migration.upgrade):
                    step()
                    assert connection.exec_driver_sql("SELECT * FROM return_requests ORDER BY id").fetchall() == before
                    for bad in (("R9", "I0", "bored", "used", "NULL"), ("R9", "I0", "defective", "mint", "NULL"),
                                ("R9", "I0", "defective", "used", "'Used'")):
                        with pytest.raises(IntegrityError), connection.begin_nested():
                            connection.exec_driver_sql(insert.format(*bad))
    finally:
        engine.dispose()


def test_a_sqlite_url_in_a_missing_folder_is_an_error_not_a_new_database(tmp_path):
    missing = tmp_path / "no-such-folder" / "refundbot.sqlite3"
    with pytest.raises(StoreError, match=f"the folder {tmp_path / 'no-such-folder'} does not exist"):
        open_store(f"sqlite:///{missing}")
    assert not missing.parent.exists()


def test_a_sqlite_url_whose_folder_is_a_file_is_an_error(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreError, match="is not a folder"):
        open_store(f"sqlite:///{tmp_path / 'a-file' / 'db.sqlite3'}")


def test_the_demo_may_create_the_folder(tmp_path):
    path = tmp_path / "var" / "deeper" / "refundbot.sqlite3"
    open_store(f"sqlite:///{path}", create_folder=True).close()
    assert path.exists()


def test_a_missing_file_in_an_existing_folder_is_a_new_database(tmp_path):
    open_store(f"sqlite:///{tmp_path / 'new.sqlite3'}").close()
    assert (tmp_path / "new.sqlite3").exists()
