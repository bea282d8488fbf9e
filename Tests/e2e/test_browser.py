"""The public privacy pages in real headless Chromium, at desktop and phone widths."""

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import console_errors, screenshot


def test_the_policy_reads_well_and_its_contents_lead_to_sections(server, browser):
    browser.get(server.base_url + "/privacy")
    assert browser.title == "Privacy Policy · OAG"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Privacy Policy"
    meta = browser.find_element(By.CSS_SELECTOR, ".policy__meta").text
    assert "Version 1" in meta and "Last updated" in meta

    stylesheet_applied = browser.execute_script(
        "return getComputedStyle(document.querySelector('.site-header')).position !== 'static'"
        " || getComputedStyle(document.body).margin === '0px'"
    )
    assert stylesheet_applied, "the stylesheet loaded"

    browser.find_element(By.CSS_SELECTOR, '.toc a[href="#security"]').click()
    WebDriverWait(browser, 5).until(lambda b: b.current_url.endswith("#security"))
    section = browser.find_element(By.ID, "security")
    assert section.tag_name == "h2" and "Security" in section.text
    assert console_errors(browser) == []
    screenshot(browser, "privacy-desktop")


def test_keyboard_users_can_skip_to_the_content(server, browser):
    browser.get(server.base_url + "/privacy")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    # It slides in over a short transition.
    WebDriverWait(browser, 2).until(lambda _: focused.is_displayed(), "the skip link shows when focused")
    focused.send_keys(Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda b: b.switch_to.active_element.get_attribute("id") == "main")


def test_phone_width_has_no_sideways_scrolling(server, browser):
    browser.set_window_size(390, 844)
    for path in ("/privacy", "/privacy/versions", "/privacy/versions/42"):
        browser.get(server.base_url + path)
        overflow = browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    screenshot(browser, "not-found-phone")
    browser.get(server.base_url + "/privacy")
    screenshot(browser, "privacy-phone")


def test_versions_list_links_to_each_version_and_unknown_ones_are_404(server, browser):
    browser.get(server.base_url + "/privacy/versions")
    link = browser.find_element(By.LINK_TEXT, "Version 1")
    link.click()
    WebDriverWait(browser, 5).until(expected_conditions.url_to_be(server.base_url + "/privacy/versions/1"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Privacy Policy"

    browser.get(server.base_url + "/privacy/versions/999")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"
    assert "Error 404" in browser.page_source
