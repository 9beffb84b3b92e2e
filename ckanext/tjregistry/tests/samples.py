"""Complete, valid registration records for tests (every schema field filled in).

Each builder returns a fresh dict, so a test can change values freely.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

# Valid GB 32100 credit codes (check characters verified independently).
USCC_VALID = ("91350100M000100Y43", "914403001922038216", "91440300708461136T")
SM3_DIGEST = "sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def authorization_end() -> str:
    """An authorised-operation period still running a year from today, whatever today is
    (a fixed end date would lapse and the product could no longer be certified)."""
    from ckanext.tjregistry.common import workdays

    return (workdays.local_today() + dt.timedelta(days=365)).isoformat()


def registrant_org(**overrides: Any) -> dict[str, Any]:
    org = {
        "name": "tj-transport",
        "title": "天津市交通运输委员会",
        "description": "市级登记主体,负责全市交通运输数据。",
        "org_kind": "registrant",
        "admin_level": "city",
        "district_code": "120000",
        "uscc": USCC_VALID[0],
        "registrant_type": "party_gov",
        "pledge_on_file": True,
        "pledge_date": "2025-01-15",
        "verified": True,
        "contact_name": "李明",
        "contact_phone": "13802212345",
        "contact_email": "liming@jtw.tj.gov.cn",
    }
    org.update(overrides)
    return org


def institution_org(**overrides: Any) -> dict[str, Any]:
    org = {
        "name": "tj-data-center",
        "title": "天津市数据发展中心",
        "org_kind": "institution",
        "admin_level": "city",
        "district_code": "120000",
        "qualification_status": "active",
    }
    org.update(overrides)
    return org


def data_resource(owner_org: str, **overrides: Any) -> dict[str, Any]:
    dataset = {
        "type": "data-resource",
        "name": "tj-bus-routes-realtime",
        "title": "天津市公交线路实时数据",
        "notes": "全市公交线路、站点与车辆实时位置数据。",
        "owner_org": owner_org,
        "regist_object_type": "open_data_resource",
        "data_kind": "structured",
        "industry_code": "G",
        "data_source": "公交智能调度系统",
        "gov_catalog_code": "120000-JT-0001/00012",
        "tag_string": "公交,交通出行",
        "update_frequency": "realtime",
        "data_scale_records": 1250000,
        "data_scale_bytes": 2147483648,
        "data_scale_fields": 18,
        "temporal_start": "2020-01-01",
        "temporal_end": "2025-12-31",
        "spatial": ["120101", "120116"],
        "share_type": "conditional",
        "share_condition": "仅限交通管理和应急部门使用",
        "open_type": "conditional",
        "open_condition": "实名注册并签署数据使用协议",
        "access_method": "open",
        "open_platform_url": "https://data.tj.gov.cn/dataset/bus-routes",
        "in_authorized_operation": True,
        "operator_name": "天津数据运营有限公司",
        "activity_start_date": "2025-03-01",
        "security_level": "important",
        "has_personal_info": True,
        "pi_treatment": ["deidentified", "aggregated"],
        "storage_location": "天津市政务云西青节点",
        "storage_mode": "gov_cloud",
        "evidence_provider": "天津市数据存证服务中心",
        "evidence_time": "2025-02-20T10:30:00",
        "evidence_hash": SM3_DIGEST,
        "evidence_cert_no": "CZ-2025-000123",
        "contact_name": "王芳",
        "contact_phone": "022-23456789",
        "contact_email": "wangfang@jtw.tj.gov.cn",
        "agent_name": "天津数链咨询有限公司",
        "agent_contact": "赵强 13920001234",
        "agent_authorization_no": "WT-2025-007",
        "internal_review_done": True,
        "internal_review_note": "业务处室审核通过",
        "resources": [{
            "url": "https://data.tj.gov.cn/api/bus-routes",
            "name": "公交线路实时接口",
            "description": "按线路查询车辆位置",
            "resource_kind": "data",
            "format": "JSON",
            "data_dictionary": [
                {"name": "route_id", "type": "string", "description": "线路编号"},
                {"name": "updated_at", "type": "datetime", "description": "更新时间"},
            ],
        }],
    }
    dataset.update(overrides)
    return dataset


def data_product(owner_org: str, **overrides: Any) -> dict[str, Any]:
    dataset = {
        "type": "data-product",
        "name": "tj-mobility-index",
        "title": "城市交通出行指数服务",
        "notes": "基于公交、地铁和路况数据计算的城市交通出行指数。",
        "owner_org": owner_org,
        "regist_object_type": "data_product",
        "product_form": "data_model",
        "industry_code": "G",
        "operator_name": "天津数据运营有限公司",
        "application_scenarios": "出行规划、交通拥堵治理、商业选址",
        "update_frequency": "daily",
        "spatial": ["120000"],
        "tag_string": "交通指数",
        "in_authorized_operation": True,
        "implementing_body": "天津市交通运输委员会",
        "authorization_scope": "公交、地铁客流及道路运行数据的加工使用",
        "authorization_start": "2025-01-01",
        "authorization_end": authorization_end(),
        "source_regist_codes": ["TJ-R-2025-000001", "TJ-R-2025-000002"],
        "delivery_mode": ["api", "report"],
        "first_delivery_date": "2025-04-01",
        "use_restrictions": "不得用于识别特定个人",
        "fee_standard": "每万次调用 200 元",
        "security_level": "general",
        "has_personal_info": False,
        "evidence_provider": "天津市数据存证服务中心",
        "evidence_time": "2025-03-10T09:00:00",
        "evidence_hash": "b" * 64,
        "evidence_cert_no": "CZ-2025-000456",
        "contact_name": "陈静",
        "contact_phone": "13612345678",
        "contact_email": "chenjing@tjdata.com.cn",
        "internal_review_done": True,
        "internal_review_note": "合规部审核通过",
        "resources": [{
            "url": "https://api.tjdata.com.cn/mobility-index",
            "name": "出行指数接口",
            "resource_kind": "data",
            "format": "JSON",
        }],
    }
    dataset.update(overrides)
    return dataset
