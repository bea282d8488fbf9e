"""Threads and the company's gateway pages in real headless Chromium: start a thread, send a
message whose reply streams into the page, find both after a reload; make an API key, shown
once; look at the providers page. Screenshots at desktop and phone widths."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import console_errors, screenshot
from journey import ANN, button, click, click_and_load, expect_url, heading, labelled, main_text, nav_link, sign_up, wait


def test_a_thread_streams_its_reply_into_the_page(server_with_llm, fake_llm, open_browser):
    server = server_with_llm
    fake_llm.set_reply("Start with the landing page, then the pricing page.", chunk_size=6)
    driver = open_browser()
    sign_up(driver, server, ANN)

    click_and_load(driver, nav_link(driver, "Threads"))
    assert heading(driver) == "Threads"
    assert "No threads yet" in main_text(driver)
    labelled(driver, "Title", "title").send_keys("Launch plan")
    Select(labelled(driver, "Model", "model")).select_by_value("gpt-4o-mini")
    click_and_load(driver, button(driver, "Start thread"))
    assert heading(driver) == "Launch plan"
    thread_url = driver.current_url

    labelled(driver, "Your message", "content").send_keys("What comes first?")
    click(driver, button(driver, "Send"))
    # The script posts the message and writes the reply into the page as it streams in.
    wait(driver).until(lambda d: "pricing page." in d.find_element(By.ID, "conversation").text)
    assert driver.current_url == thread_url, "the page was not reloaded"
    assert labelled(driver, "Your message", "content").get_attribute("value") == ""
    screenshot(driver, "thread-desktop")

    driver.get(thread_url)
    conversation = driver.find_element(By.ID, "conversation").text
    assert "What comes first?" in conversation and "Start with the landing page" in conversation
    sent = [request for request in fake_llm.received if request.provider == "openai"]
    assert sent[-1].body["stream"] is True
    assert console_errors(driver) == []

    driver.set_window_size(390, 844)
    driver.get(thread_url)
    assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(driver, "thread-phone")


def test_an_owner_makes_an_api_key_and_sees_the_providers(server_with_llm, open_browser):
    server = server_with_llm
    driver = open_browser()
    sign_up(driver, server, ANN)

    click_and_load(driver, nav_link(driver, "API keys"))
    expect_url(driver, server.public_url + "/company/api-keys")
    labelled(driver, "Name", "name").send_keys("Billing bot")
    click(driver, labelled(driver, "deepseek-chat (DeepSeek)", "allowed_models"))
    labelled(driver, "Requests per minute", "requests_per_minute").send_keys("120")
    click_and_load(driver, button(driver, "Create key"))
    key = labelled(driver, "New API key").get_attribute("value")
    assert key.startswith("oag_") and len(key) == 47
    screenshot(driver, "api-keys-desktop")
    driver.get(server.public_url + "/company/api-keys")
    assert key not in driver.page_source, "the key is shown once"
    assert "Billing bot" in main_text(driver) and "120 requests a minute" in main_text(driver)

    click_and_load(driver, nav_link(driver, "Providers"))
    assert heading(driver) == "AI providers"
    for name in ("OpenAI", "Anthropic", "DeepSeek"):
        assert "The platform's key" in driver.find_element(By.ID, f"llm-{name.lower()}").text
    screenshot(driver, "providers-desktop")
    driver.set_window_size(390, 844)
    for path, name in (("/company/api-keys", "api-keys-phone"), ("/company/providers", "providers-phone")):
        driver.get(server.public_url + path)
        assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
        screenshot(driver, name)
    assert console_errors(driver) == []
