"""The address field type: a structured Chinese address (province, city, district, street)
checked against the bundled list of administrative divisions (static/forms/regions-cn.json,
GB/T 2260 plus Hong Kong, Macao and Taiwan; the browser reads the same file to narrow the
selects). No network is needed: the list ships with the code.

A value is ``{"province": "广东省", "city": "广州市", "district": "天河区", "street": "…"}``,
names as the list writes them (a municipality's city is the municipality itself).
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

DATASET = Path(__file__).resolve().parent / "static" / "forms" / "regions-cn.json"
STATIC_PATH = "forms/regions-cn.json"
PARTS = ("province", "city", "district", "street")
STREET_MAX = 200


class AddressInvalid(ValueError):
    """What is wrong with an address, in words for the person who typed it."""


@dataclass(frozen=True)
class Province:
    name: str
    en: str
    cities: dict[str, tuple[str, ...]]  # city -> its districts

    @property
    def label(self) -> str:
        """Its name for the reader: the Chinese name, with the English one in English pages."""
        return self.name if (get_language() or "").startswith("zh") else f"{self.en} {self.name}"


@cache
def provinces() -> dict[str, Province]:
    raw = json.loads(DATASET.read_text(encoding="utf-8"))
    return {
        p["name"]: Province(
            p["name"], p["en"], {c["name"]: tuple(c["districts"]) for c in p["cities"]}
        )
        for p in raw["provinces"]
    }


def clean_address(raw: Any) -> dict[str, str]:
    """A submitted address, checked part by part; raises AddressInvalid naming the part."""
    if not isinstance(raw, dict):
        raise AddressInvalid(_("Enter an address as province, city, district and street."))
    unknown = sorted(set(raw) - set(PARTS))
    if unknown:
        raise AddressInvalid(_("An address has no part called %(part)s.") % {"part": unknown[0]})
    if not all(isinstance(raw.get(part, ""), str) for part in PARTS):
        raise AddressInvalid(_("Each part of an address is text."))
    value = {part: raw.get(part, "").strip() for part in PARTS}
    province = provinces().get(value["province"])
    if not value["province"]:
        raise AddressInvalid(_("Choose a province."))
    if province is None:
        raise AddressInvalid(_("%(name)s is not a province.") % {"name": value["province"]})
    _check_city(province, value)
    if not value["street"]:
        raise AddressInvalid(_("Enter the street and number."))
    if len(value["street"]) > STREET_MAX:
        raise AddressInvalid(
            _("Enter at most %(count)d characters for the street.") % {"count": STREET_MAX}
        )
    return value


def _check_city(province: Province, value: dict[str, str]) -> None:
    city, district = value["city"], value["district"]
    if not city:
        raise AddressInvalid(_("Choose a city of %(province)s.") % {"province": province.name})
    if city not in province.cities:
        raise AddressInvalid(
            _("%(city)s is not a city of %(province)s.") % {"city": city, "province": province.name}
        )
    districts = province.cities[city]
    if districts and not district:
        raise AddressInvalid(_("Choose a district of %(city)s.") % {"city": city})
    if district and district not in districts:
        raise AddressInvalid(
            _("%(district)s is not a district of %(city)s.") % {"district": district, "city": city}
        )


def address_text(value: Any) -> str:
    """An address as one line (a municipality's name once: 北京市 东城区 …)."""
    if not isinstance(value, dict):
        return str(value)
    parts: list[str] = []
    for part in PARTS:
        text = str(value.get(part) or "").strip()
        if text and (not parts or parts[-1] != text):
            parts.append(text)
    return " ".join(parts)
