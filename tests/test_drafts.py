"""A saved what-if is a draft; publishing it is a deliberate step that keeps the old plan."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime

import pytest

import kpilib
from kpilib.cli import main
from kpilib.drafts import publish
from kpilib.engine.plan import load_plan
from kpilib.errors import KpiError
from kpilib.interactive.whatif import draft_path, save_plan, with_rule
from kpilib.report.batch import make_reports
from tests.conftest import ROOT

MONTH = "2024-11"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params/channel_ops.yaml", tmp_path / "params")
    shutil.copytree(ROOT / "data/channel_ops", tmp_path / "data/channel_ops")
    return tmp_path


def test_a_saved_what_if_goes_to_drafts_and_is_not_a_plan_of_the_batch(project, monkeypatch):
    plan = load_plan(project / "params/channel_ops.yaml")
    path, _ = save_plan(with_rule(plan, "GMV指标", cap="100%"), {"GMV指标": "50%"})
    assert path == project / "params/drafts/channel_ops_whatif.yaml"
    assert path.with_name("channel_ops_whatif.targets.csv").exists()
    assert sorted(p.name for p in (project / "params").glob("*.yaml")) == ["channel_ops.yaml"]
    # kpi report --all reads params/*.yaml only: the draft is not a department
    import kpilib.report.batch as batch

    seen = []
    monkeypatch.setattr(
        batch, "_run", lambda work, jobs, tools=None: seen.extend(w.department for w in work) or []
    )
    monkeypatch.setattr("kpilib.report.index.write_index", lambda *a, **k: None)
    make_reports(MONTH, params=project / "params", out=project / "reports", progress=False)
    assert seen == ["channel_ops"]


def test_a_what_if_is_never_saved_beside_the_published_plans(project):
    plan = load_plan(project / "params/channel_ops.yaml")
    with pytest.raises(KpiError) as caught:
        save_plan(with_rule(plan, "GMV指标", cap=1), path=project / "params/试一试.yaml")
    assert (
        "params/drafts" in caught.value.problems[0].fix or "drafts" in caught.value.problems[0].fix
    )
    assert draft_path(plan, "试一试") == project / "params/drafts/试一试.yaml"


def test_publishing_keeps_the_old_plan_byte_for_byte_and_scores_as_the_draft(project):
    original = project / "params/channel_ops.yaml"
    old_bytes = original.read_bytes()
    plan = load_plan(original)
    draft, _ = save_plan(with_rule(plan, "GMV指标", cap="100%"), {"GMV指标": "50%"})
    published, kept = publish(draft, now=datetime(2024, 12, 2, 9, 30, 5))
    assert published == original
    assert kept == project / "plan_history/channel_ops.20241202-093005.yaml"
    assert kept.read_bytes() == old_bytes
    # the kept file's digest is the plan_digest the store recorded for earlier months
    assert load_plan(kept).digest == hashlib.sha256(old_bytes).hexdigest() == plan.digest
    new = load_plan(published)
    assert new.department == "channel_ops"
    assert new.indicators["GMV指标"].rule.cap == 1.0  # "GMV... 封顶" now 100%
    # the reweighted targets were copied out of drafts/, beside the targets in force
    assert new.source("targets").parent == project / "data/channel_ops"
    assert "drafts" not in str(new.source("targets"))
    # 危鹤坚: GMV 92.63% × 50 = 46.32, 有产 114.71% × 50 = 57.35 → 103.67 (tests/test_whatif.py)
    people = kpilib.score_month(published, MONTH).people.set_index("person")
    assert people.loc["危鹤坚", "total"] == 103.67
    # the kept plan still scores as before: GMV 2,223,200 / 2,400,000 = 92.63% × 70 = 64.84,
    # 有产 78 / 68 = 114.71% × 30 = 34.41 → 99.25
    before = kpilib.score_month(kept, MONTH).people.set_index("person")
    assert before.loc["危鹤坚", "total"] == 99.25
    text = published.read_text(encoding="utf-8")
    assert text.startswith("# 由草稿 drafts/channel_ops_whatif.yaml 于 20241202-093005 发布")
    assert "plan_history/channel_ops.20241202-093005.yaml" in text


def test_kpi_plan_publish(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    plan = load_plan(project / "params/channel_ops.yaml")
    draft, _ = save_plan(with_rule(plan, "GMV指标", cap="100%"), path=draft_path(plan, "新方案"))
    # 新方案 has no _whatif suffix: which plan it replaces must be said
    assert main(["plan", "publish", str(draft)]) == 2
    assert "--as" in capsys.readouterr().err
    assert main(["plan", "publish", str(draft), "--as", "channel_ops"]) == 0
    out = capsys.readouterr().out
    assert "已发布" in out and "plan_history/channel_ops." in out
    assert load_plan(project / "params/channel_ops.yaml").indicators["GMV指标"].rule.cap == 1.0
    assert len(list((project / "plan_history").glob("channel_ops.*.yaml"))) == 1


def test_a_kept_old_plan_scores_but_is_never_stored_as_current(project):
    from kpilib import store

    plan = load_plan(project / "params/channel_ops.yaml")
    draft, _ = save_plan(with_rule(plan, "GMV指标", cap="100%"))
    _, kept = publish(draft, now=datetime(2024, 12, 2, 9, 30, 5))
    result = kpilib.score_month(kept, MONTH)  # for comparison: 危鹤坚 99.25 as before
    assert result.people.set_index("person").loc["危鹤坚", "total"] == 99.25
    with pytest.raises(kpilib.KpiError, match="已被替换的旧方案"):
        store.save(result, files=[])
