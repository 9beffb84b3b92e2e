"""Demo data for the local platform: institutions, registrants, users and registrations.

Everything is created through CKAN's action API, so the demo exercises the same
validation and indexing as real use. Running it twice changes nothing.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

# (name, title, kind, district GB/T 2260 code)
INSTITUTIONS = [
    ("tj-data-center", "天津市数据发展中心", "city", "120000"),
    ("hp-registry", "和平区公共数据资源登记机构", "district", "120101"),
    ("bh-registry", "滨海新区公共数据资源登记机构", "district", "120116"),
]

REGISTRANTS = [
    ("tj-transport", "天津市交通运输委员会", "120000"),
    ("tj-market", "天津市市场监督管理委员会", "120000"),
    ("tj-health", "天津市卫生健康委员会", "120000"),
    ("hp-education", "和平区教育局", "120101"),
    ("bh-ecology", "滨海新区生态环境局", "120116"),
    ("tj-data-ops", "天津数据运营有限公司", "120000"),
]

USERS = [
    # (name, full name, organization, capacity)
    ("tj_admin", "平台管理员", None, None),
    ("reviewer_city", "市级登记机构审核员", "tj-data-center", "editor"),
    ("reviewer_hp", "和平区登记机构审核员", "hp-registry", "editor"),
    ("reviewer_bh", "滨海新区登记机构审核员", "bh-registry", "editor"),
    ("transport_clerk", "交通委数据专员", "tj-transport", "editor"),
    ("market_clerk", "市场监管委数据专员", "tj-market", "editor"),
    ("hp_edu_clerk", "和平区教育局数据专员", "hp-education", "editor"),
    ("bh_eco_clerk", "滨海新区生态环境局数据专员", "bh-ecology", "editor"),
    ("operator_clerk", "数据运营公司登记专员", "tj-data-ops", "editor"),
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


def _ensure_org(name: str, title: str, description: str) -> bool:
    if _exists("organization_show", name):
        return False
    tk.get_action("organization_create")(
        _context(), {"name": name, "title": title, "description": description}
    )
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
        level_text = "市级" if level == "city" else "区级"
        created["organizations"] += _ensure_org(
            name, title, f"{level_text}登记机构,行政区划代码 {district}。")
    for name, title, district in REGISTRANTS:
        created["organizations"] += _ensure_org(
            name, title, f"登记主体,所在行政区划 {DISTRICT_PREFIX[district]}。")

    for name, fullname, org, capacity in USERS:
        created["users"] += _ensure_user(name, fullname, password)
        if org:
            tk.get_action("organization_member_create")(
                _context(), {"id": org, "username": name, "role": capacity})
    admin = model.User.get("tj_admin")
    if admin and not admin.sysadmin:
        admin.sysadmin = True
        model.Session.commit()

    for org, titles in RESOURCES.items():
        district = dict((r[0], r[2]) for r in REGISTRANTS)[org]
        for index, title in enumerate(titles, start=1):
            created["datasets"] += _ensure_dataset({
                "type": "data-resource",
                "name": f"{org}-res-{index:02d}",
                "title": f"{DISTRICT_PREFIX[district]}{title}",
                "notes": f"{DISTRICT_PREFIX[district]}{title},由{org}在履职过程中产生。",
                "owner_org": org,
            })
    for org, titles in PRODUCTS.items():
        for index, title in enumerate(titles, start=1):
            created["datasets"] += _ensure_dataset({
                "type": "data-product",
                "name": f"{org}-prod-{index:02d}",
                "title": title,
                "notes": f"基于授权运营公共数据加工形成的{title}。",
                "owner_org": org,
            })

    summary = [
        f"organizations created: {created['organizations']}",
        f"users created: {created['users']}",
        f"datasets created: {created['datasets']}",
    ]
    from ckanext.tjregistry import demo_workflow

    return summary + demo_workflow.load()
