"""Normalising the keys a customer is recognised by, so every spelling matches one row.

phone        "138 1234-1234", "+86 13812341234", "0086-138…", "86138…" -> "+8613812341234"
email        "Wang.Fang@Example.CN" (or "Wang Fang <…>") -> "wang.fang@example.cn"
wecom_id     WeCom user ids are case-insensitive -> lower-cased
external_id  the integrator's own id: only surrounding blanks are removed
"""

import re
from email.utils import parseaddr

KEYS = ("external_id", "phone", "email", "wecom_id")  # the matching order
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw) -> str:
    """E.164-ish: "+<country><number>". Chinese mobiles get +86 however they were written;
    a domestic number with a trunk 0 (010-…) is taken as Chinese; other numbers written
    without a country code are kept as their digits."""
    text = str(raw or "").strip()
    plus = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if len(digits) < 5:
        return ""
    if plus:
        return f"+{digits}"
    if digits.startswith("00"):
        return f"+{digits[2:]}"
    if _CN_MOBILE.match(digits):
        return f"+86{digits}"
    if digits.startswith("86") and _CN_MOBILE.match(digits[2:]):
        return f"+{digits}"
    if digits.startswith("0"):
        return f"+86{digits[1:]}"
    return digits


def normalize_email(raw) -> str:
    address = parseaddr(str(raw or ""))[1].strip().lower()
    return address if "@" in address else ""


def normalize_wecom_id(raw) -> str:
    return str(raw or "").strip().lower()


def normalize_external_id(raw) -> str:
    return str(raw or "").strip()


NORMALIZERS = {
    "external_id": normalize_external_id,
    "phone": normalize_phone,
    "email": normalize_email,
    "wecom_id": normalize_wecom_id,
}


def normalize_identity(identity: dict) -> dict[str, str]:
    """The non-empty normalised keys of an identity, in matching order."""
    keys = {key: NORMALIZERS[key](identity.get(key)) for key in KEYS}
    return {key: value for key, value in keys.items() if value}
