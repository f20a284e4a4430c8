"""kpi report end to end: one batch with good and broken departments, checked as a person would.

One module-scoped run (two spawn workers) makes the channel operations centre's
2024-11 report next to five departments that must fail cleanly; a second run
checks that nothing is overwritten. Seed 000 lines quoted where numbers come from.
"""

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from kpilib.cli import main
from kpilib.report.batch import make_reports
from kpilib.report.pdf import CHROMIUM_ARGS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
MONTH = "2024-11"
# seed 000: the 19 people of 渠道运营中心
PEOPLE = [
    "胡百川",
    "危鹤坚",
    "何嘉健",
    "曾志伟",
    "罗康辉",
    "张诚磊",
    "潘君捷",
    "钱玉欧",
    "徐海龙",
    "邓文",
    "高艳艳",
    "林燕",
    "王智英",
    "丘珊珊",
    "郑伟林",
    "李佳苓",
    "李一卉",
    "谢徐亮",
    "陈春春",
]


def _plan(text: str, **replace) -> str:
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A project copy: the real channel_ops plan, data and notebook, plus broken departments."""
    root = tmp_path_factory.mktemp("project")
    (root / "params").mkdir()
    (root / "data").symlink_to(ROOT / "data")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    plan = (ROOT / "params" / "channel_ops.yaml").read_text(encoding="utf-8")
    (root / "params" / "channel_ops.yaml").write_text(plan, encoding="utf-8")
    # a month with no actuals file
    (root / "params" / "no_actuals.yaml").write_text(
        _plan(
            plan,
            **{
                "department: channel_ops": "department: no_actuals",
                "actuals/{month}.csv": "missing/{month}.csv",
            },
        ),
        encoding="utf-8",
    )
    # an actuals file that fails validation: text in a number column
    bad = root / "bad"
    bad.mkdir()
    actuals = (ROOT / "data/channel_ops/actuals/2024-11.csv").read_text(encoding="utf-8-sig")
    (bad / "2024-11.csv").write_text(
        actuals.replace("潘君捷,GMV指标,645000", "潘君捷,GMV指标,六十万"), encoding="utf-8"
    )
    (root / "params" / "bad_actuals.yaml").write_text(
        _plan(
            plan,
            **{
                "department: channel_ops": "department: bad_actuals",
                "../data/channel_ops/actuals/{month}.csv": "../bad/{month}.csv",
            },
        ),
        encoding="utf-8",
    )
    # a notebook missing its parameters cell
    nb = nbformat.read(ROOT / "notebooks/department.ipynb", as_version=4)
    nb.cells[0].metadata["tags"] = []
    nbformat.write(nb, root / "notebooks" / "untagged.ipynb")
    (root / "params" / "untagged.yaml").write_text(
        _plan(
            plan,
            **{
                "department: channel_ops": "department: untagged\nnotebook: "
                "../notebooks/untagged.ipynb"
            },
        ),
        encoding="utf-8",
    )
    # a notebook whose second cell fails
    nb = nbformat.read(ROOT / "notebooks/department.ipynb", as_version=4)
    nb.cells = [nb.cells[0], nbformat.v4.new_code_cell("raise ValueError('boom: 数据不全')")]
    nbformat.write(nb, root / "notebooks" / "failing.ipynb")
    (root / "params" / "failing.yaml").write_text(
        _plan(
            plan,
            **{
                "department: channel_ops": "department: failing\nnotebook: "
                "../notebooks/failing.ipynb"
            },
        ),
        encoding="utf-8",
    )
    out = root / "reports"
    departments = ["channel_ops", "no_actuals", "bad_actuals", "untagged", "failing", "nosuch"]
    with pytest.MonkeyPatch.context() as env:  # never the project's own store
        env.setenv("KPI_STORE", str(root / "results.duckdb"))
        outcomes = make_reports(
            MONTH, departments, params=root / "params", out=out, jobs=2, progress=False
        )
    return {"root": root, "out": out, "outcomes": {o.department: o for o in outcomes}}


@pytest.fixture(scope="module")
def files(batch):
    folder = batch["out"] / MONTH / "channel_ops" / "v1"
    return {
        "folder": folder,
        "html": folder / "channel_ops.html",
        "pdf": folder / "channel_ops.pdf",
        "ipynb": folder / "channel_ops.ipynb",
    }


def test_the_good_department_completes_while_the_others_fail(batch):
    status = {d: o.status for d, o in batch["outcomes"].items()}
    assert status == {
        "channel_ops": "ok",
        "no_actuals": "failed",
        "bad_actuals": "failed",
        "untagged": "failed",
        "failing": "failed",
        "nosuch": "failed",
    }


@pytest.mark.parametrize(
    ("department", "message"),
    [
        (
            "no_actuals",
            r"没有 2024-11 的实际值：.*missing/2024-11\.csv 不存在.*"
            r"还没有任何月份的实际值文件",
        ),
        (
            "bad_actuals",
            r"2024-11\.csv，第 \d+ 行，人员 潘君捷，列 实际值：'六十万' 不是数字",
        ),
        ("untagged", r"untagged\.ipynb：笔记本没有标记为 parameters 的单元格.*加上标签 parameters"),
        (
            "failing",
            r"第 2 个单元格（In \[\d\]: raise ValueError.*出错：ValueError: boom: 数据不全.*"
            r"出错的笔记本保留在 .*failing/v1/failing\.ipynb",
        ),
        (
            "nosuch",
            r"部门 'nosuch' 没有方案 .*nosuch\.yaml.*改用其中之一：bad_actuals, "
            r"channel_ops",
        ),
    ],
)
def test_each_failure_says_what_is_missing_and_what_to_do(batch, department, message):
    assert re.search(message, batch["outcomes"][department].error, re.S)


def test_the_failed_notebook_is_kept_with_its_error(batch):
    nb = nbformat.read(batch["out"] / MONTH / "failing/v1/failing.ipynb", as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors and errors[0].evalue == "boom: 数据不全"


def test_executed_notebook_is_kept_with_no_warnings_or_errors(files):
    nb = nbformat.read(files["ipynb"], as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert outputs
    noisy = [
        o
        for o in outputs
        if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
    ]
    assert not noisy, noisy  # e.g. "Glyph ... missing from font(s)" would land here


def test_html_is_self_contained_and_hides_code(files):
    html = files["html"].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", html)
    assert "MonthReport.load" not in html  # code cells are hidden
    assert "font-family" in html and "WenQuanYi Micro Hei" in html


def test_html_shows_the_seed_numbers(files):
    html = files["html"].read_text(encoding="utf-8")
    assert "渠道运营中心 · 2024-11 绩效考核报告" in html
    # seed 000: 潘君捷 GMV指标 70% target 1500000; 有产客户数 30% target 42.
    # Sample actuals 645,000 and 15: 645000/1500000 = 43.0% × 70 = 30.1;
    # 15/42 = 35.7% × 30 = 10.71; total 40.81, completion 40.8% (< 60%). The workings are
    # in the scorecards (test_one_scorecard_per_person_with_only_their_data), not here.
    assert "645,000 / 1,500,000" not in html and "个人成绩单" in html
    # the plan's own pay gate: "1、每次月度考核完成率低于60%者，免当月绩效奖金；"
    below = html.split("考核完成率 &lt; 60%的人员</h3>")[1].split("</table>")[0]
    assert "1、每次月度考核完成率低于60%者，免当月绩效奖金" in below
    assert "潘君捷" in below and "40.8%" in below and "40.81" in below
    assert "胡百川" not in below
    # the ranking table lists every person once, with total, completion and pay:
    # seed 000 商务岗 performance pay 2,000 × 40.81 / 100 = 816.20, waived below 60% → 0.00
    ranking = html.split("排名</h2>")[1].split("</table>")[0]
    assert [p for p in PEOPLE if ranking.count(f"<td>{p}</td>") != 1] == []
    row = ranking.split("<td>潘君捷</td>")[1].split("</tr>")[0]
    assert '<td class="num">40.81</td>' in row and '<td class="num">40.8%</td>' in row
    assert '<td class="num">0.00</td>' in row
    assert html.count('<figure class="chart">') == 3  # heatmap, distribution, trend
    # trend over the sample months up to the report's: 2024-01 .. 2024-11
    assert "2024-01 至 2024-11，共 11 个月" in html


def test_html_in_chromium_offline_has_no_console_errors_and_shows_everyone(files):
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context()
        # no network: any request that is not the local file fails and is recorded
        context.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"request {r.url}"))
        page.goto(files["html"].as_uri(), wait_until="load")
        text = page.inner_text("body")
        images = page.eval_on_selector_all("figure img", "els => els.map(e => e.naturalWidth)")
        browser.close()
    assert problems == []
    assert "渠道运营中心" in text
    assert [p for p in PEOPLE if p not in text] == []
    assert len(images) == 3 and min(images) > 500  # the charts decoded


def test_pdf_is_a4_embeds_a_cjk_font_and_its_first_page_is_not_blank(files, tmp_path):
    fonts = subprocess.run(
        ["pdffonts", files["pdf"]], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"WenQuanYi|NotoSansCJK|DroidSansFallback", fonts), fonts
    info = subprocess.run(
        ["pdfinfo", files["pdf"]], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Page size:.* pts \(A4\)", info), info
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", files["pdf"], tmp_path / "page"],
        check=True,
    )
    from PIL import Image

    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(page.histogram()[:200])
    assert dark > 0.005 * page.width * page.height  # text and cards, not a white page
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "2", files["pdf"], "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "渠道运营中心" in text and "考核人数" in text


def test_the_pdf_body_is_a_few_pages_and_page_1_is_the_answer(files):
    # 19 people: page 1 holds the cards and the whole ranking; per-person workings are in
    # the scorecards, so the report is a few pages (it was 14 with them)
    info = subprocess.run(
        ["pdfinfo", files["pdf"]], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages <= 6, info
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", files["pdf"], "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "排名" in first and "考核人数" in first
    assert [p for p in PEOPLE if p not in first] == []  # everyone is on page 1
    assert "各指标汇总" not in first  # the indicator table follows on the next page


def test_pdf_tables_are_not_cut_at_the_right_edge(files, tmp_path):
    # every page's text must fit the A4 width: pdftotext -bbox gives word boxes
    subprocess.run(["pdftotext", "-bbox", files["pdf"], tmp_path / "boxes.html"], check=True)
    boxes = (tmp_path / "boxes.html").read_text(encoding="utf-8")
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes))
    assert right < 595 - 20  # inside the page and its right margin


def test_one_scorecard_per_person_with_only_their_data(files):
    cards = sorted(p.stem for p in (files["folder"] / "scorecards").glob("*.html"))
    assert cards == sorted(PEOPLE)
    card = (files["folder"] / "scorecards" / "潘君捷.html").read_text(encoding="utf-8")
    assert "645,000 / 1,500,000 = 43.0% × 70 = 30.1" in card and "总分 40.81" in card
    assert "免当月绩效奖金" in card  # seed 000: 每次月度考核完成率低于60%者，免当月绩效奖金
    assert [p for p in PEOPLE if p != "潘君捷" and p in card] == []
    assert "<script" not in card and "http" not in card.split("</style>")[1]


def test_index_links_reports_with_plan_version_and_input_checksums(batch):
    index = (batch["out"] / MONTH / "index.html").read_text(encoding="utf-8")
    assert 'href="channel_ops/v1/channel_ops.html"' in index
    assert 'href="channel_ops/v1/channel_ops.pdf"' in index
    actuals = ROOT / "data/channel_ops/actuals/2024-11.csv"
    assert hashlib.sha256(actuals.read_bytes()).hexdigest()[:12] in index
    plan = batch["root"] / "params" / "channel_ops.yaml"
    assert hashlib.sha256(plan.read_bytes()).hexdigest()[:12] in index
    assert "失败" in index and "boom" in index


def test_rerun_keeps_the_earlier_report_and_the_index_marks_the_new_one_current(batch, files):
    before = files["html"].read_bytes()
    code = main(
        [
            "report",
            "--month",
            MONTH,
            "--dept",
            "channel_ops",
            "nosuch",
            "--format",
            "html",
            "--jobs",
            "1",
            "--params",
            str(batch["root"] / "params"),
            "--out",
            str(batch["out"]),
        ]
    )
    assert code == 1  # nosuch failed; channel_ops still made
    assert files["html"].read_bytes() == before  # v1 untouched
    v2 = batch["out"] / MONTH / "channel_ops" / "v2"
    assert (v2 / "channel_ops.html").exists() and not (v2 / "channel_ops.pdf").exists()
    runs = json.loads((batch["out"] / MONTH / "runs.json").read_text(encoding="utf-8"))
    assert [r["version"] for r in runs if r["department"] == "channel_ops"] == [1, 2]
    index = (batch["out"] / MONTH / "index.html").read_text(encoding="utf-8")
    assert "v2（当前）" in index and "v1（当前）" not in index


def test_the_report_applies_and_marks_recorded_adjustments():
    # seed 003: appeals are recorded and every change is kept; the report shows the
    # adjusted figure and marks it. 曾志伟's GMV指标 corrected to 2,160,000 of 2,400,000:
    # 90.0% × 70 = 63.0 (seed 000: "商务岗 曾志伟 Amy GMV指标 70% 2400000")
    import kpilib
    from kpilib import store as history
    from kpilib.report.sections import MonthReport

    plan = kpilib.load_plan(ROOT / "params/channel_ops.yaml")
    before = kpilib.score_month(plan, "2024-11")
    history.save(before)
    history.adjust(
        plan, "2024-11", "曾志伟", "GMV指标", actual=2160000, reason="漏计订单", by="HR", force=True
    )
    report = MonthReport.load("channel_ops", "2024-11", plan_path=plan.path)
    items = report.result.items.set_index(["person", "item"])
    assert items.loc[("曾志伟", "GMV指标"), "points"] == 63.0
    assert (
        items.loc[("曾志伟", "GMV指标"), "original_points"] == 37.53
    )  # 1,286,800 / 2,400,000 × 70
    people = report.result.people.set_index("person")
    customers = items.loc[("曾志伟", "有产客户数"), "points"]
    assert people.loc["曾志伟", "total"] == pytest.approx(63.0 + customers)
    assert "合格（已调整）" in str(report.ranking())
    assert "申诉调整（漏计订单，HR）" in str(report.explanations())


def test_a_voided_month_names_its_gate_in_the_ranking():
    # seed 002 #12: "(一)联检考核月度得分低于18分(含),则本月绩效考核成绩无效" — the mall's
    # sample month voids 吴佳 (see tests/test_seed_plans.py); the ranking says why
    from kpilib.report.sections import MonthReport

    report = MonthReport.load("mall_floor", "2024-11", plan_path=ROOT / "params/mall_floor.yaml")
    voided = report.result.people.set_index("person").loc["吴佳"]
    assert not voided["valid"]
    # 部门考评 14 + 8 + 8 + 10 = 40 ≤ 51 and 收缴率 72.4% < 75% (tests/test_seed_plans.py)
    assert "无效（部门考评≤51分；收缴率未达75%）" in str(report.ranking())


def test_all_leaves_out_a_period_only_plan_without_validating_it(tmp_path):
    # regional_sales.yaml says "monthly: false" (seed 002: "按每2个月的任务指标作为一个考核区间");
    # --all reads that key before the workers start, also from a plan saved as GBK
    from kpilib.report.batch import _monthly

    text = (ROOT / "params/regional_sales.yaml").read_text(encoding="utf-8")
    gbk = tmp_path / "regional_sales.yaml"
    gbk.write_bytes(text.encode("gb18030"))
    assert not _monthly(ROOT / "params/regional_sales.yaml") and not _monthly(gbk)
    assert _monthly(ROOT / "params/channel_ops.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("department: [", encoding="utf-8")
    assert _monthly(broken)  # kept: its own report says what is wrong


def test_the_headless_shell_prints_else_the_full_browser(monkeypatch):
    # KPILIB_CHROMIUM first; else Debian's chromium-headless-shell; a machine set up
    # before setup.sh installed the shell prints with /usr/bin/chromium
    from kpilib.report import pdf

    def installed(*paths):
        monkeypatch.setattr(pdf.Path, "exists", lambda self: str(self) in paths)

    monkeypatch.delenv("KPILIB_CHROMIUM", raising=False)
    installed("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
    assert pdf._chromium() == "/usr/bin/chromium-headless-shell"
    installed("/usr/bin/chromium")
    assert pdf._chromium() == "/usr/bin/chromium"
    installed()  # neither: the error names the shell
    assert pdf._chromium() == "/usr/bin/chromium-headless-shell"
    monkeypatch.setenv("KPILIB_CHROMIUM", "/opt/chrome/chrome")
    assert pdf._chromium() == "/opt/chrome/chrome"
