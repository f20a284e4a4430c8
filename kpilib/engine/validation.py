"""pydantic's validation errors in the kit's words and the user's language.

pydantic writes its messages in English ("Input should be greater than 0",
"Value error, …"). :func:`message` says each kind a plan file meets again as the
kit's own message, with the value read and a fix; the messages of the kit's own
validators (a ``ValueError`` raised in a model) are already translated and are
passed on without pydantic's "Value error, " prefix.
"""

from __future__ import annotations

import re

from kpilib.i18n import N_, _

DOCS = "docs/plan-format.md"

# pydantic error type -> what the value should be
_SHOULD_BE = {
    "float_parsing": N_("应是数字"),
    "float_type": N_("应是数字"),
    "decimal_parsing": N_("应是数字"),
    "decimal_type": N_("应是数字"),
    "finite_number": N_("应是有限的数字"),
    "int_parsing": N_("应是整数"),
    "int_type": N_("应是整数"),
    "int_from_float": N_("应是整数（不带小数）"),
    "bool_parsing": N_("应是 true 或 false"),
    "bool_type": N_("应是 true 或 false"),
    "string_type": N_("应是文字"),
    "dict_type": N_("应是一组“键: 值”"),
    "model_type": N_("应是一组“键: 值”"),
    "model_attributes_type": N_("应是一组“键: 值”"),
    "list_type": N_("应是列表（每项一行，以 - 开头）"),
    "date_type": N_("应是日期，写成 YYYY-MM-DD"),
    "date_parsing": N_("应是日期，写成 YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("应是日期，写成 YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("应是日期（不带时间），写成 YYYY-MM-DD"),
    "frozen_instance": N_("不能修改"),
}


def message(err: dict) -> tuple[str, str]:
    """``(message, fix)`` for one entry of ``ValidationError.errors()``.

    Examples
    --------
    >>> message({"type": "extra_forbidden", "loc": ("rule", "cpa"), "input": 1.2})
    ("不认识的键 'cpa'（读到 1.2）", '删掉它，或对照 docs/plan-format.md 检查拼写')
    >>> message({"type": "greater_than", "loc": ("scale",), "input": 0, "ctx": {"gt": 0}})
    ('应大于 0（读到 0）', '见 docs/plan-format.md')
    >>> message({"type": "value_error", "loc": (), "ctx": {"error": ValueError("封顶低于保底")}})
    ('封顶低于保底', '见 docs/plan-format.md')
    """
    kind, ctx, loc = err["type"], err.get("ctx") or {}, err.get("loc") or ("",)
    fix = _("见 {docs}").format(docs=DOCS)
    if kind == "extra_forbidden":
        text = _("不认识的键 {key!r}").format(key=loc[-1])
        fix = _("删掉它，或对照 {docs} 检查拼写").format(docs=DOCS)
    elif kind == "missing":
        text = _("缺少必填的键 {key!r}").format(key=loc[-1])
        fix = _("补上它，见 {docs}").format(docs=DOCS)
    elif kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", err.get("msg", ""))).removeprefix("Value error, ")
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {
            "greater_than": (_("应大于 {limit}"), "gt"),
            "greater_than_equal": (_("应大于或等于 {limit}"), "ge"),
            "less_than": (_("应小于 {limit}"), "lt"),
            "less_than_equal": (_("应小于或等于 {limit}"), "le"),
        }
        template, key = bound[kind]
        limit = ctx.get(key)
        text = template.format(limit=f"{limit:g}" if isinstance(limit, float) else limit)
    elif kind == "too_short":
        text = _("至少要有 {count} 项").format(count=ctx.get("min_length"))
    elif kind == "too_long":
        text = _("最多 {count} 项").format(count=ctx.get("max_length"))
    elif kind == "literal_error":
        expected = re.split(r",? or |, ", str(ctx.get("expected", "")))
        text = _("应是 {expected} 之一").format(expected=_("、").join(expected))
    elif kind == "decimal_max_places":
        text = _("最多 {places} 位小数").format(places=ctx.get("decimal_places"))
    elif kind in _SHOULD_BE:
        text = _(_SHOULD_BE[kind])
    else:  # a kind no plan has met yet: pydantic's own words, marked as such
        text = _("取值不对（{detail}）").format(detail=err.get("msg", kind))
    got = err.get("input")
    # a validator's own message already names the value it refuses
    said = kind in ("missing", "value_error", "assertion_error")
    if not said and not isinstance(got, dict | list) and "input" in err:
        text += _("（读到 {got!r}）").format(got=got)
    return text, fix


__all__ = ["message"]
