"""The workbench at /workbench in a real headless Chromium: a climb, a run's records, students."""

from __future__ import annotations

from browsing import assert_own_origin, wait_for, wait_until


def test_the_workbench_lists_a_climb_and_opens_a_runs_records(measured, serve, browser, screenshot):
    from selenium.webdriver.common.by import By

    url, _ = serve(demo=False)
    driver = browser(1280, 900)
    driver.get(url + "/workbench")
    climb = wait_for(driver, '.climb[data-task="expenses"]')
    assert "pick: few-shot-2 on scripted-qwen" in climb.text
    rows = climb.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in rows] == ["scripted-qwen · zero-shot", "scripted-qwen · few-shot-2"]
    assert "pick" in rows[1].get_attribute("class") and "100.0 %" in rows[1].text
    assert climb.find_elements(By.CSS_SELECTOR, "svg.chart rect")  # the quality chart
    screenshot(driver, "workbench-climbs")

    # the picked row's records: every item with its input, exact prompt, output and score
    rows[1].find_element(By.CSS_SELECTOR, "a.run-link").click()
    wait_for(driver, "#records details.record")
    records = driver.find_elements(By.CSS_SELECTOR, "#records details.record")
    assert len(records) == 4 and all("✓ right" in r.text for r in records)
    records[0].find_element(By.TAG_NAME, "summary").click()
    body = wait_for(driver, "#records details.record[open] .record-body")
    text = body.text
    first = measured.rows[1]
    headings = [h.text.lower() for h in body.find_elements(By.TAG_NAME, "h4")]  # shown in capitals
    assert headings[:4] == ["input", "output", "expected", "score"] and headings[4].startswith("exact prompt")
    assert "Extract one expense" in text  # the system prompt, as sent
    assert len(body.find_elements(By.CSS_SELECTOR, ".msg")) >= 3  # system, an example pair at least, the item
    assert "date ✓" in text and "category ✓" in text
    driver.find_element(By.ID, "calls").click()
    wait_until(driver, lambda d: "calls in" in d.find_element(By.CSS_SELECTOR, ".run").text, message="the call log")
    assert f"{first['n']} calls in" in driver.find_element(By.CSS_SELECTOR, ".run").text
    screenshot(driver, "workbench-run")

    # runs, tasks, students
    driver.find_element(By.CSS_SELECTOR, '.tabs a[data-tab="runs"]').click()
    wait_until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 2, message="two runs")
    driver.find_element(By.CSS_SELECTOR, '.tabs a[data-tab="tasks"]').click()
    task = wait_for(driver, '.task[data-name="expenses"]')
    assert "climbed" in task.text and "2 runs" in task.text and "text, today, default_currency" in task.text
    task.find_element(By.LINK_TEXT, "2 runs").click()  # the task's runs
    wait_until(driver, lambda d: "Runs of expenses" in d.find_element(By.ID, "view").text, message="runs of a task")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 2
    driver.find_element(By.CSS_SELECTOR, '.tabs a[data-tab="students"]').click()
    student = wait_for(driver, '.student[data-name="expenses-student"]')
    assert "registered · llamacpp" in student.text
    assert student.find_elements(By.CSS_SELECTOR, "table.savings tbody tr")  # the savings report's table
    assert "prompt tokens / item" in student.text
    screenshot(driver, "workbench-students")
    assert_own_origin(driver, url)

    # the same on a phone: the climb and a run's records fit the width
    phone = browser(390, 844, phone=True)
    phone.get(url + "/workbench")
    wait_for(phone, '.climb[data-task="expenses"] svg')
    wide = phone.execute_script(  # the page's width, and what is wider than the phone
        "return [document.documentElement.scrollWidth, [...document.querySelectorAll('body *')]"
        ".filter(e => e.scrollWidth > 391).map(e => `${e.tagName}.${e.className}: ${e.scrollWidth}`).slice(0, 8)]")
    assert wide[0] <= 390, f"the climbs view scrolls sideways on a phone: {wide}"
    screenshot(phone, "workbench-phone", full=False)
    phone.get(f"{url}/workbench#run/{first['run_id']}")
    wait_for(phone, "#records details.record summary").click()
    wait_for(phone, "#records details.record[open] .record-body")
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the workbench scrolls sideways on a phone: {width} px"
    screenshot(phone, "workbench-phone-run", full=False)
    for view, css in (("students", ".student table.savings"), ("tasks", '.task[data-name="expenses"]')):
        phone.get(f"{url}/workbench#{view}")
        wait_for(phone, css)
        width = phone.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the {view} view scrolls sideways on a phone: {width} px"
    screenshot(phone, "workbench-phone-tasks", full=False)


def test_the_workbench_on_a_phone_and_before_anything_was_measured(serve, browser, screenshot):
    from selenium.webdriver.common.by import By

    url, _ = serve(demo=False)
    driver = browser(390, 844, phone=True)
    driver.get(url + "/workbench")
    wait_for(driver, "body[data-ready]", visible=False)
    assert "No climb yet" in driver.find_element(By.ID, "view").text
    assert "ladder climb --task expenses" in driver.find_element(By.ID, "view").text
    for tab, says in (("runs", "No run in"), ("students", "No student yet")):
        driver.find_element(By.CSS_SELECTOR, f'.tabs a[data-tab="{tab}"]').click()
        wait_until(driver, lambda d, says=says: says in d.find_element(By.ID, "view").text, message=f"empty {tab}")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the workbench scrolls sideways on a phone: {width} px"
    assert_own_origin(driver, url)
