"""Privacy rights in real headless Chromium: a person downloads their data, files a deletion
request, an operator approves it, and the person is signed out for good, with a receipt."""

import json
import subprocess
import time
import urllib.request

from selenium.webdriver.common.by import By

from conftest import OAG_BIN, console_errors, screenshot
from journey import (ANN, Person, button, click, click_and_load, expect_message, fill_sign_in, heading, labelled, main_text,
                     nav_link, sign_up, submit_button_of, wait)

OPERATOR = Person("Olga Operator", "olga@example.com", "operator passphrase 9")


def test_a_person_deletes_their_account_and_keeps_a_receipt(server, open_browser):
    created = subprocess.run([OAG_BIN, "admin", "create", "--email", OPERATOR.email, "--password", OPERATOR.password],
                             env=server.environment(), capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr

    person = open_browser()
    sign_up(person, server, ANN)
    person.get(server.public_url + "/account")
    assert person.find_element(By.LINK_TEXT, "Download my data").get_attribute("href") == server.public_url + "/account/export"
    click_and_load(person, person.find_element(By.LINK_TEXT, "Deletion requests"))
    assert heading(person) == "Deletion requests"
    assert "You have not filed any deletion request" in main_text(person)
    screenshot(person, "deletion-requests-desktop")

    click(person, labelled(person, "My account and everything in it", "scope"))
    reason = labelled(person, "Reason (optional)", "reason")
    reason.send_keys("Moving on")
    click_and_load(person, submit_button_of(reason))
    receipt_link = labelled(person, "Receipt link").get_attribute("value")
    assert receipt_link.startswith(server.public_url + "/deletion-receipts/")
    assert "Waiting for review" in main_text(person)

    operator = open_browser()
    operator.get(server.public_url + "/login")
    fill_sign_in(operator, OPERATOR, OPERATOR.password)
    click_and_load(operator, nav_link(operator, "Deletions"))
    assert ANN.email in main_text(operator) and "Moving on" in main_text(operator)
    click(operator, operator.find_element(By.XPATH, "//summary[normalize-space()='Approve']"))
    click_and_load(operator, button(operator, "Approve and delete"))
    expect_message(operator, "The request is approved. The deletion job carries it out within seconds.")

    # The job runs within seconds: the receipt link starts to answer, and the person's session is gone.
    deadline = time.monotonic() + 30
    receipt = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(receipt_link.replace(server.public_url, server.base_url), timeout=5) as response:
                receipt = json.load(response)
                break
        except urllib.error.HTTPError as error:
            assert error.code == 404
            time.sleep(0.5)
    assert receipt is not None, "the request was not carried out within 30 seconds"
    assert receipt["accounts_deleted"] == 1 and receipt["companies_deleted"] == 1
    assert ANN.email not in json.dumps(receipt)

    assert not console_errors(person) and not console_errors(operator)
    person.get(server.public_url + "/dashboard")
    wait(person).until(lambda d: d.current_url.startswith(server.public_url + "/login"))
    fill_sign_in(person, ANN, ANN.password)
    assert "The email or password is not right." in main_text(person)
