"""Every controlled vocabulary of the registration catalogue, with Chinese and English labels.

This module is the single source of the allowed values: the scheming schemas read
their choices from it (``choices_helper: tjregistry_vocabulary_choices`` with a
``vocabulary`` key on the field), validators check against it and the search facets
take their display labels from it. Values are stable ASCII codes; labels are dicts
keyed by CKAN locale codes so that ``scheming_language_text`` picks the right one.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Term(NamedTuple):
    value: str
    zh: str
    en: str


# 共享属性 (政务信息资源目录编制指南: 共享类型)
SHARE_TYPE = (
    Term("unconditional", "无条件共享", "Unconditionally shared"),
    Term("conditional", "有条件共享", "Conditionally shared"),
    Term("not_shared", "不予共享", "Not shared"),
)

# 开放属性
OPEN_TYPE = (
    Term("unconditional", "无条件开放", "Unconditionally open"),
    Term("conditional", "有条件开放", "Conditionally open"),
    Term("not_open", "不予开放", "Not open"),
)

# 获取方式: the national platform resolves access to an open-platform URL, an
# authorised operator or an application to the holder; government sharing goes
# through the sharing platform.
ACCESS_METHOD = (
    Term("open", "开放平台获取", "From the open-data platform"),
    Term("authorized_operation", "授权运营获取", "Through authorised operation"),
    Term("sharing_platform", "政务数据共享平台申请",
         "Through the government data-sharing platform"),
    Term("apply", "向数据持有单位申请", "By application to the data holder"),
)

# 更新频率 / 更新周期
UPDATE_FREQUENCY = (
    Term("realtime", "实时", "Real time"),
    Term("hourly", "每小时", "Hourly"),
    Term("daily", "每日", "Daily"),
    Term("weekly", "每周", "Weekly"),
    Term("monthly", "每月", "Monthly"),
    Term("quarterly", "每季度", "Quarterly"),
    Term("semiannual", "每半年", "Every six months"),
    Term("annual", "每年", "Annually"),
    Term("irregular", "不定期", "Irregularly"),
    Term("static", "不更新", "Not updated"),
)

# 数据分类分级: the three levels of the Data Security Law.
SECURITY_LEVEL = (
    Term("general", "一般数据", "General data"),
    Term("important", "重要数据", "Important data"),
    Term("core", "核心数据", "Core data"),
)

# 数据类型 (结构)
DATA_KIND = (
    Term("structured", "结构化数据", "Structured data"),
    Term("semi_structured", "半结构化数据", "Semi-structured data"),
    Term("unstructured", "非结构化数据", "Unstructured data"),
    Term("spatiotemporal", "时空数据", "Spatio-temporal data"),
)

# 登记对象类别 (national platform dataRegistType 1, 2, 3)
REGIST_OBJECT_TYPE = (
    Term("public_data_resource", "公共数据资源", "Public data resource"),
    Term("data_product", "公共数据产品和服务", "Public data product or service"),
    Term("open_data_resource", "开放数据资源", "Open data resource"),
)

# 产品形态
PRODUCT_FORM = (
    Term("dataset", "数据集", "Dataset"),
    Term("data_model", "数据模型", "Data model"),
    Term("data_report", "数据报告", "Data report"),
    Term("solution", "解决方案", "Solution"),
    Term("other", "其他", "Other"),
)

# 交付/服务方式
DELIVERY_MODE = (
    Term("api", "数据接口", "API"),
    Term("file", "数据文件", "File"),
    Term("model", "模型部署", "Deployed model"),
    Term("report", "报告", "Report"),
    Term("onsite", "数据专区现场使用", "On-site use in a data zone"),
)

# 数据存储方式
STORAGE_MODE = (
    Term("gov_cloud", "政务云", "Government cloud"),
    Term("self_built", "自建机房", "Own data centre"),
    Term("third_party_cloud", "第三方云服务", "Third-party cloud"),
    Term("hybrid", "混合部署", "Hybrid"),
)

# 个人信息处理情况
PI_TREATMENT = (
    Term("deidentified", "去标识化处理", "De-identified"),
    Term("anonymized", "匿名化处理", "Anonymised"),
    Term("aggregated", "仅提供统计汇总结果", "Aggregated statistics only"),
    Term("consent", "已取得个人同意", "Individual consent obtained"),
    Term("legal_duty", "依法履职所必需", "Required for statutory duties"),
)

# 所属行业: the twenty sections (门类) of GB/T 4754-2017.
INDUSTRY = (
    Term("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    Term("B", "采矿业", "Mining"),
    Term("C", "制造业", "Manufacturing"),
    Term("D", "电力、热力、燃气及水生产和供应业",
         "Production and supply of electricity, heat, gas and water"),
    Term("E", "建筑业", "Construction"),
    Term("F", "批发和零售业", "Wholesale and retail trade"),
    Term("G", "交通运输、仓储和邮政业", "Transport, storage and postal services"),
    Term("H", "住宿和餐饮业", "Accommodation and catering"),
    Term("I", "信息传输、软件和信息技术服务业",
         "Information transmission, software and information technology services"),
    Term("J", "金融业", "Finance"),
    Term("K", "房地产业", "Real estate"),
    Term("L", "租赁和商务服务业", "Leasing and business services"),
    Term("M", "科学研究和技术服务业", "Scientific research and technical services"),
    Term("N", "水利、环境和公共设施管理业",
         "Water conservancy, environment and public facilities management"),
    Term("O", "居民服务、修理和其他服务业", "Resident services, repair and other services"),
    Term("P", "教育", "Education"),
    Term("Q", "卫生和社会工作", "Health and social work"),
    Term("R", "文化、体育和娱乐业", "Culture, sports and entertainment"),
    Term("S", "公共管理、社会保障和社会组织",
         "Public administration, social security and social organisations"),
    Term("T", "国际组织", "International organisations"),
)

# Tianjin by GB/T 2260 code: the city as a whole and its sixteen districts.
CITY_CODE = "120000"
DISTRICT = (
    Term(CITY_CODE, "天津市(市级)", "Tianjin (municipal)"),
    Term("120101", "和平区", "Heping District"),
    Term("120102", "河东区", "Hedong District"),
    Term("120103", "河西区", "Hexi District"),
    Term("120104", "南开区", "Nankai District"),
    Term("120105", "河北区", "Hebei District"),
    Term("120106", "红桥区", "Hongqiao District"),
    Term("120110", "东丽区", "Dongli District"),
    Term("120111", "西青区", "Xiqing District"),
    Term("120112", "津南区", "Jinnan District"),
    Term("120113", "北辰区", "Beichen District"),
    Term("120114", "武清区", "Wuqing District"),
    Term("120115", "宝坻区", "Baodi District"),
    Term("120116", "滨海新区", "Binhai New Area"),
    Term("120117", "宁河区", "Ninghe District"),
    Term("120118", "静海区", "Jinghai District"),
    Term("120119", "蓟州区", "Jizhou District"),
)

# Organisations: what kind of body an organisation is.
ORG_KIND = (
    Term("registrant", "登记主体", "Registrant"),
    Term("institution", "登记机构", "Registration institution"),
    Term("authority", "数据主管部门", "Data authority"),
    Term("agency", "第三方专业服务机构", "Third-party service agency"),
)

ADMIN_LEVEL = (
    Term("city", "市级", "Municipal"),
    Term("district", "区级", "District"),
)

REGISTRANT_TYPE = (
    Term("party_gov", "党政机关", "Party or government body"),
    Term("public_institution", "事业单位", "Public institution"),
    Term("enterprise", "企业(国有企业、公用企业)", "Enterprise (state-owned or public utility)"),
    Term("operator", "授权运营机构", "Authorised operator"),
    Term("other", "其他", "Other"),
)

QUALIFICATION_STATUS = (
    Term("active", "正常", "Active"),
    Term("suspended", "已暂停", "Suspended"),
    Term("cancelled", "已取消", "Cancelled"),
)

YES_NO = (
    Term("true", "是", "Yes"),
    Term("false", "否", "No"),
)

# What a distribution (CKAN resource) of a registration is.
RESOURCE_KIND = (
    Term("data", "数据", "Data"),
    Term("dictionary", "数据字典(信息项)", "Data dictionary (items)"),
    Term("sample", "数据样例", "Data sample"),
    Term("document", "说明文档", "Description document"),
)

# Types of an item (信息项) in a data dictionary.
ITEM_TYPE = (
    Term("string", "字符型", "String"),
    Term("integer", "整数型", "Integer"),
    Term("decimal", "数值型", "Decimal"),
    Term("date", "日期型", "Date"),
    Term("datetime", "日期时间型", "Date and time"),
    Term("boolean", "布尔型", "Boolean"),
    Term("binary", "二进制", "Binary"),
    Term("other", "其他", "Other"),
)

# Registration state as injected by the workflow (only labels live here).
REGISTRATION_STATUS = (
    Term("unregistered", "未登记", "Not registered"),
    Term("pending", "登记办理中", "Registration in progress"),
    Term("publicity", "公示中", "In publicity"),
    Term("registered", "已登记", "Registered"),
    Term("expired", "已过期", "Expired"),
    Term("revoked", "已撤销", "Revoked"),
    Term("cancelled", "已注销", "Cancelled"),
)

VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "share_type": SHARE_TYPE,
    "open_type": OPEN_TYPE,
    "access_method": ACCESS_METHOD,
    "update_frequency": UPDATE_FREQUENCY,
    "security_level": SECURITY_LEVEL,
    "data_kind": DATA_KIND,
    "regist_object_type": REGIST_OBJECT_TYPE,
    "product_form": PRODUCT_FORM,
    "delivery_mode": DELIVERY_MODE,
    "storage_mode": STORAGE_MODE,
    "pi_treatment": PI_TREATMENT,
    "industry": INDUSTRY,
    "district": DISTRICT,
    "org_kind": ORG_KIND,
    "admin_level": ADMIN_LEVEL,
    "registrant_type": REGISTRANT_TYPE,
    "qualification_status": QUALIFICATION_STATUS,
    "yes_no": YES_NO,
    "resource_kind": RESOURCE_KIND,
    "item_type": ITEM_TYPE,
    "registration_status": REGISTRATION_STATUS,
}


def terms(name: str, only: Iterable[str] | None = None) -> tuple[Term, ...]:
    """The terms of vocabulary ``name``, optionally limited to the values in ``only``."""
    vocabulary = VOCABULARIES[name]
    if only is None:
        return vocabulary
    wanted = set(only)
    return tuple(term for term in vocabulary if term.value in wanted)


def values(name: str) -> list[str]:
    return [term.value for term in VOCABULARIES[name]]


def choices(name: str, only: Iterable[str] | None = None) -> list[dict[str, object]]:
    """Scheming ``choices``: ``[{"value": ..., "label": {"zh_Hans_CN": ..., "en": ...}}]``."""
    return [
        {"value": term.value, "label": {"zh_Hans_CN": term.zh, "en": term.en}}
        for term in terms(name, only)
    ]


def label(name: str, value: str, lang: str = "zh_Hans_CN") -> str:
    """The label of ``value`` in ``lang`` (Chinese unless the language is English)."""
    for term in VOCABULARIES.get(name, ()):
        if term.value == value:
            return term.en if lang.startswith("en") else term.zh
    return value


def district_terms() -> tuple[Term, ...]:
    """The sixteen districts, without the city-wide code."""
    return tuple(term for term in DISTRICT if term.value != CITY_CODE)
