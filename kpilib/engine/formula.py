"""A small, safe formula language for derived metrics and gate conditions.

Formulas are arithmetic on named measures, parsed with :mod:`ast` and walked
over a whitelist of node types; nothing is ever passed to ``eval``. Names that
are not plain words (spaces, ``&``, a leading digit) go in square brackets::

    买家数 / UV
    个人网银 + 10 * 公司网银
    ([本期会员数] - [上期会员数]) / [上期会员数]
    section("联检考评") <= 18 or 收缴率 < 0.75

Comparisons give 1.0 or 0.0, so ``差错次数 == 0`` is a 0/1 flag; ``96%`` means 0.96. Functions:
``min``, ``max``, ``abs``, ``floor`` (whole units: ``floor(回收利息 / 50000)``), and,
in gate conditions, ``points("item")``,
``completion("item")``, ``actual("item")`` and ``section("name")``.

Functions over the department (every person the formula is evaluated for, at once):
``rank(x)`` (1 = highest, ties share the best place), ``rank_asc(x)`` (1 = lowest),
``percentile(x)`` (the share of people at or below the person's value: 4 people's
10, 20, 30, 40 give 25%, 50%, 75%, 100%), ``mean(x)`` and ``median(x)`` (the group's,
the same for everyone; people without a value are left out).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpilib import compare
from kpilib.i18n import _

_BRACKETED = re.compile(r"\[([^\[\]]+)\]")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*[%％]")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: None}
# comparisons settle float noise first (kpilib.compare): 1 − 7/10 <= 30% holds
_COMPARE = {
    ast.Lt: compare.less,
    ast.LtE: compare.at_most,
    ast.Gt: compare.greater,
    ast.GtE: compare.at_least,
    ast.Eq: compare.equal,
    ast.NotEq: compare.not_equal,
}
ELEMENTWISE = {"min": np.fmin, "max": np.fmax}
UNARY = {"abs": np.abs, "floor": np.floor}
LOOKUPS = ("points", "completion", "actual", "section")
# Bounds that keep a hostile or mistyped formula from exhausting the stack or memory
# (Python's parser and the evaluator both recurse): the seeds' longest formula has
# a handful of terms, so these leave ample room.
MAX_LENGTH = 1000  # characters
MAX_NODES = 500  # syntax-tree nodes
MAX_DEPTH = 100  # nesting levels (a chain of n terms nests n deep)


def _over(values, fn, members=None):
    """A department function over a Series of people (a scalar is one person).

    ``members`` (booleans, one per person) are the people the statistic is taken over;
    the others (excluded from the month) are placed against them without taking a
    place: ``rank`` = 1 + members above, ``percentile`` = share of members at or below.
    """
    if not isinstance(values, pd.Series):
        return 1.0 if fn in ("rank", "rank_asc", "percentile") else values
    pool = values if members is None else values[np.asarray(members, bool)]
    if fn in ("mean", "median"):
        return pd.Series(getattr(pool, fn)(), index=values.index)
    ordered = np.sort(pool.dropna().to_numpy(float))
    mine = values.to_numpy(float)
    if fn == "percentile":
        with np.errstate(invalid="ignore", divide="ignore"):
            place = np.searchsorted(ordered, mine, "right") / len(ordered)
    elif fn == "rank":  # ties share the best place: 1 + those strictly above
        place = len(ordered) - np.searchsorted(ordered, mine, "right") + 1.0
    else:
        place = np.searchsorted(ordered, mine, "left") + 1.0
    return pd.Series(np.where(np.isnan(mine), np.nan, place), index=values.index)


GROUP = ("rank", "rank_asc", "percentile", "mean", "median")


class FormulaError(ValueError):
    """A formula that cannot be parsed, names something unknown, or divides by zero."""


@dataclass(frozen=True)
class Formula:
    """A parsed formula.

    Attributes
    ----------
    text : str
        The formula as written in the plan.
    names : frozenset of str
        The bare measure names it reads.
    lookups : frozenset of tuple
        The ``(function, argument)`` pairs it reads, e.g. ``("section", "联检考评")``.
    """

    text: str
    tree: ast.Expression
    aliases: Mapping[str, str]
    names: frozenset
    lookups: frozenset

    @property
    def own_names(self) -> frozenset:
        """The names read for the person themself, not only inside ``mean()``, ``rank()``..."""
        inside = {
            id(m)
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Call) and n.func.id in GROUP
            for m in ast.walk(n)
        }
        return (
            frozenset(
                self.aliases.get(n.id, n.id)
                for n in ast.walk(self.tree)
                if isinstance(n, ast.Name) and id(n) not in inside
            )
            & self.names
        )

    @property
    def group(self) -> frozenset:
        """The department functions it calls (``rank``, ``mean``...): it needs everyone's values."""
        return frozenset(
            n.func.id for n in ast.walk(self.tree) if isinstance(n, ast.Call) and n.func.id in GROUP
        )

    @classmethod
    def parse(cls, text: str) -> Formula:
        aliases: dict[str, str] = {}

        def alias(match: re.Match) -> str:
            key = f"__n{len(aliases)}"
            aliases[key] = match.group(1).strip()
            return key

        # names in [brackets] are set aside first, so a % inside a name stays a name
        if len(str(text)) > MAX_LENGTH:
            raise FormulaError(
                _(
                    "公式过长（{length} 个字符，上限 {limit}）；"
                    "请拆成几个中间指标（measures）分步计算"
                ).format(length=len(str(text)), limit=MAX_LENGTH)
            )
        source = _PERCENT.sub(r"(\1/100)", _BRACKETED.sub(alias, str(text)))
        try:
            tree = ast.parse(source, mode="eval")
        except (RecursionError, MemoryError):
            raise FormulaError(
                _(
                    "公式 {formula} 嵌套过深，无法解析；请拆成几个中间指标（measures）分步计算"
                ).format(formula=_short(text))
            ) from None
        except SyntaxError as exc:
            raise FormulaError(
                _(
                    "无法解析公式 {formula!r}（{error}）；"
                    "不是单纯词语的名称（含空格、符号或以数字开头）要写在方括号里，例如 [7日留存率]"
                ).format(formula=text, error=exc.msg)
            ) from None
        _check_size(tree, text)
        names, lookups = set(), set()
        quoted = {
            id(n.args[0])
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) in LOOKUPS and n.args
        }
        for node in ast.walk(tree):
            _check_node(node, text)
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (id(node) not in quoted)
            ):
                raise FormulaError(
                    _("公式 {formula!r}：{value!r} 不是数字").format(formula=text, value=node.value)
                )
            if isinstance(node, ast.Name):
                names.add(aliases.get(node.id, node.id))
            if isinstance(node, ast.Call) and node.func.id in LOOKUPS:
                lookups.add((node.func.id, node.args[0].value))
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                _check_divisor(node.right, text)
        names -= {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
        return cls(text, tree, aliases, frozenset(names), frozenset(lookups))

    def evaluate(
        self,
        name: Callable[[str], object],
        lookup: Callable[[str, str], object] | None = None,
        members: object = None,
    ) -> object:
        """Evaluate over Series (or scalars) returned by ``name(measure)``.

        ``lookup(function, argument)`` resolves ``points("x")`` and friends.
        ``members`` (booleans, one per row) limits the department functions to those
        rows (people excluded from the month are not in them); default everyone.
        Division by zero raises :class:`FormulaError` carrying the offending
        positions in ``exc.where`` (a boolean mask).
        """
        return self._eval(self.tree.body, name, lookup, members)

    def _eval(self, node, name, lookup, members=None):
        ev = lambda n: self._eval(n, name, lookup, members)  # noqa: E731
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return name(self.aliases.get(node.id, node.id))
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div):
                zero = np.asarray(right == 0)
                if zero.any():
                    exc = FormulaError(_("公式 {formula!r} 除以 0").format(formula=self.text))
                    exc.where = zero
                    raise exc
                return left / right
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Compare):
            result, left = True, ev(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ev(right_node)
                result = result & _COMPARE[type(op)](left, right)
                left = right
            return _as_float(result)
        if isinstance(node, ast.BoolOp):
            values = [ev(v) != 0 for v in node.values]
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            out = values[0]
            for v in values[1:]:
                out = combine(out, v)
            return _as_float(out)
        if isinstance(node, ast.Call):
            fn = node.func.id
            if fn in LOOKUPS:
                return lookup(fn, node.args[0].value)
            args = [ev(a) for a in node.args]
            if fn in UNARY:
                return UNARY[fn](args[0])
            if fn in GROUP:
                return _over(args[0], fn, members)
            out = args[0]
            for a in args[1:]:
                out = ELEMENTWISE[fn](out, a)
            return out
        raise FormulaError(  # pragma: no cover
            _("公式 {formula!r} 里有不支持的写法").format(formula=self.text)
        )


def _short(text) -> str:
    text = str(text)
    return repr(text if len(text) <= 60 else f"{text[:57]}...")


def _check_size(tree: ast.Expression, text) -> None:
    """Refuse a formula with too many nodes or too deep a nesting (before any recursion)."""
    count, depth, level = 0, 0, [(tree.body, 1)]
    while level:  # iterative walk: a recursive one would fail on the very input it guards
        node, d = level.pop()
        count, depth = count + 1, max(depth, d)
        level.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    if count > MAX_NODES or depth > MAX_DEPTH:
        raise FormulaError(
            _(
                "公式 {formula} 过大（{count} 个节点、嵌套 {depth} 层；上限 {max_nodes} 个、"
                "{max_depth} 层）；请拆成几个中间指标（measures）分步计算"
            ).format(
                formula=_short(text),
                count=count,
                depth=depth,
                max_nodes=MAX_NODES,
                max_depth=MAX_DEPTH,
            )
        )


def _check_divisor(node: ast.AST, text) -> None:
    """A divisor made of numbers only that equals zero is a plan error, found at load."""
    if any(isinstance(n, ast.Name | ast.Call) for n in ast.walk(node)):
        return  # depends on data: checked per person when evaluated
    for n in ast.walk(node):
        _check_node(n, text)
    try:
        value = Formula(str(text), ast.Expression(node), {}, frozenset(), frozenset())._eval(
            node, None, None
        )
    except FormulaError:
        return  # a nested literal division by zero is reported on its own node
    if value == 0:
        raise FormulaError(
            _("公式 {formula} 除以常数 0（{divisor}）；请改正除数").format(
                formula=_short(text), divisor=ast.unparse(node)
            )
        )


def _as_float(value):
    if isinstance(value, pd.Series):
        return value.astype(float)
    return float(value)


_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Call,
    ast.USub,
    ast.UAdd,
    *_BINARY,
    *_COMPARE,
)


def _check_node(node: ast.AST, text: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise FormulaError(
            _(
                "公式 {formula!r} 用了不允许的写法 {node}；公式只能用 + - * /、比较、and/or、"
                "数字、量的名称和函数 {functions}"
            ).format(formula=text, node=type(node).__name__, functions=_functions())
        )
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
        raise FormulaError(
            _("公式 {formula!r}：常量 {value!r} 不是数字").format(formula=text, value=node.value)
        )
    if isinstance(node, ast.Call):
        fn = getattr(node.func, "id", None)
        if fn not in (*ELEMENTWISE, *UNARY, *GROUP, *LOOKUPS) or node.keywords:
            raise FormulaError(
                _("公式 {formula!r} 调用了 {function}()；可用的函数只有 {functions}").format(
                    formula=text, function=ast.unparse(node.func), functions=_functions()
                )
            )
        if fn in LOOKUPS and not (
            len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            raise FormulaError(
                _('公式 {formula!r}：写成 {function}("名称")，括号里是一个带引号的名称').format(
                    formula=text, function=fn
                )
            )
        one_arg = fn in (*UNARY, *GROUP)
        if (one_arg and len(node.args) != 1) or (fn in ELEMENTWISE and len(node.args) < 2):
            raise FormulaError(
                _("公式 {formula!r}：{function}() 的参数个数不对").format(formula=text, function=fn)
            )


def _functions() -> str:
    return ", ".join([*ELEMENTWISE, *UNARY, *GROUP, *LOOKUPS])
