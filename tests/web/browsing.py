"""Helpers of the browser tests: waits, and what the page asked the network for."""

from __future__ import annotations

import json

TODAY = "2026-11-20"
QUESTION = "how much did I spend on food this month?"


def requested_urls(driver) -> list[str]:
    """Every URL the browser asked for since the last call (Chrome's performance log),
    plus what the page's Resource Timing saw."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    urls += driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return urls


def assert_own_origin(driver, base: str, allow: tuple[str, ...] = ()) -> list[str]:
    """The page asked no origin but ``base``, and its console shows no error (a CSP
    violation would be one) other than messages holding a string of ``allow``."""
    errors = [e["message"] for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]
    assert not errors, f"the page logged errors: {errors}"
    urls = requested_urls(driver)
    foreign = [u for u in urls if not (u == base or u.startswith((base + "/", "data:", "blob:")))]
    assert not foreign, f"the page asked other origins than {base}: {foreign}"
    assert urls, "no request was logged (is the performance log on?)"
    return urls


def page_report(driver) -> str:
    """What the page shows and logged: for a failure message."""
    logs = [f"{e['level']}: {e['message']}" for e in driver.get_log("browser")]
    text = driver.execute_script("return document.body ? document.body.innerText : ''")[:1500]
    return f"page text: {text!r}; console: {logs}"


def wait_for(driver, css: str, timeout: float = 20, visible: bool = True):
    """The element matching ``css`` once it is there (and visible); on a timeout, an
    AssertionError with what the page shows and logged."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    cond = EC.visibility_of_element_located if visible else EC.presence_of_element_located
    try:
        return WebDriverWait(driver, timeout).until(cond((By.CSS_SELECTOR, css)))
    except TimeoutException:
        raise AssertionError(f"no {css!r} after {timeout} s; {page_report(driver)}") from None


def wait_until(driver, fn, timeout: float = 20, message: str = ""):
    from selenium.common.exceptions import (
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(fn)
    except TimeoutException:
        raise AssertionError(f"{message or 'condition'} not met after {timeout} s; {page_report(driver)}") from None
