"""The public data catalog: CSV import with per-line errors, and the demo data."""
from __future__ import annotations

from dataclasses import replace

import pytest

from engine import demo
from engine.errors import InvalidInput
from engine.services import catalog
from engine.services.users import SYSTEM

HEADER = ",".join(catalog.COLUMNS)


@pytest.fixture
def loaded(engines, tmp_path):
    # Procedures are the workflow tests' business; here the demo deploys none.
    engines.config = replace(engines.config, workflows_dir=tmp_path)
    engine = engines.at()
    demo.load(engine)
    return engine


def test_the_demo_loads_twice_without_duplicating_anything(loaded):
    again = demo.load(loaded)
    assert again == ["catalog: 0 added, 8 updated"]
    attributes = {i["code"]: (i["share_attribute"], i["open_attribute"]) for i in catalog.list_items(loaded.uow())}
    assert set(a for a, _ in attributes.values()) == set(catalog.SHARE_ATTRIBUTES)
    assert set(o for _, o in attributes.values()) == set(catalog.OPEN_ATTRIBUTES)


def test_a_file_with_errors_imports_nothing_and_names_each_line(loaded):
    text = "\n".join([
        HEADER,
        "NEW-1,新数据,gaj,无条件共享,,,无条件开放,,每日,联系人",
        "NEW-2,缺条件,gaj,有条件共享,,,无条件开放,,每日,联系人",
        "NEW-3,缺依据,nowhere,不予共享,,,随便开放,,每日,联系人",
        "NEW-1,重复,gaj,无条件共享,,,无条件开放,,,联系人",
    ])
    with pytest.raises(InvalidInput) as caught:
        catalog.import_csv(loaded.uow(), text, actor=SYSTEM)
    assert [str(p) for p in caught.value.problems] == [
        "line 3: share_conditions: 有条件共享 needs its conditions (Art. 19)",
        "line 4: open_attribute: '随便开放' is not one of 无条件开放, 有条件开放, 不予开放",
        "line 4: share_basis: 不予共享 needs its legal basis (Art. 19)",
        "line 4: source_unit: no department 'nowhere'",
        "line 5: update_frequency: is required",
        "line 5: code: 'NEW-1' is already on line 2",
    ]
    assert "NEW-1" not in {i["code"] for i in catalog.list_items(loaded.uow())}


def test_a_file_missing_a_column_is_refused(loaded):
    with pytest.raises(InvalidInput, match="missing column"):
        catalog.import_csv(loaded.uow(), "code,name\nX,Y\n", actor=SYSTEM)


def test_the_catalog_carries_the_art_13_fields_and_never_lists_personal_information_as_unconditionally_open(loaded):
    item = {i["code"]: i for i in catalog.list_items(loaded.uow())}["GA-001"]
    assert (item["data_format"], item["data_type"], item["sensitivity_level"]) == ("接口", "结构化", "个人信息")

    text = "\n".join([HEADER, "NEW-1,人员名单,gaj,无条件共享,,,无条件开放,,每日,联系人,接口,结构化,个人信息"])
    with pytest.raises(InvalidInput) as caught:
        catalog.import_csv(loaded.uow(), text, actor=SYSTEM)
    assert [(p.code, p.where) for p in caught.value.problems] == [("catalog.personal_information_open",
                                                                   "line 2: open_attribute")]


def test_every_demo_catalog_item_sends_source_unit_work_to_someone(loaded):
    from engine.services import supervision

    assert supervision.empty_groups_of_catalog(loaded.uow()) == []
