"""Benchmark data: Chinese dataset records and values for any scheming schema.

Everything here is deterministic for a given seed, so the stock and the tjregistry
runs get the same titles, notes, tags and resources in the same order.

The tjregistry schemas change as the registration metadata grows, so the values of
their extra fields are not written down here: ``SchemaFiller`` reads the expanded
scheming schema at run time and fills every required field (and every optional field
that offers choices) with a valid value, picking among the schema's own choices.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Iterable
from typing import Any

DISTRICTS = [
    ("120000", "天津市"), ("120101", "和平区"), ("120102", "河东区"), ("120103", "河西区"),
    ("120104", "南开区"), ("120105", "河北区"), ("120106", "红桥区"), ("120110", "东丽区"),
    ("120111", "西青区"), ("120112", "津南区"), ("120113", "北辰区"), ("120114", "武清区"),
    ("120115", "宝坻区"), ("120116", "滨海新区"), ("120117", "宁河区"), ("120118", "静海区"),
    ("120119", "蓟州区"),
]

AGENCIES = [
    ("fgw", "发展和改革委员会"), ("jyj", "教育局"), ("gaj", "公安局"), ("mzj", "民政局"),
    ("czj", "财政局"), ("rsj", "人力资源和社会保障局"), ("ghzy", "规划和自然资源局"),
    ("sthj", "生态环境局"), ("zjw", "住房和城乡建设委员会"), ("jtys", "交通运输委员会"),
    ("swj", "水务局"), ("nyw", "农业农村委员会"), ("swu", "商务局"), ("wlj", "文化和旅游局"),
    ("wjw", "卫生健康委员会"), ("yjj", "应急管理局"), ("scjg", "市场监督管理局"),
    ("tjj", "统计局"), ("ybj", "医疗保障局"), ("sjzx", "数据发展中心"),
]

# agency | subject | fields it records | what it covers | tags
_SUBJECT_TABLE = """
jtys|公交线路|线路编号 站点名称 首末班时间 票价|全市公交线路和站点|交通 公交
jtys|公交车辆实时位置|车辆编号 经度 纬度 采集时间|运营中的公交车辆|交通 实时
gaj|道路交通流量|路段编号 车流量 平均车速|主要道路和快速路|交通 道路
jtys|停车场泊位|停车场名称 总泊位数 空余泊位数|公共停车场|交通 停车
jyj|中小学学籍|学生编号 学校名称 年级 入学日期|辖区内中小学|教育 学籍
jyj|幼儿园名录|幼儿园名称 地址 办园性质 班级数|辖区内幼儿园|教育 名录
sthj|空气质量监测|监测点位 PM2.5浓度 PM10浓度 AQI|国控和市控监测点|环境 空气
sthj|地表水水质|断面名称 水质类别 监测日期|主要河流断面|环境 水质
scjg|企业登记注册|统一社会信用代码 企业名称 成立日期 注册资本|辖区内市场主体|企业 登记
scjg|食品经营许可|许可证编号 经营者名称 经营场所 有效期|食品经营单位|市场监管 许可
mzj|养老机构|机构名称 床位数 收住对象 联系电话|养老机构和社区养老服务设施|民政 养老
mzj|社会组织登记|组织名称 登记证号 业务主管单位|依法登记的社会组织|民政 社会组织
wjw|医疗机构|机构名称 机构类别 床位数 诊疗科目|各级各类医疗机构|卫生 医疗
wjw|疫苗接种点|接种点名称 地址 服务时间|预防接种门诊|卫生 接种
ybj|医保定点药店|药店名称 定点编号 地址|医保定点零售药店|医保 药店
rsj|就业岗位信息|岗位名称 招聘单位 薪资范围 发布日期|公共就业服务平台岗位|就业 招聘
rsj|社会保险参保|参保单位数 参保人数 险种|各险种参保情况|社保 统计
zjw|建设工程项目|项目名称 建设单位 施工许可证号 开工日期|房屋建筑和市政工程|住建 工程
zjw|商品房预售许可|项目名称 预售许可证号 套数 面积|商品房项目|住建 房产
ghzy|国土空间规划|规划单元 用地性质 容积率|城市开发边界内用地|规划 用地
ghzy|不动产登记|不动产单元号 权利类型 登记日期|不动产登记业务|自然资源 登记
swj|河湖长制|河湖名称 河湖长 巡河次数|全市河湖|水务 河湖
nyw|农产品价格|品种 批发价格 采集市场 日期|主要农产品批发市场|农业 价格
nyw|高标准农田|项目名称 建设面积 完成年份|高标准农田建设项目|农业 农田
swu|外贸进出口|商品类别 进口额 出口额 月份|货物贸易|商务 外贸
wlj|A级旅游景区|景区名称 等级 地址 开放时间|A级旅游景区|旅游 景区
wlj|公共文化场馆|场馆名称 类型 开放时间|图书馆、文化馆和博物馆|文化 场馆
yjj|安全生产许可|企业名称 许可范围 有效期|危险化学品等行业企业|应急 许可
yjj|应急避难场所|场所名称 容纳人数 地址|应急避难场所|应急 避难
tjj|国民经济主要指标|指标名称 数值 同比增长 统计期|地区生产总值等指标|统计 经济
tjj|人口普查汇总|区域 常住人口 户数|各街道常住人口|统计 人口
fgw|政府投资项目|项目名称 总投资 审批文号|政府投资项目审批|发改 投资
czj|财政预决算|科目 预算数 决算数|一般公共预算|财政 预算
sjzx|政务服务事项|事项名称 办理时限 受理地点|依申请政务服务事项|政务服务 事项
sjzx|公共数据目录|目录名称 共享属性 开放属性|公共数据资源目录|公共数据 目录
"""
SUBJECTS_BY_AGENCY: dict[str, list[tuple[str, list[str], str, list[str]]]] = {}
for _line in _SUBJECT_TABLE.strip().splitlines():
    _agency, _subject, _fields, _scope, _tags = _line.split("|")
    SUBJECTS_BY_AGENCY.setdefault(_agency, []).append(
        (_subject, _fields.split(), _scope, _tags.split()))
SUBJECTS = [subject for subjects in SUBJECTS_BY_AGENCY.values() for subject in subjects]

KINDS = ["数据", "信息", "台账", "目录", "统计数据", "监测数据", "登记信息", "实时数据"]
FREQUENCIES = ["实时", "每日", "每周", "每月", "每季度", "每年"]
SCENARIOS = ["城市治理", "公共服务", "产业分析", "科学研究", "应急管理", "便民出行", "决策支持"]
FORMATS = ["CSV", "XLSX", "JSON", "API", "XML"]
LICENSES = ["cc-by", "cc-by-sa", "odc-by", "other-open", "notspecified"]

# Search words that occur in titles and notes: subjects, agencies, districts.
KEYWORDS = sorted(
    {s[0] for s in SUBJECTS}
    | {t for s in SUBJECTS for t in s[3]}
    | {a[1] for a in AGENCIES}
    | {d[1] for d in DISTRICTS}
)


def organization_records(count: int) -> list[dict[str, Any]]:
    """The publishing bodies: one agency per district in turn."""
    records = []
    for i in range(count):
        code, district = DISTRICTS[i % len(DISTRICTS)]
        slug, agency = AGENCIES[i % len(AGENCIES)]
        records.append({
            "agency": slug,
            "name": f"bench-{slug}-{code}",
            "title": f"{district}{agency}",
            "description": f"{district}{agency}，负责本行政区域内相关公共数据的汇聚、登记和"
                           "共享开放。",
            "district_code": code,
            "admin_level": "city" if code == "120000" else "district",
        })
    return records


def dataset_record(index: int, organizations: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """The core of dataset ``index``: the same for every configuration."""
    rng = random.Random(seed * 1_000_003 + index)
    org = organizations[index % len(organizations)]
    subject, fields, scope, tags = rng.choice(SUBJECTS_BY_AGENCY[org["agency"]])
    kind = rng.choice(KINDS)
    year_from = rng.randint(2015, 2022)
    year_to = rng.randint(year_from, 2025)
    frequency = rng.choice(FREQUENCIES)
    title = f"{org['title']}{subject}{kind}"
    if rng.random() < 0.3:
        title += f"（{year_to}年）"
    notes = (
        f"本数据资源由{org['title']}在履行职责过程中采集形成，"
        f"主要包括{'、'.join(fields)}等{len(fields)}项字段。"
        f"数据覆盖{scope}，时间范围为{year_from}年至{year_to}年，{frequency}更新，"
        f"目前累计约{rng.randint(1, 900) * 1000}条记录。\n\n"
        f"数据按照天津市公共数据资源登记管理的要求进行登记，"
        f"可用于{'、'.join(rng.sample(SCENARIOS, 2))}等场景。"
        f"如需获取原始数据，请联系{org['title']}数据管理部门。"
    )
    name = f"bench-{index:06d}"
    resources = []
    for k in range(rng.randint(1, 3)):
        fmt = rng.choice(FORMATS)
        resources.append({
            "name": f"{subject}{kind}（{k + 1}）",
            "url": f"https://data.tj.gov.cn/files/{name}/{k + 1}.{fmt.lower()}",
            "format": fmt,
            "description": f"{subject}{kind}第{k + 1}部分，{fmt}格式。",
        })
    return {
        "name": name,
        "title": title,
        "notes": notes,
        "owner_org": org["name"],
        "tags": sorted(set(tags + rng.sample([s[3][0] for s in SUBJECTS], 1))),
        "license_id": rng.choice(LICENSES),
        "resources": resources,
        "frequency": frequency,
        "year_from": year_from,
        "year_to": year_to,
        "scope": scope,
    }


def stock_dataset(record: dict[str, Any]) -> dict[str, Any]:
    """A dataset of scheming's stock ``ckan_dataset.yaml``."""
    return {
        "type": "dataset",
        "name": record["name"],
        "title": record["title"],
        "notes": record["notes"],
        "owner_org": record["owner_org"],
        "tag_string": ",".join(record["tags"]),
        "license_id": record["license_id"],
        "version": f"{record['year_to']}.1",
        "author": "数据管理处",
        "author_email": "data@example.gov.cn",
        "resources": record["resources"],
    }


def uscc(rng: random.Random) -> str:
    """A unified social credit code (GB 32100-2015) with a correct check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "11" + "120101" + "".join(rng.choice(alphabet) for _ in range(9))
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


# Values that make a record a typical one where the schema offers them (used only when
# the value is valid for the field, i.e. among its choices or for a free field).
PREFERRED: dict[str, Any] = {
    "org_kind": "registrant",
    "admin_level": "district",
    "registrant_type": "party_gov",
    "qualification_status": "active",
    "verified": "true",
    "pledge_on_file": "true",
}


class SchemaFiller:
    """Fills the fields of an expanded scheming schema with valid values.

    ``choices_for(field)`` returns the field's choices (for scheming, the
    ``scheming_field_choices`` helper, which also resolves ``choices_helper``).
    """

    def __init__(self, choices_for: Callable[[dict[str, Any]], list[dict[str, Any]] | None]):
        self.choices_for = choices_for

    @staticmethod
    def is_required(field: dict[str, Any]) -> bool:
        """Required on create: ``required: true`` or a ``not_empty`` validator."""
        validators = field.get("validators") or ""
        return bool(field.get("required")) or bool(re.search(r"\bnot_empty\b", validators))

    def wanted(self, field: dict[str, Any]) -> bool:
        """Required fields, fields some later step requires (any truthy ``*required`` key,
        e.g. ``registration_required``) and fields with choices."""
        required_later = any(k.endswith("required") and v for k, v in field.items())
        return self.is_required(field) or required_later or bool(self.choices_for(field))

    def fill(
        self, fields: Iterable[dict[str, Any]], skip: set[str], rng: random.Random,
        record: dict[str, Any],
    ) -> dict[str, Any]:
        values = {}
        for field in fields:
            name = field["field_name"]
            if name in skip or not self.wanted(field):
                continue
            values[name] = self.value(field, rng, record)
        return values

    def value(self, field: dict[str, Any], rng: random.Random, record: dict[str, Any]) -> Any:
        name = field["field_name"]
        if field.get("repeating_subfields"):
            return [self.fill(field["repeating_subfields"], set(), rng, record)]
        choices = [str(c["value"]) for c in (self.choices_for(field) or []) if c.get("value") != ""]
        multiple = "multiple" in self.kind_words(field)
        if choices:
            # The record's own value (e.g. an organization's district) comes first.
            preferred = str(record[name]) if name in record else PREFERRED.get(name)
            if multiple:
                return rng.sample(choices, k=min(2, len(choices)))
            return preferred if preferred in choices else rng.choice(choices)
        if name in record:
            return record[name]
        if name in PREFERRED:
            return PREFERRED[name]
        return self.free_value(field, rng, record)

    @staticmethod
    def kind_words(field: dict[str, Any]) -> set[str]:
        """Words of a field's preset, validators and name: "tjregistry_datetime" -> datetime."""
        text = f"{field.get('preset') or ''} {field.get('validators') or ''} {field['field_name']}"
        return set(re.split(r"[^a-z0-9]+", text.lower())) - {""}

    @classmethod
    def free_value(cls, field: dict[str, Any], rng: random.Random, record: dict[str, Any]) -> Any:
        """A valid value for a field without choices, guessed from its preset, validators
        and name (a field none of these describe gets a short Chinese text)."""
        name = field["field_name"]
        words = cls.kind_words(field)
        label = field.get("label")
        if isinstance(label, dict):
            label = label.get("zh_Hans_CN") or label.get("en") or name
        year_from, year_to = record.get("year_from", 2020), record.get("year_to", 2024)
        if "datetime" in words or "isodatetime" in words:
            return dt.datetime(year_to, rng.randint(1, 12), rng.randint(1, 28), 9, 30).isoformat()
        if words & {"date", "isodate", "start", "end", "until"}:
            # An end (or "until") falls in the second half of the year after year_to, so
            # it is later than any start, which falls in the first half of year_from.
            if words & {"end", "until"}:
                return dt.date(year_to + 1, rng.randint(7, 12), rng.randint(1, 28)).isoformat()
            return dt.date(year_from, rng.randint(1, 6), rng.randint(1, 28)).isoformat()
        if "email" in words:
            return "contact@example.gov.cn"
        if "url" in words:
            return f"https://data.tj.gov.cn/{record.get('name', 'org')}"
        if "phone" in words:
            return f"022-2{rng.randint(1000000, 9999999)}"
        if "uscc" in words:
            return uscc(rng)
        if "hash" in words:
            return f"{rng.getrandbits(256):064x}"
        if "code" in words or "codes" in words:
            code = f"TJ-{year_to}-{rng.randint(1, 99999):05d}"
            return [code] if words & {"list", "codes"} else code
        if words & {"int", "integer", "count", "number", "natural", "scale"}:
            return str(rng.randint(1, 900) * 1000)
        if name in {"contact_name", "operator_name", "implementing_body", "evidence_provider"}:
            return rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈静"])
        return f"{label}：{record.get('title', '')}"[:200]
