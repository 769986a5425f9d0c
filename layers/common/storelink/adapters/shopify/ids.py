"""Shopify global ids. Numeric ids exceed 2**53, so they stay int or str, never float."""

import re


def gid(resource: str, legacy_id: int | str) -> str:
    return f"gid://shopify/{resource}/{legacy_id}"


def legacy_id(global_id: str) -> int:
    return int(global_id.rsplit("/", 1)[-1].split("?", 1)[0])


def is_gid(value: str, resource: str) -> bool:
    """Whether `value` is a global id of this resource; Shopify refuses a whole document naming any other."""
    return re.fullmatch(rf"gid://shopify/{resource}/\d+", value) is not None
