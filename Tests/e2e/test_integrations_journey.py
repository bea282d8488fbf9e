"""My Integrations in real headless Chromium: connect Google with two optional permissions
through the (fake) consent screen, check the connection, and disconnect it."""

from selenium.webdriver.common.by import By

from conftest import console_errors, screenshot
from journey import ANN, button, click, click_and_load, expect_message, expect_url, heading, labelled, main_text, nav_link, sign_up

GMAIL = "Read your Gmail messages (not send or delete)"
DRIVE = "Only the Drive files you open or create with OAG"


def google_card(driver):
    return driver.find_element(By.ID, "provider-google")


def test_connect_google_with_two_scopes_and_disconnect(server_with_google, fake_google, open_browser):
    server = server_with_google
    driver = open_browser()
    sign_up(driver, server, ANN)

    click_and_load(driver, nav_link(driver, "Integrations"))
    expect_url(driver, server.public_url + "/account/integrations")
    assert heading(driver) == "My Integrations"
    card = google_card(driver)
    assert "Not connected" in card.text
    for other in ("GitHub", "GitLab", "Yandex"):
        assert "Not configured" in driver.find_element(By.ID, f"provider-{other.lower()}").text

    click(driver, labelled(driver, GMAIL, "scopes", within=card))
    click(driver, labelled(driver, DRIVE, "scopes", within=card))
    click_and_load(driver, button(card, "Connect Google"))

    # The provider's consent screen names exactly what OAG asked for.
    assert driver.current_url.startswith(fake_google.url)
    consent = driver.find_element(By.TAG_NAME, "body").text
    for scope in ("openid", "email", "gmail.readonly", "drive.file"):
        assert scope in consent
    assert "documents" not in consent and "spreadsheets" not in consent
    click_and_load(driver, driver.find_element(By.ID, "allow"))

    expect_url(driver, server.public_url + "/account/integrations")
    expect_message(driver, "The account is connected. Its tokens are stored encrypted.")
    card = google_card(driver)
    assert "Connected" in card.text
    assert "ann.work@gmail.test" in card.text
    assert GMAIL in card.text and DRIVE in card.text
    screenshot(driver, "integrations-connected")
    assert console_errors(driver) == []

    click_and_load(driver, button(card, "Check connection"))
    expect_message(driver, "The provider answered. What it returned is shown below and kept only in memory for a few minutes.")
    assert "What Google answered" in main_text(driver)

    card = google_card(driver)
    click(driver, card.find_element(By.XPATH, ".//summary[normalize-space()='Disconnect']"))
    click_and_load(driver, button(card, "Disconnect Google"))
    expect_message(driver, "The account is disconnected: access was revoked at the provider and the tokens are deleted.")
    assert "Not connected" in google_card(driver).text
    assert fake_google.revoked, "the grant was revoked at Google"
    assert fake_google.live_tokens() == []
    assert console_errors(driver) == []


def test_my_integrations_fits_a_phone(server_with_google, open_browser):
    driver = open_browser(width=390, height=844)
    sign_up(driver, server_with_google, ANN)
    driver.get(server_with_google.public_url + "/account/integrations")
    assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(driver, "integrations-phone")
