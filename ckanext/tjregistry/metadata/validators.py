"""Validators of this extension (registered by ``tk.blanket.validators``).

Field validators check one value; the ``*_rules`` validators run after all fields
(scheming ``after_validators``) and enforce the conditional rules of the
registration: authorised operation needs evidence (存证), an open resource needs
its open-platform URL, end dates follow start dates, and so on. Every message is
an English msgid translated in the zh_Hans_CN catalogue, and every error is
attached to the field it concerns.
"""
from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.plugins.toolkit import _
from ckanext.scheming.validation import scheming_validator

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.metadata import vocabularies

Invalid = tk.Invalid
missing = tk.missing
StopOnError = tk.StopOnError

FlatKey = tuple[Any, ...]
FlatData = dict[FlatKey, Any]
FlatErrors = dict[FlatKey, list[str]]
Validator = Callable[..., Any]

# Context flag set by internal actions (e.g. verifying a registrant) that may change
# platform-managed organization fields on behalf of an institution.
MANAGE_ORGS_CONTEXT_KEY = "tjregistry_manage_organizations"

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "否"})

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last one
# is a check character computed modulo 31 with these weights.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

MOBILE_PATTERN = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
LANDLINE_PATTERN = re.compile(r"^(?:\+?86-?)?0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
HASH_PATTERN = re.compile(r"^(?:(sm3|sha256|sha512):)?([0-9a-f]{64}|[0-9a-f]{128})$")
# Codes of catalogues and registrations; "*" is a possible ISO 7064 MOD 37-2 check character.
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/*-]{0,63}$")
LIST_SEPARATORS = re.compile(r"[\n\r,;，；]+")

DEFAULT_MAX_LENGTH = 500


# --------------------------------------------------------------- helpers ---
def _is_empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == []


def _vocabulary_values(field: dict[str, Any]) -> list[str]:
    name = field.get("vocabulary")
    if not name:
        return [str(choice["value"]) for choice in field.get("choices", [])]
    return [term.value for term in vocabularies.terms(name, field.get("vocabulary_values"))]


def _is_privileged(context: dict[str, Any]) -> bool:
    """Sysadmins (including the site user) and internal actions that say so."""
    if context.get(MANAGE_ORGS_CONTEXT_KEY):
        return True
    user = context.get("user")
    return bool(user) and authz.is_sysadmin(user)


def _to_bool_word(value: Any) -> str | None:
    """``"true"``/``"false"`` for anything that reads as a yes/no answer, else None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return "true"
    if text in FALSE_WORDS:
        return "false"
    return None


def _load_list(value: Any) -> list[Any] | None:
    """A list from a list or from its JSON text; None when it is neither."""
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            loaded = json.loads(value)
        except ValueError:
            return None
        return loaded if isinstance(loaded, list) else None
    return None


# ------------------------------------------------------- field validators ---
@registry.validator
@scheming_validator
def tjregistry_required(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """``not_empty`` for required fields; otherwise drop blank values and stop.

    Unlike CKAN's ``ignore_empty`` this keeps ``0`` and ``False``, which are answers.
    """
    if field.get("required"):
        return tk.get_validator("not_empty")

    def ignore_blank(key: FlatKey, data: FlatData, errors: FlatErrors, context: Any) -> None:
        value = data.get(key)
        if _is_empty(value) or (isinstance(value, str) and not value.strip()):
            data.pop(key, None)
            raise StopOnError

    return ignore_blank


@registry.validator
@scheming_validator
def tjregistry_text(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """Trimmed text no longer than the field's ``max_length``."""
    max_length = int(field.get("max_length", DEFAULT_MAX_LENGTH))

    def validator(value: Any) -> Any:
        if _is_empty(value):
            return value
        if not isinstance(value, str):
            raise Invalid(_("Must be text"))
        value = value.strip()
        if len(value) > max_length:
            raise Invalid(_("Must be at most {max} characters long").format(max=max_length))
        return value

    return validator


@registry.validator
@scheming_validator
def tjregistry_choice(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """One value of the field's vocabulary."""

    def validator(value: Any) -> Any:
        if _is_empty(value):
            return value
        allowed = _vocabulary_values(field)
        if str(value) not in allowed:
            raise Invalid(_('Unexpected choice "{value}"').format(value=value))
        return str(value)

    return validator


@registry.validator
@scheming_validator
def tjregistry_multiple_choice(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """Zero or more vocabulary values (a list, a JSON list or one value); stored as JSON."""

    def validator(key: FlatKey, data: FlatData, errors: FlatErrors, context: Any) -> None:
        value = data.get(key)
        if _is_empty(value):
            if field.get("required"):
                errors[key].append(_("Select at least one"))
            data.pop(key, None)
            raise StopOnError
        selected = _load_list(value)
        if selected is None:
            if not isinstance(value, str):
                errors[key].append(_("Expecting a list of values"))
                raise StopOnError
            selected = [value]
        allowed = _vocabulary_values(field)
        unknown = [str(item) for item in selected if str(item) not in allowed]
        if unknown:
            errors[key].append(_('Unexpected choice "{value}"').format(value=", ".join(unknown)))
            raise StopOnError
        chosen = {str(item) for item in selected}
        data[key] = json.dumps([value for value in allowed if value in chosen])

    return validator


@registry.validator
def tjregistry_json_list_output(value: Any) -> Any:
    """Stored JSON list back to a list (output side of the list validators)."""
    loaded = _load_list(value)
    return value if loaded is None else loaded


@registry.validator
@scheming_validator
def tjregistry_yes_no(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """A yes/no answer stored as ``"true"``/``"false"``; empty means not answered."""

    def validator(key: FlatKey, data: FlatData, errors: FlatErrors, context: Any) -> None:
        value = data.get(key)
        if _is_empty(value):
            if field.get("required"):
                errors[key].append(_("Missing value"))
            data.pop(key, None)
            raise StopOnError
        word = _to_bool_word(value)
        if word is None:
            errors[key].append(_("Must be yes or no"))
            raise StopOnError
        data[key] = word

    return validator


@registry.validator
def tjregistry_boolean_output(value: Any) -> Any:
    word = _to_bool_word(value) if value is not None else None
    if word is None:
        return value
    return word == "true"


@registry.validator
def tjregistry_non_negative_integer(value: Any) -> Any:
    """A whole number that is zero or more (record counts, byte sizes)."""
    if _is_empty(value):
        return value
    if isinstance(value, bool):
        raise Invalid(_("Must be a whole number"))
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid(_("Must be a whole number"))
        value = int(value)
    text = str(value).strip().replace(",", "")
    if not re.fullmatch(r"[+-]?\d+", text):
        raise Invalid(_("Must be a whole number"))
    number = int(text)
    if number < 0:
        raise Invalid(_("Must not be negative"))
    return str(number)


@registry.validator
def tjregistry_int_output(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


@registry.validator
def tjregistry_date(value: Any) -> Any:
    """A calendar date, stored as ``YYYY-MM-DD`` (a date-time keeps only its date)."""
    if _is_empty(value):
        return value
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if len(text) > 10 and text[10] in "T ":
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment.date().isoformat()
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise Invalid(_("Must be a date (YYYY-MM-DD)")) from None


@registry.validator
def tjregistry_datetime(value: Any) -> Any:
    """A date and time, stored as ``YYYY-MM-DDTHH:MM:SS`` (local time of the platform)."""
    if _is_empty(value):
        return value
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip().replace(" ", "T", 1)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise Invalid(_("Must be a date and time (YYYY-MM-DDTHH:MM)")) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
        moment = moment.replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


@registry.validator
def tjregistry_url(value: Any) -> Any:
    if _is_empty(value):
        return value
    text = str(value).strip()
    if not URL_PATTERN.match(text):
        raise Invalid(_("Must be a web address starting with http:// or https://"))
    return text


@registry.validator
def tjregistry_email(value: Any) -> Any:
    if _is_empty(value):
        return value
    text = str(value).strip()
    if not EMAIL_PATTERN.match(text):
        raise Invalid(_("Must be a valid e-mail address"))
    return text


@registry.validator
def tjregistry_phone(value: Any) -> Any:
    """A mainland mobile number or a landline with area code (e.g. 022-23456789)."""
    if _is_empty(value):
        return value
    text = re.sub(r"[\s()（）]", "", str(value))
    if not (MOBILE_PATTERN.match(text) or LANDLINE_PATTERN.match(text)):
        raise Invalid(_("Must be a mobile number or a landline number with area code"))
    return text


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    pairs = zip(first17, USCC_WEIGHTS, strict=True)
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in pairs)
    return USCC_ALPHABET[(31 - total % 31) % 31]


@registry.validator
def tjregistry_uscc(value: Any) -> Any:
    """统一社会信用代码 (GB 32100): 18 characters with a valid check character."""
    if _is_empty(value):
        return value
    code = re.sub(r"\s", "", str(value)).upper()
    if not USCC_PATTERN.match(code):
        raise Invalid(_("A unified social credit code has 18 digits or capital letters "
                        "(without I, O, S, V or Z)"))
    if uscc_check_character(code[:17]) != code[17]:
        raise Invalid(_("The check character of this unified social credit code is wrong"))
    return code


@registry.validator
def tjregistry_evidence_hash(value: Any) -> Any:
    """Fingerprint of the evidenced data: 64 or 128 hex digits, optionally ``sm3:`` etc."""
    if _is_empty(value):
        return value
    text = str(value).strip().lower()
    if not HASH_PATTERN.match(text):
        raise Invalid(_("Must be a hexadecimal digest of 64 or 128 characters, optionally "
                        "prefixed by sm3:, sha256: or sha512:"))
    return text


@registry.validator
def tjregistry_code(value: Any) -> Any:
    """A catalogue or registration code: letters, digits and . _ / * - (at most 64)."""
    if _is_empty(value):
        return value
    text = str(value).strip()
    if not CODE_PATTERN.match(text):
        raise Invalid(_("Must be a code of letters, digits, '.', '_', '/', '*' or '-' "
                        "(at most 64 characters)"))
    return text


@registry.validator
def tjregistry_code_list(key: FlatKey, data: FlatData, errors: FlatErrors, context: Any) -> None:
    """Codes given as a list or as text (one per line or comma-separated); stored as JSON."""
    value = data.get(key)
    if _is_empty(value):
        data.pop(key, None)
        raise StopOnError
    codes = _load_list(value)
    if codes is None:
        if not isinstance(value, str):
            errors[key].append(_("Expecting a list of values"))
            raise StopOnError
        codes = LIST_SEPARATORS.split(value)
    cleaned: list[str] = []
    for code in codes:
        text = str(code).strip()
        if not text:
            continue
        if not CODE_PATTERN.match(text):
            errors[key].append(_('"{code}" is not a valid code').format(code=text))
            continue
        if text not in cleaned:
            cleaned.append(text)
    if errors[key]:
        raise StopOnError
    if not cleaned:
        data.pop(key, None)
        raise StopOnError
    data[key] = json.dumps(cleaned)


@registry.validator
@scheming_validator
def tjregistry_platform_managed(field: dict[str, Any], schema: dict[str, Any]) -> Validator:
    """Organization fields only the platform may set (kind, level, district, verification).

    A missing value keeps the stored one (or the field's default on creation), so a
    partial update never resets jurisdiction. Only sysadmins may send a different
    value; for anyone else that is an error rather than a silent change.
    """
    is_yes_no = field.get("vocabulary") == "yes_no"

    def normalise(value: Any) -> str | None:
        if _is_empty(value):
            return None
        if is_yes_no:
            return _to_bool_word(value) or str(value)
        return str(value).strip()

    def validator(key: FlatKey, data: FlatData, errors: FlatErrors, context: Any) -> None:
        group = context.get("group")
        stored = normalise((group.extras or {}).get(field["field_name"])) if group else None
        current = stored if stored is not None else normalise(field.get("default"))
        submitted = normalise(data.get(key))
        if submitted is None:
            if current is None:
                data.pop(key, None)
                raise StopOnError
            data[key] = current
            return
        if submitted != current and not _is_privileged(context):
            errors[key].append(_("Only platform administrators can change this field"))
            raise StopOnError
        data[key] = submitted

    return validator


# -------------------------------------------------- cross-field validators ---
class _Record:
    """Read access to the validated top-level values of a flattened dict."""

    def __init__(self, data: FlatData, errors: FlatErrors) -> None:
        self.data = data
        self.errors = errors

    def get(self, name: str) -> Any:
        value = self.data.get((name,))
        return None if _is_empty(value) else value

    def ok(self, name: str) -> bool:
        """The field has a value and its own validators did not complain."""
        return self.get(name) is not None and not self.errors.get((name,))

    def is_yes(self, name: str) -> bool:
        return self.ok(name) and _to_bool_word(self.get(name)) == "true"

    def as_list(self, name: str) -> list[Any]:
        value = self.get(name)
        loaded = _load_list(value) if value is not None else None
        return loaded if loaded is not None else ([] if value is None else [value])

    def add_error(self, name: str, message: str) -> None:
        messages = self.errors.setdefault((name,), [])
        if message not in messages:
            messages.append(message)

    def require(self, names: Iterable[str], message: str) -> None:
        for name in names:
            if self.get(name) is None and not self.errors.get((name,)):
                self.add_error(name, message)

    def end_not_before(self, start: str, end: str, strictly_after: bool = False) -> None:
        if not (self.ok(start) and self.ok(end)):
            return
        start_value, end_value = str(self.get(start)), str(self.get(end))
        if end_value < start_value or (strictly_after and end_value == start_value):
            self.add_error(end, _("Must be later than the start date")
                           if strictly_after else _("Must not be earlier than the start date"))


EVIDENCE_FIELDS = ("evidence_provider", "evidence_time", "evidence_hash")


def _common_rules(record: _Record) -> None:
    if record.is_yes("in_authorized_operation"):
        record.require(EVIDENCE_FIELDS,
                       _("Required when authorised operation is involved (evidence, 存证)"))
    if record.is_yes("has_personal_info") and not record.as_list("pi_treatment"):
        record.require(["pi_treatment"],
                       _("Required when the data contains personal information"))
    if record.get("share_type") == "conditional":
        record.require(["share_condition"], _("Required for conditional sharing"))


@registry.validator
def tjregistry_data_resource_rules(
    key: FlatKey, data: FlatData, errors: FlatErrors, context: Any
) -> None:
    """Conditional rules of a public data resource registration."""
    record = _Record(data, errors)
    _common_rules(record)
    open_type = record.get("open_type")
    access_method = record.get("access_method")
    is_open = open_type in ("unconditional", "conditional")
    if record.get("regist_object_type") is None and not errors.get(("regist_object_type",)):
        # The category follows from the opening attribute when it is not stated.
        _fill(data, "regist_object_type",
              "open_data_resource" if is_open else "public_data_resource")
    if is_open or access_method == "open":
        record.require(["open_platform_url"],
                       _("Required for an open resource: the address on the open-data platform"))
    if open_type == "conditional":
        record.require(["open_condition"], _("Required for conditional opening"))
    if access_method == "open" and open_type == "not_open":
        record.add_error("access_method", _("A resource that is not open cannot be obtained "
                                            "from the open-data platform"))
    if record.get("regist_object_type") == "open_data_resource" and open_type == "not_open":
        record.add_error("open_type", _("An open data resource must be open"))
    if access_method == "authorized_operation":
        if record.ok("in_authorized_operation") and not record.is_yes("in_authorized_operation"):
            record.add_error("in_authorized_operation",
                             _("Must be yes when the data is obtained through authorised "
                               "operation"))
        record.require(["in_authorized_operation"],
                       _("Must be yes when the data is obtained through authorised operation"))
        record.require(["operator_name"],
                       _("Required when the data is obtained through authorised operation"))
    record.end_not_before("temporal_start", "temporal_end")


@registry.validator
def tjregistry_data_product_rules(
    key: FlatKey, data: FlatData, errors: FlatErrors, context: Any
) -> None:
    """Conditional rules of a data product or service registration."""
    record = _Record(data, errors)
    _common_rules(record)
    if record.get("regist_object_type") is None and not errors.get(("regist_object_type",)):
        _fill(data, "regist_object_type", "data_product")
    if record.is_yes("in_authorized_operation"):
        record.require(("authorization_start", "authorization_end", "implementing_body"),
                       _("Required for a product of authorised operation"))
    record.end_not_before("authorization_start", "authorization_end", strictly_after=True)
    if record.ok("authorization_start") and record.ok("first_delivery_date") and str(
        record.get("first_delivery_date")
    ) < str(record.get("authorization_start")):
        record.add_error("first_delivery_date",
                         _("Must not be earlier than the start of the authorisation period"))
    if record.get("operator_name") is None and not errors.get(("operator_name",)):
        owner = record.get("owner_org")
        organization = model.Group.get(owner) if owner else None
        if organization is not None:
            _fill(data, "operator_name", organization.title)


def _fill(data: FlatData, name: str, value: Any) -> None:
    """Set a value a rule derives, in the extras as scheming stores fields."""
    data[(name,)] = value
    indexes = [k[1] for k in data if len(k) > 1 and k[0] == "extras"]
    for index in set(indexes):
        if data.get(("extras", index, "key")) == name:
            data[("extras", index, "value")] = value
            return
    new_index = max(indexes) + 1 if indexes else 0
    data[("extras", new_index, "key")] = name
    data[("extras", new_index, "value")] = value


@registry.validator
def tjregistry_organization_rules(
    key: FlatKey, data: FlatData, errors: FlatErrors, context: Any
) -> None:
    """What each kind of organisation must state, and level/district consistency."""
    record = _Record(data, errors)
    kind = record.get("org_kind")
    if kind in ("institution", "authority"):
        record.require(("admin_level", "district_code"),
                       _("Required for a registration institution or data authority"))
    level = record.get("admin_level")
    district = record.get("district_code")
    if record.ok("admin_level") and record.ok("district_code"):
        if level == "city" and district != vocabularies.CITY_CODE:
            record.add_error("district_code", _("A municipal body has the city-wide code 120000"))
        if level == "district" and district == vocabularies.CITY_CODE:
            record.add_error("district_code", _("A district body must name its district"))


