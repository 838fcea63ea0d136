"""What the browser tests share: a real headless Chromium (Debian's chromium + chromedriver
through selenium), live loopback servers, a scripted model for the app, and a small
measured history (a climb, its runs, a student's savings report) for the workbench.

Screenshots go to the test's tmp dir and are copied to /tmp/web-shots/ (printed with -s).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import shutil
from pathlib import Path

import pytest
from browsing import QUESTION, TODAY  # noqa: F401  (tests/web is on sys.path: no __init__.py)

from ladder.models import ScriptedModel
from ladder.server import ServerConfig
from ladder.server.app import create_app, running

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = Path("/tmp/web-shots")


def _missing() -> str | None:
    if not CHROMIUM.exists() or not DRIVER.exists():
        return (f"needs Chromium and its driver at {CHROMIUM} and {DRIVER} "
                "(Debian: apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install selenium)"
    return None


def brain(messages):
    """The app's model, scripted by prompt: routing, correction, SQL, expense extraction."""
    system = messages[0].content if messages[0].role == "system" else ""
    user = messages[-1].content
    if system.startswith("You route"):
        if user.lower() == "undo":
            return {"intent": "undo"}
        return {"intent": "ask" if user.endswith(("?", "？")) else "record"}
    if system.startswith("The user corrects"):
        return {"field": "amount", "value": "120"}
    if system.startswith("You write one SQLite"):
        return {"sql": "SELECT category, SUM(amount) AS total FROM expenses "
                       "WHERE category = 'food' AND date LIKE '2026-11-%' GROUP BY category"}
    if system.startswith("Extract one expense"):
        text = user.splitlines()[0].lower()
        if "subway" in text:
            return {"date": "2026-11-19", "amount": 12, "currency": "USD", "category": "food", "merchant": "Subway"}
        if "拉麵" in text:
            return {"date": "2026-11-19", "amount": 180, "currency": "TWD", "category": "food", "merchant": None}
        return {"date": TODAY, "amount": 45, "currency": "TWD", "category": "transport", "merchant": "Uber"}
    raise AssertionError(f"unexpected prompt: {system[:60]!r}")


@pytest.fixture
def serve(tmp_path):
    """``serve(demo=True, without=(), **config)`` -> (base URL, ledger path) of a live
    server running the expenses app on a copy of the demo ledger (or no ledger yet),
    without the routes at the paths in ``without``; stopped after the test."""
    from ladder.apps.expenses import demo_ledger

    numbers = itertools.count()
    with contextlib.ExitStack() as stack:
        def start(demo: bool = True, without: tuple[str, ...] = (), **settings):
            ledger = tmp_path / f"ledger{next(numbers)}.db"
            if demo:
                demo_ledger(ledger)
            config = ServerConfig(**{"apps": ["expenses"], "ledger": str(ledger), "rung": "zero-shot",
                                     "today": TODAY, **settings})
            app = create_app(config, models={"smollm2": ScriptedModel(brain)})
            # a server without some routes (e.g. one older than the speech endpoint)
            app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) not in without]
            return stack.enter_context(running(app)), ledger

        yield start


@pytest.fixture
def browser():
    """``browser(width, height, phone=False, audio=None)`` -> a selenium Chrome driver on
    headless Chromium, logging every network request (goog:loggingPrefs performance)."""
    missing = _missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(width: int = 1280, height: int = 900, phone: bool = False, audio: Path | None = None):
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=en-US", f"--window-size={width},{height}"):
            options.add_argument(arg)
        if audio:  # a fake microphone that plays this file; permission granted without a prompt
            options.add_argument("--use-fake-ui-for-media-stream")
            options.add_argument("--use-fake-device-for-media-stream")
            options.add_argument(f"--use-file-for-fake-audio-capture={audio}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
        drivers.append(driver)
        driver.set_page_load_timeout(30)
        if phone:  # an iPhone-sized viewport, honouring <meta name=viewport>
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
            driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
        return driver

    yield start
    for d in drivers:
        d.quit()


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(driver, name)`` writes the whole page as NAME.png into the test's tmp
    dir and /tmp/web-shots/; returns the tmp path."""
    def shoot(driver, name: str, full: bool = True) -> Path:
        """``full``: the whole page; else what the viewport shows now."""
        params = {"format": "png"}
        if full:
            driver.execute_script("window.scrollTo(0, 0)")  # else a sticky header lands mid-page
            metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        png = driver.execute_cdp_cmd("Page.captureScreenshot", params)
        path = tmp_path / f"{name}.png"
        path.write_bytes(base64.b64decode(png["data"]))
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)
        print(f"screenshot: {path} (copy: {SHOTS / path.name})")
        return path

    return shoot


@pytest.fixture
def measured(ladder_home):
    """A small measured history in the test's LADDER_HOME: a climb of the expenses task
    (two rungs, four dev items, a scripted model that is right only with examples), its
    runs and calls, and a student folder with the savings report of the two rows."""
    from ladder.climb import climb
    from ladder.distill.report import write_report
    from ladder.log import data_dir
    from ladder.models import register_model
    from ladder.tasks import load_task

    task = load_task("expenses")
    examples = task.split("dev")[:4]
    by_text = {ex.input["text"]: ex.expected for ex in examples}

    def oracle(messages):
        text = messages[-1].content.split("\n")[0][len("text: "):]
        return by_text[text] if len(messages) > 2 else {**by_text[text], "category": "other"}

    result = climb(task, ScriptedModel(oracle, name="scripted-qwen"), examples, rungs=["zero-shot", "few-shot-2"],
                   bar=0.8, progress=False, out=ladder_home / "report")
    student_dir = data_dir() / "students" / "expenses-student"
    teacher, student = result.rows[1], {**result.rows[0], "model": "expenses-student", "rung": "student"}
    write_report(student_dir, teacher, student, notes=["scripted, for the workbench test"])
    register_model("expenses-student", backend="llamacpp", path=student_dir / "student.gguf",
                   description="test student (no weights)")
    return result
