"""Usage and billing pages in real headless Chromium, on the demo company with seeded usage:
the chart draws, the tables fill, the CSV link is there, and the pages fit a phone."""

import datetime
import subprocess

from selenium.webdriver.common.by import By

from conftest import OAG_BIN, console_errors, screenshot
from journey import button, click_and_load, fill_sign_in, heading, main_text, nav_link, Person


OWNER = Person("Olivia Owner", "owner@demo.oag.test", "demo owner password")


def test_usage_and_billing_pages_on_seeded_usage(server, open_browser):
    seeded = subprocess.run([OAG_BIN, "demo", "seed", "--usage-events", "5000"], env=server.environment(), capture_output=True, text=True,
                            timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    driver = open_browser()
    driver.get(server.public_url + "/login")
    fill_sign_in(driver, OWNER, OWNER.password)

    click_and_load(driver, nav_link(driver, "Usage"))
    assert heading(driver) == "Company usage"
    chart = driver.find_element(By.CSS_SELECTOR, "svg[role=img]")
    assert chart.find_element(By.TAG_NAME, "title").get_attribute("textContent").startswith("Tokens per day")
    # The default range is this month so far: at most a bar per day up to today (UTC).
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert 1 <= len(chart.find_elements(By.TAG_NAME, "rect")) <= today.day
    text = main_text(driver)
    for section in ("By model", "By member", "By API key", "By day"):
        assert section in text
    assert driver.find_element(By.LINK_TEXT, "Download CSV").get_attribute("href").startswith(server.public_url + "/company/usage.csv?from=")
    screenshot(driver, "company-usage-desktop")

    # Six weeks of the seeded history, whatever day of the month the test runs on.
    start = today - datetime.timedelta(days=41)
    driver.get(f"{server.public_url}/company/usage?from={start.isoformat()}&to={today.isoformat()}")
    chart = driver.find_element(By.CSS_SELECTOR, "svg[role=img]")
    assert len(chart.find_elements(By.TAG_NAME, "rect")) >= 30

    click_and_load(driver, driver.find_element(By.LINK_TEXT, "Request log"))
    assert heading(driver) == "Request log"
    assert len(driver.find_elements(By.CSS_SELECTOR, "table[data-requests] tbody tr")) == 50
    click_and_load(driver, driver.find_element(By.LINK_TEXT, "Older requests"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "table[data-requests] tbody tr")) == 50

    driver.get(server.public_url + "/company/billing")
    assert heading(driver) == "Billing"
    assert "Open: the month is not over" in main_text(driver)
    screenshot(driver, "billing-desktop")
    assert console_errors(driver) == []

    driver.set_window_size(390, 844)
    for path, name in (("/usage", "usage-phone"), ("/company/billing", "billing-phone")):
        driver.get(server.public_url + path)
        assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0, path
        screenshot(driver, name)
