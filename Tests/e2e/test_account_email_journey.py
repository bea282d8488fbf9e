"""Correcting one's sign-in email in real headless Chromium: ask on /account, open the link that
was "mailed" (development logs it, as no mailer exists), confirm, and sign in with the new email
while the session of another browser has ended."""

import re
from dataclasses import replace

from selenium.webdriver.common.by import By

from conftest import console_errors, screenshot
from journey import (
    ANN,
    button,
    click_and_load,
    expect_message,
    expect_url,
    fill_sign_in,
    heading,
    horizontal_overflow,
    labelled,
    main_text,
    sign_out,
    sign_up,
)

NEW_EMAIL = "ann.rockets@example.com"


def confirmation_links(server) -> list[str]:
    return re.findall(r"http://localhost:\d+/account/email/confirm/[A-Za-z0-9_-]{43}", server.log())


def test_changing_the_sign_in_email_with_the_mailed_link(server, open_browser):
    ann = open_browser()
    sign_up(ann, server, ANN)
    laptop = open_browser()
    laptop.get(server.public_url + "/login")
    fill_sign_in(laptop, ANN, ANN.password)
    expect_url(laptop, server.public_url + "/dashboard")

    click_and_load(ann, ann.find_element(By.LINK_TEXT, ANN.name))
    assert heading(ann) == "Your account"
    email = labelled(ann, "Email", "email")
    email.clear()
    email.send_keys("ann at example")
    click_and_load(ann, button(ann, "Save profile"))
    assert "Enter an email address like name@example.com." in main_text(ann)
    console_errors(ann)  # the 422 answer is logged as a failed load; the pages from here on must log nothing

    email = labelled(ann, "Email", "email")
    email.clear()
    email.send_keys(NEW_EMAIL)
    click_and_load(ann, button(ann, "Save profile"))
    expect_message(
        ann, "We sent a confirmation link to your new email. Your sign-in email changes when you open it; the rest is saved."
    )
    assert f"Pending change to {NEW_EMAIL} — check your inbox." in main_text(ann)
    screenshot(ann, "account-email-pending")

    links = confirmation_links(server)
    assert len(links) == 1
    ann.get(links[0])
    assert heading(ann) == "Confirm your new email"
    click_and_load(ann, button(ann, f"Use {NEW_EMAIL}"))
    expect_url(ann, server.public_url + "/account")
    expect_message(ann, "Your sign-in email is changed. Your other sessions were signed out.")
    assert f"Signed in as {NEW_EMAIL}" in main_text(ann)

    laptop.get(server.public_url + "/dashboard")
    expect_url(laptop, server.public_url + "/login?next=/dashboard")

    sign_out(ann, server)
    fill_sign_in(ann, replace(ANN, email=NEW_EMAIL), ANN.password)
    expect_url(ann, server.public_url + "/dashboard")
    assert console_errors(ann) == []

    ann.get(links[0])
    assert heading(ann) == "Page not found"
    assert "This confirmation link does not work" in main_text(ann)


def test_the_account_page_with_a_pending_change_fits_a_phone(server, open_browser):
    phone = open_browser(width=390, height=844)
    sign_up(phone, server, ANN)
    phone.get(server.public_url + "/account")
    email = labelled(phone, "Email", "email")
    email.clear()
    email.send_keys(NEW_EMAIL)
    click_and_load(phone, button(phone, "Save profile"))
    assert "Pending change" in main_text(phone)
    screenshot(phone, "account-email-pending-phone")
    assert horizontal_overflow(phone) <= 0
    phone.get(confirmation_links(server)[0])
    screenshot(phone, "account-email-confirm-phone")
    assert horizontal_overflow(phone) <= 0
