"""Late first registration (Art. 18): the clock's date is required at submission, and
government catalogue entries nobody started to register are listed when overdue."""
from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.cli import tjregistry
from ckanext.tjregistry.model.catalogue import CatalogueEntry
from ckanext.tjregistry.tests.supervision_helpers import make_product
from ckanext.tjregistry.tests.workflow_helpers import call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

LONG_AGO = dt.datetime(2025, 1, 6, 2, 0)  # before the rules took effect (2025-03-01)


def test_the_date_the_clock_needs_is_required_at_submission(world):
    resource = make_dataset(world.hp_reg, activity_start_date="")
    with pytest.raises(tk.ValidationError) as refused:
        submit(world.hp_clerk, resource)
    assert "activity_start_date" in refused.value.error_dict
    product = make_product(world.city_reg, first_delivery_date="")
    with pytest.raises(tk.ValidationError) as refused:
        submit(world.city_clerk, product)
    assert "first_delivery_date" in refused.value.error_dict
    # Saved as drafts they stay editable; with the date they can be submitted.
    call_as(world.hp_clerk, "package_patch", id=resource["id"], activity_start_date="2026-11-02")
    assert submit(world.hp_clerk, resource)["late"] is True


def _entry(code: str, title: str, **values) -> None:
    model.Session.add(CatalogueEntry(code=code, title=title, fields={}, raw={},
                                     content_sha256="0" * 64, **values))
    model.Session.commit()


def test_catalogue_entries_never_started_are_listed_when_overdue(world, cli):
    _entry("CAT-HP-1", "和平区学校名录(目录)", registrant_id=world.hp_reg["id"],
           provider_name="和平区教育局", first_imported=LONG_AGO)
    _entry("CAT-NONE-1", "某委办局数据(目录)", provider_name="尚未入驻平台的单位",
           first_imported=LONG_AGO)
    _entry("CAT-NEW-1", "新导入的目录条目", registrant_id=world.hp_reg["id"],
           first_imported=dt.datetime.utcnow())
    started = make_dataset(world.hp_reg, title="已提交的目录数据")
    submit(world.hp_clerk, started)
    _entry("CAT-HP-2", "已提交的目录数据", registrant_id=world.hp_reg["id"],
           package_id=started["id"], first_imported=LONG_AGO)

    def listed(user) -> dict[str, dict]:
        rows = call_as(user, "registration_late_list", catalogue=True)
        return {row["gov_catalog_code"]: row for row in rows if row["source"] == "catalogue"}

    mine = listed(world.hp_reviewer)
    assert set(mine) == {"CAT-HP-1"}
    assert mine["CAT-HP-1"]["deadline"] == "2025-04-14"  # 30 working days after 2025-03-01
    assert mine["CAT-HP-1"]["workdays_late"] > 300
    assert set(listed(world.city_reviewer)) == {"CAT-HP-1", "CAT-NONE-1"}
    assert listed(world.bh_reviewer) == {}
    assert set(listed(world.officer)) == {"CAT-HP-1", "CAT-NONE-1"}
    # Without the flag only datasets are listed, as before.
    assert all(row["source"] == "dataset"
               for row in call_as(world.city_reviewer, "registration_late_list"))
    with pytest.raises(tk.NotAuthorized):
        call_as(world.hp_clerk, "registration_late_list", catalogue=True)
    with pytest.raises(tk.ValidationError):
        call_as(world.city_reviewer, "registration_late_list", catalogue="maybe")

    output = cli.invoke(tjregistry, ["workflow", "late", "--catalogue"]).output
    assert "CAT-HP-1" in output and "CAT-NONE-1" in output and "CAT-NEW-1" not in output
    assert "2 catalogue entries overdue, never submitted" in output
