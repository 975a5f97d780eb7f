"""One real-browser test: headless Chromium against the app served by waitress.

In CI (``CI=true``) a missing browser fails the test; on a developer's machine
it skips and says what to install.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
WAIT_SECONDS = 15


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = (
        f"Headless Chromium is not installed ({', '.join(missing)} missing): "
        "run `apt-get install chromium chromium-driver`."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def serving(app):
    """``app`` served by waitress on a free loopback port, in a background thread: its URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def live_url(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def browser():
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="warta-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_search_filter_and_read_in_a_real_browser(browser, live_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(live_url + "/")
    box = browser.find_element(By.ID, "q")
    assert browser.switch_to.active_element == box  # autofocus: type straight away
    box.send_keys("pemilu OR banjir", Keys.ENTER)

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol.hits")))
    marks = browser.find_elements(By.CSS_SELECTOR, "ol.hits .snippet mark")
    assert {m.text.lower() for m in marks} >= {"banjir", "pemilu"}
    assert browser.find_element(By.ID, "ringkasan").text.startswith("2 artikel")

    browser.find_element(By.CSS_SELECTOR, "aside.filters").find_element(
        By.LINK_TEXT, "Kompas"
    ).click()
    wait.until(ec.url_contains("source=Kompas"))
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ol.hits h2 a")]
    assert titles == ["Banjir melanda Bekasi"]
    assert "Media: Kompas" in browser.find_element(By.CSS_SELECTOR, ".chips").text

    browser.find_element(By.LINK_TEXT, "Banjir melanda Bekasi").click()
    wait.until(ec.url_contains("/article/bekasi-banjir"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Banjir melanda Bekasi"
    body_marks = browser.find_elements(By.CSS_SELECTOR, ".article .body mark")
    assert [m.text for m in body_marks] == ["Banjir"]
    assert "14 November 2024" in browser.find_element(By.CSS_SELECTOR, ".article .meta").text
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def test_the_timeline_chart_in_a_real_browser(browser, live_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(live_url + "/?q=banjir+OR+pemilu")
    chart = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.timeline-chart")))
    assert chart.aria_role == "group"
    assert chart.accessible_name == "Jumlah artikel per pekan"
    assert chart.size["width"] > 300 and chart.size["height"] > 50  # drawn, not collapsed
    summary = browser.find_element(By.ID, chart.get_attribute("aria-describedby"))
    assert summary.get_attribute("textContent") == (
        "2 artikel bertanggal per pekan, dari pekan 18 Maret 2024 sampai pekan "
        "11 November 2024; terbanyak pekan 18 Maret 2024 (1 artikel)."
    )
    bars = chart.find_elements(By.CSS_SELECTOR, "a.bar")
    assert [bar.accessible_name for bar in bars] == [
        "pekan 18 Maret 2024: 1 artikel",
        "pekan 11 November 2024: 1 artikel",
    ]
    heights = [bar.find_element(By.CSS_SELECTOR, "rect.count").size["height"] for bar in bars]
    assert heights[0] > 40 and heights[0] == heights[1]

    bars[1].click()
    wait.until(ec.url_contains("from=2024-11-11"))
    assert "to=2024-11-17" in browser.current_url
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ol.hits h2 a")]
    assert titles == ["Banjir melanda Bekasi"]
    assert (
        "Tanggal: 11 November 2024 – 17 November 2024"
        in browser.find_element(By.CSS_SELECTOR, ".chips").text
    )
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


@pytest.fixture
def story_url(tmp_path):
    """A live site over one flood reported by three outlets (one a copy), a follow-up
    and an outlet's recipes (the articles of tests/test_stories.py)."""
    from test_stories import ARTICLES

    from crawler import Store
    from index import build_index, index_path
    from web import create_app
    from web.handles import close_app

    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.upsert_many(ARTICLES)
        build_index(store, index_path(data_dir))
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    with serving(app) as url:
        yield url
    close_app(app)


def test_a_story_across_outlets_in_a_real_browser(browser, story_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(story_url + "/?q=Rawalumbu")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol.hits")))
    hits = browser.find_elements(By.CSS_SELECTOR, "ol.hits > li")
    first = next(
        h for h in hits if h.find_element(By.CSS_SELECTOR, "h2 a").text.startswith("Banjir")
    )
    line = first.find_element(By.CSS_SELECTOR, "p.story")
    assert line.text == "Diberitakan juga oleh 2 media: Detik, Tribunnews"
    titles = [h.find_element(By.CSS_SELECTOR, "h2 a").text for h in hits]
    assert "Ratusan Keluarga Mengungsi, Rawalumbu Terendam" not in titles  # the copy is collapsed

    line.find_element(By.TAG_NAME, "a").click()
    wait.until(ec.url_contains("/story/kompas-banjir"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Banjir Rendam Rawalumbu"
    rows = browser.find_elements(By.CSS_SELECTOR, "ol.story-articles li")
    assert [r.find_element(By.CSS_SELECTOR, ".source").text for r in rows] == [
        "Kompas",
        "Tribunnews",
        "Detik",
    ]
    times = [r.find_element(By.TAG_NAME, "time").get_attribute("datetime") for r in rows]
    assert times == sorted(times)
    assert times[0].startswith("2024-11-11T09:00") and times[-1].startswith("2024-11-11T15:00")
    assert "Tanggul" not in browser.find_element(By.CSS_SELECTOR, "ol.story-articles").text
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
