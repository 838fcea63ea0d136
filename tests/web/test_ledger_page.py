"""The bookkeeping page at / in a real headless Chromium: record, correct, undo, ask."""

from __future__ import annotations

import httpx
import pytest
from browsing import QUESTION, assert_own_origin, wait_for, wait_until

from ladder.apps.expenses import Ledger


def _type(driver, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(text, Keys.ENTER)


def _cell(driver, expense_id: int, field: str) -> str | None:
    """The text of a ledger table cell (read in one step: the table is redrawn after each change)."""
    return driver.execute_script("const el = document.querySelector(arguments[0]); return el && el.textContent",
                                 f'#rows tr[data-id="{expense_id}"] .value[data-field="{field}"]')


def test_record_correct_undo_and_ask_in_the_browser(serve, browser, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, ledger = serve()
    before = len(Ledger(ledger).rows())
    driver = browser(1280, 900)
    driver.get(url + "/")
    wait_for(driver, "body[data-ready]", visible=False)
    assert driver.find_element(By.ID, "month").get_attribute("value") == "2026-11"  # this month, first
    total_before = driver.find_element(By.ID, "total").text

    # type an expense -> the recorded row, in the reply and at the top of the table
    _type(driver, "昨天午餐吃拉麵 180")
    card = wait_for(driver, "#reply .expense[data-id]")
    new_id = int(card.get_attribute("data-id"))
    assert new_id == before + 1
    wait_for(driver, f'#rows tr[data-id="{new_id}"]')
    assert _cell(driver, new_id, "amount") == "180" and _cell(driver, new_id, "date") == "2026-11-19"
    assert _cell(driver, new_id, "category") == "food"
    assert driver.find_element(By.ID, "total").text != total_before
    assert f"#{new_id}" in card.text and "昨天午餐吃拉麵 180" in card.text

    # correct the amount inline on the card: tap, type, Enter
    card.find_element(By.CSS_SELECTOR, '.value[data-field="amount"]').click()
    editor = wait_for(driver, '#reply .expense input[data-field="amount"]')
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("200", Keys.ENTER)
    wait_until(driver, lambda d: _cell(d, new_id, "amount") == "200", message="the table shows the corrected amount")
    assert Ledger(ledger).get(new_id)["amount"] == 200.0
    assert driver.find_element(By.CSS_SELECTOR, "#reply .message").text == f"Corrected #{new_id}: amount → 200"
    # and another field in the table itself: the merchant
    driver.find_element(By.CSS_SELECTOR, f'#rows tr[data-id="{new_id}"] .value[data-field="merchant"]').click()
    editor = wait_for(driver, '#rows input[data-field="merchant"]')
    editor.send_keys("一蘭", Keys.ENTER)
    wait_until(driver, lambda d: _cell(d, new_id, "merchant") == "一蘭", message="the merchant is corrected")
    screenshot(driver, "ledger-recorded")

    # undo twice: the merchant, then the amount come back
    driver.find_element(By.ID, "undo").click()
    wait_until(driver, lambda d: _cell(d, new_id, "merchant") == "none", message="undo restores the merchant")
    wait_for(driver, "#reply .undo").click()
    wait_until(driver, lambda d: _cell(d, new_id, "amount") == "180", message="undo restores the amount")
    assert Ledger(ledger).get(new_id)["amount"] == 180.0 and Ledger(ledger).get(new_id)["merchant"] is None
    assert "restored" in driver.find_element(By.ID, "reply").text

    # a question: the SQL and its rows
    _type(driver, QUESTION)
    sql = wait_for(driver, "#reply pre.sql")
    assert sql.text.startswith("SELECT category, SUM(amount) AS total FROM expenses")
    result = wait_for(driver, "#reply table.result")
    assert [th.text for th in result.find_elements(By.CSS_SELECTOR, "th")] == ["CATEGORY", "TOTAL"] or \
        [th.text.lower() for th in result.find_elements(By.CSS_SELECTOR, "th")] == ["category", "total"]
    cells = [td.text for td in result.find_elements(By.CSS_SELECTOR, "td")]
    expected = sum(r["amount"] for r in Ledger(ledger).rows() if r["category"] == "food" and r["date"].startswith("2026-11"))
    assert cells[0] == "food" and float(cells[1].replace(",", "")) == pytest.approx(expected)
    screenshot(driver, "ledger-desktop")

    # filters: a category, then all months; the CSV export of what is shown
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "category")).select_by_value("transport")
    wait_until(driver, lambda d: all(td.text == "transport" for td in
                                     d.find_elements(By.CSS_SELECTOR, "#rows td.category")), message="filtered")
    csv = httpx.get(f"{url}/v1/apps/expenses/export.csv", params={"month": "2026-11", "category": "transport"}).text
    shown = len(driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr"))
    assert csv.splitlines()[0] == "id,date,amount,currency,category,merchant,note" and len(csv.splitlines()) == shown + 1
    Select(driver.find_element(By.ID, "month")).select_by_value("")
    wait_until(driver, lambda d: "All months" in d.find_element(By.ID, "summary").text, message="all months")
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-time svg rect")  # one bar per month

    urls = assert_own_origin(driver, url)
    assert any(u.endswith("/static/expenses.js") for u in urls)
    assert not driver.execute_script("return document.querySelector('#reply .error')"), "no error shown"


def test_phone_layout_has_no_sideways_scroll(serve, browser, screenshot):
    from selenium.webdriver.common.by import By

    url, _ = serve()
    driver = browser(390, 844, phone=True)
    driver.get(url + "/")
    wait_for(driver, "body[data-ready]", visible=False)
    assert driver.execute_script("return window.innerWidth") == 390
    _type(driver, "昨天午餐吃拉麵 180")
    wait_for(driver, "#reply .expense[data-id]")
    screenshot(driver, "ledger-phone-recorded", full=False)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    screenshot(driver, "ledger-phone-dark", full=False)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    _type(driver, QUESTION)
    wait_for(driver, "#reply table.result")
    width = driver.execute_script("return [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(width) <= 390, f"the page scrolls sideways on a phone: {width} px wide in 390"
    # the ledger rows are cards on a phone: no table header, every value still tappable
    assert not driver.find_element(By.CSS_SELECTOR, "#rows thead").is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, '#rows tbody tr .value[data-field="amount"]').is_displayed()
    mic = driver.find_element(By.ID, "mic")
    assert mic.size["width"] >= 44 and mic.size["height"] >= 44  # a thumb-sized target
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, "ledger-phone", full=False)
    driver.execute_script("document.querySelector('.ledger').scrollIntoView()")
    screenshot(driver, "ledger-phone-ledger", full=False)
    screenshot(driver, "ledger-phone-full")
    assert_own_origin(driver, url)


def test_with_an_api_key_the_page_asks_for_it_once(serve, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, _ = serve(api_key="sekrit")
    driver = browser(1024, 800)
    driver.get(url + "/")
    wait_for(driver, "#key-dialog #api-key").send_keys("wrong", Keys.ENTER)
    dialog = wait_for(driver, "#key-dialog")
    assert "refused" in dialog.text
    dialog.find_element(By.ID, "api-key").send_keys("sekrit", Keys.ENTER)
    wait_for(driver, "body[data-ready]", visible=False)
    assert driver.find_element(By.ID, "total").text.endswith("TWD")
    assert driver.execute_script("return localStorage.getItem('ladder-api-key')") == "sekrit"
    driver.get(url + "/workbench")  # the same origin: the kept key, no second prompt
    wait_for(driver, "body[data-ready]", visible=False)
    assert not driver.find_elements(By.ID, "key-dialog") and "No climb yet" in driver.find_element(By.ID, "view").text
    assert_own_origin(driver, url, allow=("401 (Unauthorized)",))  # the refused key


def test_without_a_speech_endpoint_the_microphone_says_to_type(serve, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    url, _ = serve(without=("/v1/audio/transcriptions",))
    assert "/v1/audio/transcriptions" not in httpx.get(url + "/openapi.json").json()["paths"]
    driver = browser(1024, 800)
    driver.get(url + "/")
    wait_for(driver, "body[data-ready]", visible=False)
    ActionChains(driver).click_and_hold(driver.find_element(By.ID, "mic")).pause(0.3).release().perform()
    wait_until(driver, lambda d: "type instead" in d.find_element(By.ID, "hint").text, message="the hint")
    _type(driver, "昨天午餐吃拉麵 180")  # typing still works
    wait_for(driver, "#reply .expense[data-id]")
