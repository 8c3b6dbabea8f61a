"""The passcode page in a real browser: Debian's headless Chromium driven by selenium (driver
given explicitly, so nothing is downloaded). A person signs in at {url}/identity/passcode, reads
the one-time code from #passcode, and exchanges it at the token endpoint; the code works once."""

import os
import shutil
import tempfile

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from iamconf import BX, GRANT_PASSCODE, HTTP_TIMEOUT, apikey_grant, assert_token_error, claims, passcode_grant, post_token

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15


@pytest.fixture(scope="module")
def browser():
    for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            pytest.fail(
                f"{path} not found: run scripts/test (it installs Debian's {pkg}), "
                f"or apt-get install chromium chromium-driver",
                pytrace=False,
            )
    profile = tempfile.mkdtemp(prefix="conformance-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _sign_in(driver, url, username, password):
    """Fill the page's sign-in form the way a person would: the text/email field next to the
    password field, then Enter in the password field."""
    driver.delete_all_cookies()
    driver.get(url + "/identity/passcode")
    wait = WebDriverWait(driver, WAIT)
    pw = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type=password]"))
    form = pw.find_element(By.XPATH, "./ancestor::form")
    user_fields = [
        el
        for el in form.find_elements(By.CSS_SELECTOR, "input")
        if (el.get_attribute("type") or "text").lower() in ("text", "email") and el.is_displayed()
    ]
    assert user_fields, "the passcode page has no visible username/email field in its sign-in form"
    user_fields[0].clear()
    user_fields[0].send_keys(username)
    pw.clear()
    pw.send_keys(password)
    before = driver.find_element(By.TAG_NAME, "body").text.lower()
    pw.send_keys(Keys.ENTER)
    return before


def _read_passcode(driver):
    def code(d):
        els = d.find_elements(By.ID, "passcode")
        return els and els[0].text.strip()

    try:
        return WebDriverWait(driver, WAIT).until(code)
    except TimeoutException:
        pytest.fail(f"no one-time code in #passcode after signing in; page text:\n{driver.find_element(By.TAG_NAME, 'body').text}")


def test_passcode_page_is_html(emu):
    r = requests.get(emu.url + "/identity/passcode", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/html")


def test_sign_in_read_code_exchange_once(emu, browser):
    _sign_in(browser, emu.url, emu["username"], emu["password"])
    code = _read_passcode(browser)

    body = passcode_grant(emu.url, code)
    c = claims(body["access_token"])
    assert c["grant_type"] == GRANT_PASSCODE
    # The token is the demo password user's.
    assert c["iam_id"] == claims(apikey_grant(emu.url, emu["apikey"])["access_token"])["iam_id"]
    assert body["refresh_token"] != "not_supported"

    # The same code a second time is refused.
    r = post_token(emu.url, {"grant_type": GRANT_PASSCODE, "passcode": code}, auth=BX)
    assert_token_error(r, 400)


def test_each_sign_in_shows_a_new_code(emu, browser):
    _sign_in(browser, emu.url, emu["username"], emu["password"])
    first = _read_passcode(browser)
    _sign_in(browser, emu.url, emu["username"], emu["password"])
    second = _read_passcode(browser)
    assert first != second
    passcode_grant(emu.url, second)
    passcode_grant(emu.url, first)


def test_wrong_password_shows_an_error(emu, browser):
    before = _sign_in(browser, emu.url, emu["username"], emu["password"] + "-wrong")
    words = ("invalid", "incorrect", "wrong", "error", "failed", "not recognized", "denied")

    def settled(d):
        text = d.find_element(By.TAG_NAME, "body").text.lower()
        return any(w in text and w not in before for w in words)

    try:
        WebDriverWait(browser, WAIT).until(settled)
    except TimeoutException:
        pytest.fail(f"no error shown for a wrong password; page text:\n{browser.find_element(By.TAG_NAME, 'body').text}")
    assert not browser.find_elements(By.ID, "passcode"), "a wrong password must not produce a code"
    assert browser.find_elements(By.CSS_SELECTOR, "input[type=password]"), "the form is offered again"
