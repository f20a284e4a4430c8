"""Printing HTML to A4 PDF with one headless Chromium, owned by a context manager.

``with Printer() as printer: printer.print(html, pdf, footer)`` starts Chromium once
(playwright driving Debian's ``/usr/bin/chromium-headless-shell``, on the printer's own
thread) with one page, and begins closing it when left; a batch keeps one printer per
worker for all its PDFs. Each PDF loads its HTML into the same page (0.37 s a PDF here,
against 0.78 s with a new browser context and page each time).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext


def _chromium() -> str:
    """The browser that prints: ``KPILIB_CHROMIUM``, else Chromium's headless shell
    (Debian's chromium-headless-shell), else the full browser (a machine set up before
    setup.sh installed the shell). The same Blink prints the same pages, but the full
    browser's headless mode also builds its window's UI (an omnibox popup in its own
    renderer): about 2 s more CPU per start here."""
    if os.environ.get("KPILIB_CHROMIUM"):
        return os.environ["KPILIB_CHROMIUM"]
    shell, full = "/usr/bin/chromium-headless-shell", "/usr/bin/chromium"
    return full if not Path(shell).exists() and Path(full).exists() else shell


CHROMIUM = _chromium()
# the niceness of work a report does beside its notebook (Chromium, scorecards, the HTML
# export's start): the kernel, whose notebook the report waits for, gets the CPU first, and
# the rest runs on what it leaves (on 2 cores Chromium's start and playwright's driver take
# about 1 s of CPU)
BACKGROUND_NICE = 19

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_background() -> None:
    """Run the calling thread, and what it starts, at :data:`BACKGROUND_NICE` (a thread
    pool's initializer). On Linux a thread's niceness is its own; where the system has no
    ``nice`` (Windows) nothing changes."""
    if hasattr(os, "nice"):
        os.nice(BACKGROUND_NICE)


class Printer:
    """A headless Chromium that prints local HTML files to PDF; a context manager.

    Chromium starts on the printer's own thread at :meth:`start` (or the first
    :meth:`print`), while the caller goes on with its work; every playwright call runs
    on that thread (playwright's objects belong to the thread that made them). A
    failed start is raised by the first :meth:`print`. Entering checks that playwright
    and Chromium are there; leaving begins closing the browser on the printer's thread,
    which Python waits for when it exits (``kpi``'s quick exit does not wait: the
    playwright driver closes Chromium when its pipe closes).
    """

    def __init__(self) -> None:
        self._thread = None
        self._started = None
        self._driver = None
        self.browser = None
        self.page = None

    def __enter__(self) -> Printer:
        import importlib.util
        from concurrent.futures import ThreadPoolExecutor

        if importlib.util.find_spec("playwright") is None:  # imported when Chromium starts
            raise KpiError(
                Problem(
                    _("生成 PDF 需要 playwright"),
                    _("运行 bash setup.sh，或 pip install playwright"),
                    code="no_playwright",
                )
            )
        if not Path(CHROMIUM).exists():
            raise KpiError(
                Problem(
                    _("{path} 没有 Chromium").format(path=CHROMIUM),
                    _(
                        "运行 bash setup.sh（或 apt-get install chromium-headless-shell），"
                        "或把 KPILIB_CHROMIUM 设为浏览器路径"
                    ),
                    code="no_chromium",
                )
            )
        # Chromium, started on this thread, inherits its niceness
        self._thread = ThreadPoolExecutor(1, "kpi-printer", initializer=in_background)
        return self

    def start(self) -> None:
        """Start Chromium on the printer's thread, without waiting (once)."""
        if self._started is None:
            self._started = self._thread.submit(self._launch)

    def close_soon(self) -> None:
        """Begin closing the browser, without waiting."""
        if self._started is not None:
            self._thread.submit(self._close)

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self.close_soon()
            # no waiting: the last PDF is written, and the next command starts its own
            self._thread.shutdown(wait=False)
            self._thread = None

    def call(self, function: Callable, *args: object) -> object:
        """``function(*args)`` on the printer's thread, once Chromium is up; its result."""
        self.start()
        self._started.result()
        return self._thread.submit(function, *args).result()

    def _launch(self) -> None:
        from playwright.sync_api import sync_playwright

        self._driver = sync_playwright().start()
        try:
            self.browser = self._driver.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        except Exception as exc:
            self._close()
            lines = str(exc).strip().splitlines()
            raise KpiError(
                Problem(
                    _("Chromium（{path}）无法启动：{error}").format(
                        path=CHROMIUM, error=lines[0] if lines else type(exc).__name__
                    ),
                    _(
                        "检查它能否运行（{path} --version）；运行 bash setup.sh，"
                        "或把 KPILIB_CHROMIUM 设为能运行的 Chromium"
                    ).format(path=CHROMIUM),
                    code="chromium_failed",
                )
            ) from None
        self.page = self.open_page().new_page()
        # a first, small PDF in the reports' style and font: Chromium's printing and the
        # Chinese font are ready before the first report's PDF (about 0.05 s off it)
        from kpilib.report.notebook import report_css

        self.page.set_content(f"<style>{report_css()}</style><h1>绩效考核</h1>")
        self.page.pdf(**_pdf_options(self._footer("")))

    def _close(self) -> None:
        # the driver closes the browser it started (and removes its profile folder) when
        # its pipe closes: here, or when this process ends before
        if self._driver is not None:
            self._driver.stop()
        self.browser = self._driver = self.page = None

    def open_page(self) -> BrowserContext:
        """A fresh browser context that may load only local files: network requests fail."""
        context = self.browser.new_context()
        context.route(re.compile(r"^(?!file:|data:|about:)"), lambda route: route.abort())
        return context

    def print(self, html_file: Path, pdf: Path, footer: str = "") -> None:
        """Print an HTML file to an A4 PDF with the footer and page numbers."""
        self.call(self._print, html_file, pdf, self._footer(footer))

    @staticmethod
    def _footer(footer: str) -> str:
        return (
            '<div style="font-size:8px;width:100%;text-align:center;color:#5d6d7e;'
            "font-family:'WenQuanYi Micro Hei',sans-serif\">"
            + _("{footer} · 第 {page} / {pages} 页").format(
                footer=html.escape(footer),
                page='<span class="pageNumber"></span>',
                pages='<span class="totalPages"></span>',
            )
            + "</div>"
        )

    def _print(self, html_file: Path, pdf: Path, footer_html: str) -> None:
        try:
            self.page.goto(Path(html_file).resolve().as_uri(), wait_until="load")
            self.page.pdf(path=str(pdf), **_pdf_options(footer_html))
        except Exception:
            # a page that timed out or crashed is not reused: the next PDF gets a new one
            self.page.context.close()
            self.page = self.open_page().new_page()
            raise


def _pdf_options(footer_html: str) -> dict:
    """page.pdf's options: A4 as the page's CSS sets it, backgrounds, the footer."""
    return {
        "format": "A4",
        "print_background": True,
        "prefer_css_page_size": True,
        "display_header_footer": True,
        "header_template": "<span></span>",
        "footer_template": footer_html,
    }
