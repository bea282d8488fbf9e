"""Privacy-policy versions in real headless Chromium: an operator writes a new version with the
live preview and publishes it as significant; a member who already had an account sees the
notice, reads what changed and acknowledges it. Screenshots at desktop and phone widths."""

import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import OAG_BIN, console_errors, screenshot
from journey import (
    ANN,
    Person,
    button,
    click,
    click_and_load,
    expect_message,
    expect_url,
    fill_sign_in,
    header_text,
    heading,
    horizontal_overflow,
    labelled,
    main_text,
    sign_up,
    wait,
)

OLGA = Person("Olga Operator", "olga@example.com", "operator passphrase 9")
NOTICE = "Our privacy policy changed (version 2)."


def test_an_operator_publishes_and_a_member_acknowledges(server, open_browser):
    member = open_browser()
    sign_up(member, server, ANN)
    assert NOTICE not in header_text(member), "the first version is not a change"

    created = subprocess.run([OAG_BIN, "admin", "create", "--email", OLGA.email, "--password", OLGA.password],
                             env=server.environment(), capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    operator = open_browser()
    operator.get(server.public_url + "/login")
    fill_sign_in(operator, OLGA, OLGA.password)
    operator.get(server.public_url + "/admin")
    click_and_load(operator, operator.find_element(By.LINK_TEXT, "Publish the privacy policy"))
    expect_url(operator, server.public_url + "/admin/policy")

    markdown = labelled(operator, "Policy text (Markdown)", "markdown")
    click(operator, markdown)
    markdown.send_keys(Keys.CONTROL, Keys.END)
    markdown.send_keys("\n\n## Invoices\n\nWe keep **invoices** for ten years.")
    # The script renders the draft on the server as it is typed.
    preview = operator.find_element(By.ID, "policy-preview")
    wait(operator).until(lambda _: "<strong>invoices</strong>" in preview.get_attribute("innerHTML"))
    labelled(operator, "What changed", "summary").send_keys("Invoices are kept for ten years.")
    click(operator, labelled(operator, "Significant change", "significant"))
    screenshot(operator, "policy-editor-desktop")
    click_and_load(operator, button(operator, "Publish version 2"))
    expect_message(operator, "The new version of the privacy policy is published.")
    assert NOTICE not in header_text(operator) and NOTICE not in operator.find_element(By.TAG_NAME, "body").text, \
        "the publisher has read it"
    assert console_errors(operator) == []

    member.get(server.public_url + "/dashboard")
    notice = member.find_element(By.XPATH, f"//section[starts-with(normalize-space(), {NOTICE!r})]")
    assert "Invoices are kept for ten years." in notice.text
    screenshot(member, "policy-notice-desktop")
    click_and_load(member, notice.find_element(By.LINK_TEXT, "What changed"))
    assert heading(member) == "What changed between version 1 and version 2"
    added = [line.text for line in member.find_elements(By.TAG_NAME, "ins")]
    assert any(line.endswith("We keep **invoices** for ten years.") for line in added), added
    screenshot(member, "policy-diff-desktop")

    notice = member.find_element(By.XPATH, f"//section[starts-with(normalize-space(), {NOTICE!r})]")
    click_and_load(member, button(notice, "Acknowledge"))
    expect_message(member, "Thank you. Your acknowledgement of the privacy policy is recorded.")
    assert NOTICE not in member.find_element(By.TAG_NAME, "body").text
    member.get(server.public_url + "/account/notifications")
    assert "You acknowledged it on" in main_text(member)
    assert console_errors(member) == []

    for driver, path, name in [(operator, "/admin/policy", "policy-editor"), (member, "/privacy/diff?from=1&to=2", "policy-diff")]:
        driver.set_window_size(390, 844)
        driver.get(server.public_url + path)
        assert horizontal_overflow(driver) <= 0, f"{path} fits a phone"
        screenshot(driver, f"{name}-phone")
