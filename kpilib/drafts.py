"""Publishing a draft plan: the deliberate step from a what-if to the plan in force.

A what-if saved from the notebook or the panel is a draft in ``params/drafts/``
(:func:`kpilib.interactive.whatif.save_plan`); ``kpi report --all`` reads only
``params/*.yaml``, so a draft is never published by accident. ``kpi plan publish
DRAFT`` (:func:`publish`) makes it the department's plan:

1. the draft must load as a valid plan;
2. the plan in force is kept, byte for byte, as ``plan_history/<dept>.<time>.yaml``
   beside ``params/``: its sha256 is the ``plan_digest`` the results store recorded
   for the months scored under it, and at the same depth as ``params/`` its relative
   paths (``../data/...``) still find its files, so it still loads and scores;
3. files the draft made for itself inside ``drafts/`` (its reweighted targets) are
   copied beside the targets file in force under a new, timestamped name;
4. the draft's content becomes ``params/<dept>.yaml``, department and paths set
   for its new place, with a header saying where it came from.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from kpilib.engine.plan import ARCHIVE
from kpilib.errors import KpiError, PlanError, Problem
from kpilib.i18n import _

SOURCES = ("targets", "actuals", "incidents", "ratings")
HISTORY = ARCHIVE  # beside params/, so a kept plan's relative paths still hold


def publish(
    draft: str | Path, department: str | None = None, now: datetime | None = None
) -> tuple[Path, Path | None]:
    """Make ``draft`` the plan of ``department``; keep the plan it replaces.

    Parameters
    ----------
    draft : path
        A draft plan, normally ``params/drafts/<department>_whatif.yaml``.
    department : str, optional
        The plan to replace, ``params/<department>.yaml``; default the draft's
        file name without its ``_whatif`` / ``_whatif2``... suffix.
    now : datetime, optional
        The time stamped on the kept plan (default now).

    Returns
    -------
    (Path, Path or None)
        The published plan and the kept earlier plan (``None`` if there was none).
    """
    import yaml

    from kpilib.engine.plan import load_plan
    from kpilib.files import write_atomically

    draft = Path(draft).resolve()
    if not draft.exists():
        raise PlanError(
            Problem(
                _("草稿 {path} 不存在").format(path=draft),
                _("检查路径；草稿在 params/drafts/ 下"),
                code="no_such_file",
            )
        )
    load_plan(draft)  # a draft that does not load is not published
    params = draft.parent.parent if draft.parent.name == "drafts" else draft.parent
    if department is None and not re.search(r"_whatif\d*$", draft.stem):
        raise KpiError(
            Problem(
                _("看不出草稿 {name} 要替换哪个部门的方案（文件名不以 _whatif 结尾）").format(
                    name=draft.name
                ),
                _("用 --as 部门 指定，例如 kpi plan publish 草稿.yaml --as channel_ops"),
                file=str(draft),
                code="unknown_department",
            )
        )
    department = department or re.sub(r"_whatif\d*$", "", draft.stem)
    target = params / f"{department}.yaml"
    if target == draft:
        raise KpiError(
            Problem(
                _("{path} 已经在 params/ 中，不是草稿").format(path=draft),
                _("草稿放在 params/drafts/；或用 --as 指定要替换的部门"),
                file=str(draft),
                code="not_a_draft",
            )
        )
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    data = yaml.safe_load(draft.read_text(encoding="utf-8"))
    data["department"] = department
    outputs, copies = {}, {}
    kept = None
    if target.exists():
        kept = params.parent / HISTORY / f"{department}.{stamp}.yaml"
        old = target.read_bytes()
        outputs[kept] = lambda p: p.write_bytes(old)
        in_force = load_plan(target)
    sources = data.get("sources", {})
    for key in SOURCES:
        if not sources.get(key):
            continue
        where = (draft.parent / sources[key]).resolve()
        if key == "targets" and where.parent == draft.parent and target.exists():
            # the draft's own reweighted targets: beside the targets in force, new name
            home = Path(in_force.source("targets", "MONTH")).parent
            copy = home / f"{where.stem.replace('.targets', '')}_targets.{stamp}{where.suffix}"
            copies[copy] = where
            where = copy
        sources[key] = Path(os.path.relpath(where, params)).as_posix()
    for copy, source in copies.items():
        outputs[copy] = lambda p, source=source: shutil.copyfile(source, p)
    header = [
        _("# 由草稿 {draft} 于 {stamp} 发布（kpi plan publish）。").format(
            draft=os.path.relpath(draft, params), stamp=stamp
        )
    ]
    if kept is not None:
        header.append(
            _("# 上一版原样保存在 {kept}。").format(kept=os.path.relpath(kept, params.parent))
        )
    header += _draft_comments(draft)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    taken = [str(p) for p in outputs if p.exists()]
    if taken:  # kept plans and copied targets are never replaced
        raise KpiError(
            Problem(
                _("{paths} 已存在").format(paths="、".join(taken)), _("过一秒再发布"), code="exists"
            )
        )
    outputs[target] = lambda p: p.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    write_atomically(outputs, force=True)  # only the plan in force is replaced
    load_plan(target)
    return target, kept


def _draft_comments(draft: Path) -> list[str]:
    """The draft's header comments (what the what-if changed)."""
    lines = []
    for line in draft.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


__all__ = ["publish"]
