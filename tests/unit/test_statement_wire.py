"""A statement as a PostgreSQL writer's batch sends it: $n parameters, each name numbered once,
values in that order, and a name that changes with the text."""
from __future__ import annotations

from sqlalchemy import Integer, String, bindparam, column, literal_column, select, table
from sqlalchemy.dialects import postgresql

from engine.persistence.statements import Prepared

ITEMS = table("items", column("id", Integer), column("name", String))


def prepared(statement) -> Prepared:
    return Prepared(statement, postgresql.psycopg.dialect())


def test_a_name_used_twice_is_one_numbered_parameter_and_an_escaped_percent_sign_is_one():
    statement = (select(ITEMS.c.id)
                 .where(ITEMS.c.name == bindparam("name", type_=String), ITEMS.c.id > bindparam("low", type_=Integer),
                        ITEMS.c.name.like(literal_column("'%'")) | (ITEMS.c.name == bindparam("name", type_=String))))
    wire = prepared(statement)
    name, sql = wire.wire
    text = sql.decode()
    assert "%(" not in text and "$1" in text and "$2" in text and "$3" not in text
    assert text.count("$1") == 2
    assert "'%'" in text
    assert wire.values({"name": "a", "low": 3}) == ["a", 3]
    assert name.startswith(b"pdw_")


def test_two_texts_are_prepared_under_two_names_and_one_text_under_one():
    first = prepared(select(ITEMS.c.id).where(ITEMS.c.id == bindparam("id", type_=Integer)))
    again = prepared(select(ITEMS.c.id).where(ITEMS.c.id == bindparam("id", type_=Integer)))
    other = prepared(select(ITEMS.c.name).where(ITEMS.c.id == bindparam("id", type_=Integer)))
    assert first.wire[0] == again.wire[0] != other.wire[0]


def test_literals_written_into_the_statement_go_with_the_values():
    statement = select(ITEMS.c.id).where(ITEMS.c.id == bindparam("fixed", value=7, type_=Integer),
                                         ITEMS.c.name == bindparam("name", type_=String))
    wire = prepared(statement)
    assert sorted(wire.values({"name": "x"}), key=str) == [7, "x"]
