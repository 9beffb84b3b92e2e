"""Demo data for the local platform: institutions, registrants, users and registrations.

Everything is created through CKAN's action API, so the demo exercises the same
validation and indexing as real use. Running it twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import codes
from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.demo import workflow as demo_workflow
from ckanext.tjregistry.metadata.validators import uscc_check_character
from ckanext.tjregistry.registration import agencies

# (name, title, level, district GB/T 2260 code)
INSTITUTIONS = [
    ("tj-data-center", "天津市数据发展中心", "city", "120000"),
    ("hp-registry", "和平区公共数据资源登记机构", "district", "120101"),
    ("bh-registry", "滨海新区公共数据资源登记机构", "district", "120116"),
]
# The municipal data authority (Art. 5): oversight, read-only.
AUTHORITY = ("tj-data-bureau", "天津市数据局", "city", "120000")
# A third-party agency (Art. 16) commissioned by 和平区教育局 for its applications and
# evidence (its datasets name it as 代理机构).
AGENCY = ("tj-shulian", "天津数链咨询有限公司", "91120101MA06K1234")
DELEGATION = {"registrant": "hp-education", "clerk": "hp_edu_clerk",
              "scope": ["application", "evidence"], "document_no": "WT-2025-HPJY-01",
              "days": 730}

REGISTRANTS = [
    ("tj-transport", "天津市交通运输委员会", "120000"),
    ("tj-market", "天津市市场监督管理委员会", "120000"),
    ("tj-health", "天津市卫生健康委员会", "120000"),
    ("hp-education", "和平区教育局", "120101"),
    ("bh-ecology", "滨海新区生态环境局", "120116"),
    ("tj-data-ops", "天津数据运营有限公司", "120000"),
]

# Registrant details: entity type, the body of the credit code (its check character
# is computed), contact person, the data-producing system and the industry section.
REGISTRANT_PROFILES: dict[str, dict[str, str]] = {
    "tj-transport": {"type": "party_gov", "uscc": "11120000MB0Q12345", "contact": "李明",
                     "phone": "022-24531001", "mail": "data@jtys.tj.gov.cn",
                     "system": "交通运输综合监管平台", "industry": "G", "code": "JTYS",
                     "tags": "交通,出行"},
    "tj-market": {"type": "party_gov", "uscc": "11120000MB0Q23456", "contact": "王芳",
                  "phone": "022-28302002", "mail": "data@scjg.tj.gov.cn",
                  "system": "市场主体登记管理系统", "industry": "S", "code": "SCJG",
                  "tags": "市场监管,企业"},
    "tj-health": {"type": "party_gov", "uscc": "11120000MB0Q34567", "contact": "赵静",
                  "phone": "022-23337003", "mail": "data@wsjk.tj.gov.cn",
                  "system": "全民健康信息平台", "industry": "Q", "code": "WSJK",
                  "tags": "卫生健康,医疗"},
    "hp-education": {"type": "party_gov", "uscc": "11120101MB0R45678", "contact": "孙磊",
                     "phone": "022-27301004", "mail": "data@hpjy.tj.gov.cn",
                     "system": "和平区教育管理信息系统", "industry": "P", "code": "HPJY",
                     "tags": "教育,学校"},
    "bh-ecology": {"type": "party_gov", "uscc": "11120116MB0T56789", "contact": "周洋",
                   "phone": "022-65305005", "mail": "data@bhst.tj.gov.cn",
                   "system": "生态环境监测监控平台", "industry": "N", "code": "BHST",
                   "tags": "生态环境,监测"},
    "tj-data-ops": {"type": "operator", "uscc": "91120000MA07T6789", "contact": "陈晨",
                    "phone": "13820006006", "mail": "registry@tjdataops.com.cn",
                    "system": "公共数据授权运营平台", "industry": "I", "code": "SJYY",
                    "tags": "授权运营,数据产品"},
}

USERS = [
    # (name, full name, organization, capacity)
    ("tj_admin", "平台管理员", None, None),
    ("reviewer_city", "市级登记机构审核员", "tj-data-center", "editor"),
    ("reviewer_hp", "和平区登记机构审核员", "hp-registry", "editor"),
    ("reviewer_bh", "滨海新区登记机构审核员", "bh-registry", "editor"),
    # Four eyes: a second reviewer of each institution approves what the first accepted.
    ("reviewer_city_2", "市级登记机构复核员", "tj-data-center", "editor"),
    ("reviewer_hp_2", "和平区登记机构复核员", "hp-registry", "editor"),
    ("reviewer_bh_2", "滨海新区登记机构复核员", "bh-registry", "editor"),
    ("bureau_officer", "市数据局监管人员", "tj-data-bureau", "member"),
    # Acts for the bureau: may suspend or reinstate an institution (Art. 28).
    ("bureau_supervisor", "市数据局监管处负责人", "tj-data-bureau", "editor"),
    ("transport_clerk", "交通委数据专员", "tj-transport", "editor"),
    ("market_clerk", "市场监管委数据专员", "tj-market", "editor"),
    ("hp_edu_clerk", "和平区教育局数据专员", "hp-education", "editor"),
    ("bh_eco_clerk", "滨海新区生态环境局数据专员", "bh-ecology", "editor"),
    ("operator_clerk", "数据运营公司登记专员", "tj-data-ops", "editor"),
    ("agency_clerk", "数链咨询登记代办专员", "tj-shulian", "editor"),
]

RESOURCES = {
    "tj-transport": ["公交线路实时数据", "地铁客流统计数据", "出租车运营数据", "道路运输许可信息",
                     "公共停车场泊位数据", "港口集装箱吞吐量数据"],
    "tj-market": ["企业登记信息", "食品经营许可信息", "特种设备检验数据", "企业年报公示信息",
                  "计量器具检定数据"],
    "tj-health": ["医疗机构名录", "医师执业注册信息", "传染病监测汇总数据", "公立医院门诊量统计",
                  "疫苗接种点信息"],
    "hp-education": ["中小学学校名录", "学区划分信息", "校外培训机构名录", "教育经费统计数据"],
    "bh-ecology": ["空气质量监测数据", "近岸海域水质监测数据", "排污许可信息", "噪声监测数据",
                   "固体废物处置企业名录"],
}

PRODUCTS = {
    "tj-data-ops": ["城市交通出行指数服务", "企业信用画像数据产品", "港口物流时效分析报告",
                    "空气质量预测模型服务", "医疗资源分布地图服务", "中小企业经营风险评估模型"],
}

DISTRICT_PREFIX = {"120000": "天津市", "120101": "和平区", "120116": "滨海新区"}


def _context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _exists(action: str, name: str) -> bool:
    try:
        tk.get_action(action)(_context(), {"id": name})
        return True
    except tk.ObjectNotFound:
        return False


def _ensure_org(name: str, title: str, fields: dict[str, Any]) -> bool:
    """Create the organization, or fill in schema fields an older demo left empty."""
    try:
        current = tk.get_action("organization_show")(_context(), {"id": name})
    except tk.ObjectNotFound:
        tk.get_action("organization_create")(_context(), {"name": name, "title": title, **fields})
        return True
    missing = {key: value for key, value in fields.items() if current.get(key) in (None, "")}
    if missing:
        tk.get_action("organization_patch")(_context(), {"id": name, **missing})
    return False


def _uscc(body: str) -> str:
    return body + uscc_check_character(body)


def _institution_fields(level: str, district: str, kind: str = "institution") -> dict[str, Any]:
    level_text = "市级" if level == "city" else "区级"
    kind_text = "登记机构" if kind == "institution" else "数据主管部门"
    fields = {"org_kind": kind, "admin_level": level, "district_code": district,
              "description": f"{level_text}{kind_text},行政区划代码 {district}。"}
    if kind == "institution":
        fields["qualification_status"] = "active"
    return fields


def _registrant_fields(name: str, district: str) -> dict[str, Any]:
    profile = REGISTRANT_PROFILES[name]
    return {
        "description": f"登记主体,所在行政区划 {DISTRICT_PREFIX[district]}。",
        "org_kind": "registrant",
        "admin_level": "city" if district == "120000" else "district",
        "district_code": district,
        "uscc": _uscc(profile["uscc"]),
        "registrant_type": profile["type"],
        # An authorised operator registers itself and waits for the city institution.
        "verified": profile["type"] != "operator",
        "pledge_on_file": True,
        "pledge_date": "2025-01-10",
        "contact_name": profile["contact"],
        "contact_phone": profile["phone"],
        "contact_email": profile["mail"],
    }


def _update_frequency(title: str) -> str:
    for word, frequency in (("实时", "realtime"), ("监测", "hourly"), ("统计", "monthly"),
                            ("汇总", "monthly"), ("许可", "daily"), ("登记", "daily"),
                            ("注册", "daily"), ("名录", "quarterly")):
        if word in title:
            return frequency
    return "annual"


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _resource_fields(org: str, district: str, index: int, title: str) -> dict[str, Any]:
    """Every field of a data-resource registration, varied over the vocabularies."""
    profile = REGISTRANT_PROFILES[org]
    full_title = f"{DISTRICT_PREFIX[district]}{title}"
    personal = any(word in title for word in ("医师", "登记信息", "接种", "培训"))
    operated = index == 1 and org in ("tj-transport", "bh-ecology", "tj-health")
    plan = index % 3
    records = 10000 * (index + 2) * 37
    fields: dict[str, Any] = {
        "regist_object_type": "open_data_resource" if plan != 1 and not operated
        else "public_data_resource",
        "data_kind": "spatiotemporal" if "实时" in title or "监测" in title else "structured",
        "industry_code": profile["industry"],
        "data_source": profile["system"],
        "gov_catalog_code": f"{district}-{profile['code']}-{index:04d}",
        "tag_string": profile["tags"],
        "update_frequency": _update_frequency(title),
        "data_scale_records": records,
        "data_scale_bytes": records * 512,
        "data_scale_fields": 8 + index * 3,
        "temporal_start": f"{2015 + index}-01-01",
        "spatial": [district],
        "share_type": ("unconditional", "conditional", "conditional")[plan],
        "open_type": ("unconditional", "not_open", "conditional")[plan],
        "access_method": ("open", "sharing_platform", "open")[plan],
        "in_authorized_operation": operated,
        "activity_start_date": f"2025-{index + 1:02d}-15",
        "security_level": "important" if personal else "general",
        "has_personal_info": personal,
        "storage_location": "天津市政务云(西青节点)" if district == "120000"
        else f"{DISTRICT_PREFIX[district]}政务云节点",
        "storage_mode": "gov_cloud",
        "contact_name": profile["contact"],
        "contact_phone": profile["phone"],
        "contact_email": profile["mail"],
        "internal_review_done": True,
        "internal_review_note": "经本单位数据管理部门业务审核,同意申请登记。",
    }
    if "实时" not in title:
        fields["temporal_end"] = "2025-12-31"
    if plan != 1 and not operated:
        fields["open_platform_url"] = (
            f"https://data.tj.gov.cn/dataset/{org}-{index:02d}")
    if plan == 2 and not operated:
        fields["open_condition"] = "实名注册并签署数据使用协议后开放。"
    if operated:
        fields.update(
            open_type="not_open", share_type="conditional", access_method="authorized_operation",
            operator_name="天津数据运营有限公司",
            evidence_provider="天津市数据资产登记存证服务中心",
            evidence_time="2025-02-20T10:30:00", evidence_hash=_digest(full_title),
            evidence_cert_no=f"CZ-2025-{index:04d}")
    if fields["share_type"] == "conditional":
        fields["share_condition"] = "仅向履行相关职责的政务部门共享,用于监管和公共服务。"
    if personal:
        fields["pi_treatment"] = ["deidentified", "aggregated"]
    if org == "hp-education":
        fields.update(agent_name="天津数链咨询有限公司", agent_contact="赵强 13920001234",
                      agent_authorization_no=f"WT-2025-{index:03d}")
    fields["resources"] = [
        {"url": f"https://data.tj.gov.cn/api/{org}/{index:02d}", "name": f"{title}接口",
         "description": f"{full_title}的数据接口。", "resource_kind": "data", "format": "JSON",
         "data_dictionary": [
             {"name": "record_id", "type": "string", "description": "记录编号"},
             {"name": "district_code", "type": "string", "description": "行政区划代码"},
             {"name": "updated_at", "type": "datetime", "description": "更新时间"},
         ]},
        {"url": f"https://data.tj.gov.cn/docs/{org}/{index:02d}.pdf",
         "name": f"{title}说明文档", "resource_kind": "document", "format": "PDF"},
    ]
    return fields


PRODUCT_DETAILS = [
    # (form, implementing body, scenarios, delivery modes)
    ("data_model", "天津市交通运输委员会", "出行规划、拥堵治理、商业选址", ["api", "report"]),
    ("dataset", "天津市市场监督管理委员会", "信贷审批、供应链风险管理", ["api", "file"]),
    ("data_report", "天津市交通运输委员会", "港口物流调度、航运企业经营分析", ["report"]),
    ("data_model", "滨海新区生态环境局", "重污染天气预警、企业错峰生产", ["api", "model"]),
    ("solution", "天津市卫生健康委员会", "医疗资源规划、就医引导", ["api", "onsite"]),
    ("data_model", "天津市市场监督管理委员会", "中小企业信贷风控、政策精准推送", ["api", "model"]),
]


def _product_fields(index: int, title: str) -> dict[str, Any]:
    """Every field of a data-product registration."""
    form, body, scenarios, delivery = PRODUCT_DETAILS[(index - 1) % len(PRODUCT_DETAILS)]
    profile = REGISTRANT_PROFILES["tj-data-ops"]
    sources = [str(codes.make_code("120000", 2025, "R", index * 2 + n, "K7Q3M"))
               for n in (1, 2)]
    return {
        "regist_object_type": "data_product",
        "product_form": form,
        "industry_code": profile["industry"],
        "operator_name": "天津数据运营有限公司",
        "application_scenarios": scenarios,
        "update_frequency": "daily" if form != "data_report" else "quarterly",
        "spatial": ["120000"],
        "tag_string": profile["tags"],
        "in_authorized_operation": True,
        "implementing_body": body,
        "authorization_scope": f"{body}授权范围内公共数据的加工和产品开发",
        "authorization_start": "2025-01-01",
        "authorization_end": "2027-12-31",
        "source_regist_codes": sources,
        "delivery_mode": delivery,
        "first_delivery_date": f"2025-{index + 2:02d}-01",
        "use_restrictions": "仅限合同约定用途,不得转售,不得用于识别特定个人。",
        "fee_standard": "按调用量计费,每万次 200 元;报告类产品每份 5000 元。",
        "security_level": "general",
        "has_personal_info": False,
        "evidence_provider": "天津市数据资产登记存证服务中心",
        "evidence_time": "2025-02-25T09:00:00",
        "evidence_hash": _digest(title),
        "evidence_cert_no": f"CZ-2025-P{index:03d}",
        "contact_name": profile["contact"],
        "contact_phone": profile["phone"],
        "contact_email": profile["mail"],
        "internal_review_done": True,
        "internal_review_note": "经公司合规部审核,同意申请登记。",
        "resources": [{
            "url": f"https://api.tjdataops.com.cn/products/{index:02d}",
            "name": f"{title}服务接口", "resource_kind": "data", "format": "JSON",
        }],
    }


def _agency_fields() -> dict[str, Any]:
    return {"org_kind": "agency", "admin_level": "city", "district_code": "120000",
            "uscc": _uscc(AGENCY[2]), "contact_name": "赵强", "contact_phone": "13920001234",
            "contact_email": "service@tjshulian.com.cn",
            "description": "第三方专业服务机构,受登记主体委托代办登记申请和数据存证。"}


def _ensure_delegation() -> bool:
    """The registrant's clerk commissions the demo agency, through the real action."""

    registrant = model.Group.get(DELEGATION["registrant"])
    agency = model.Group.get(AGENCY[0])
    if registrant is None or agency is None or model.User.get(DELEGATION["clerk"]) is None:
        return False
    if any(agencies.in_force(row) for row in agencies.listing(registrant_id=registrant.id,
                                                             agency_id=agency.id)):
        return False
    today = workdays.local_today()
    tk.get_action("agency_delegation_create")({"user": DELEGATION["clerk"]}, {
        "registrant_id": registrant.id, "agency_id": agency.id, "scope": DELEGATION["scope"],
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=DELEGATION["days"])).isoformat(),
        "document_no": DELEGATION["document_no"]})
    return True


def _ensure_user(name: str, fullname: str, password: str) -> bool:
    if model.User.get(name):
        return False
    tk.get_action("user_create")(
        _context(),
        {"name": name, "fullname": fullname, "email": f"{name}@demo.tjregistry.cn",
         "password": password},
    )
    return True


def _ensure_dataset(data: dict[str, Any]) -> bool:
    if _exists("package_show", data["name"]):
        return False
    tk.get_action("package_create")(_context(), data)
    return True


def load() -> list[str]:
    password = tk.config.get("tjregistry.demo.password")
    created = {"organizations": 0, "users": 0, "datasets": 0}

    for name, title, level, district in INSTITUTIONS:
        created["organizations"] += _ensure_org(name, title, _institution_fields(level, district))
    name, title, level, district = AUTHORITY
    created["organizations"] += _ensure_org(
        name, title, _institution_fields(level, district, kind="authority"))
    for name, title, district in REGISTRANTS:
        created["organizations"] += _ensure_org(name, title, _registrant_fields(name, district))
    created["organizations"] += _ensure_org(AGENCY[0], AGENCY[1], _agency_fields())

    for name, fullname, org, capacity in USERS:
        created["users"] += _ensure_user(name, fullname, password)
        if org:
            tk.get_action("organization_member_create")(
                _context(), {"id": org, "username": name, "role": capacity})
    admin = model.User.get("tj_admin")
    if admin and not admin.sysadmin:
        admin.sysadmin = True
        model.Session.commit()
    delegations = int(_ensure_delegation())

    for org, titles in RESOURCES.items():
        district = dict((r[0], r[2]) for r in REGISTRANTS)[org]
        for index, title in enumerate(titles, start=1):
            created["datasets"] += _ensure_dataset({
                "type": "data-resource",
                "name": f"{org}-res-{index:02d}",
                "title": f"{DISTRICT_PREFIX[district]}{title}",
                "notes": f"{DISTRICT_PREFIX[district]}{title},由{org}在履职过程中产生。",
                "owner_org": org,
                **_resource_fields(org, district, index, title),
            })
    for org, titles in PRODUCTS.items():
        for index, title in enumerate(titles, start=1):
            created["datasets"] += _ensure_dataset({
                "type": "data-product",
                "name": f"{org}-prod-{index:02d}",
                "title": title,
                "notes": f"基于授权运营公共数据加工形成的{title}。",
                "owner_org": org,
                **_product_fields(index, title),
            })

    summary = [
        f"organizations created: {created['organizations']}",
        f"users created: {created['users']}",
        f"datasets created: {created['datasets']}",
        f"agency delegations created: {delegations}",
    ]

    return summary + demo_workflow.load()
