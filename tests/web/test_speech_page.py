"""Hold to speak, end to end in a real headless Chromium: espeak-ng's voice is the page's
microphone (Chromium's fake capture device playing a wav), the page records it with
MediaRecorder, posts it to /v1/audio/transcriptions (real faster-whisper), and sends the
transcript down the same route as typed text; a ledger row comes back."""

from __future__ import annotations

import shutil
import subprocess
import time
import wave

import httpx
import pytest
from browsing import assert_own_origin, wait_for

from ladder.apps.expenses import Ledger

LUNCH = "I had lunch at Subway yesterday. It cost twelve dollars."


@pytest.mark.slow
def test_a_spoken_expense_becomes_a_ledger_row_through_the_page(serve, browser, screenshot, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): this test needs real speech")
    url, ledger = serve()
    if "/v1/audio/transcriptions" not in httpx.get(url + "/openapi.json").json()["paths"]:
        pytest.skip("this server has no /v1/audio/transcriptions (ladder/server/audio.py)")
    clip = tmp_path / "lunch.wav"
    subprocess.run([exe, "-v", "en", "-s", "130", "-w", str(clip), LUNCH], check=True, capture_output=True, timeout=60)
    with wave.open(str(clip)) as w:
        seconds = w.getnframes() / w.getframerate()

    driver = browser(1024, 800, audio=f"{clip}%noloop")
    driver.get(url + "/")
    wait_for(driver, "body[data-ready]", visible=False)
    before = len(Ledger(ledger).rows())
    mic = driver.find_element(By.ID, "mic")
    # hold the button for the clip (+ the time getUserMedia takes to open the device)
    ActionChains(driver).click_and_hold(mic).pause(seconds + 1.0).release().perform()
    released = time.monotonic()
    card = wait_for(driver, "#reply .expense[data-id]", timeout=120)
    took = time.monotonic() - released
    assert len(Ledger(ledger).rows()) == before + 1
    row = Ledger(ledger).get(int(card.get_attribute("data-id")))  # its note is the transcript
    note = row["note"].lower()
    assert "subway" in note and ("12" in note or "twelve" in note), f"the transcript was {row['note']!r}"
    assert (row["amount"], row["currency"], row["merchant"]) == (12.0, "USD", "Subway")
    assert row["note"] in card.text  # the card shows what was heard
    # (the first clip also loads Whisper; bench/bench_speech.py measures warm latency)
    print(f"spoken -> row in {took:.1f} s after release; transcript {row['note']!r}")
    screenshot(driver, "ledger-spoken")
    assert_own_origin(driver, url)
