"""Accounts in real headless Chromium, as people use them: sign up, sign out and in, invite a
colleague who joins from a second browser, change their role, remove them.

The pages are found the way a person (or a screen reader) finds them: by label, field name,
button text, id and visible text, not by CSS classes, so restyling the templates does not
break these tests. Every test starts a server of its own (the `server` fixture).

The browser talks to `server.public_url` (http://localhost:PORT, the default OAG_BASE_URL):
the console refuses forms whose Origin is not its base URL, and invitation links use it.
"""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import console_errors, screenshot
from journey import (
    ANN,
    BOB,
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
    literal,
    main_text,
    mark_page,
    nav_link,
    no_alert_is_open,
    sign_out,
    sign_up,
    submit_button_of,
    wait,
    wait_for_next_page,
)


def open_members(driver, server):
    click_and_load(driver, nav_link(driver, "Members"))
    expect_url(driver, server.public_url + "/company/members")
    assert heading(driver) == "Members"


def role_select(driver, person: Person):
    return Select(labelled(driver, f"Role of {person.name}", "role"))


def member_row(driver, person: Person):
    """The part of the members list about `person`: around their role select, with their email."""
    select = labelled(driver, f"Role of {person.name}")
    return select.find_element(By.XPATH, f"./ancestor::*[contains(normalize-space(.), {literal(person.email)})][1]")


def change_role(driver, person: Person, role: str):
    """Picks `role` in the person's role select and presses that form's button ("Change")."""
    select = labelled(driver, f"Role of {person.name}", "role")
    Select(select).select_by_visible_text(role)
    change = submit_button_of(select)
    assert change.text == "Change"
    click_and_load(driver, change)


def listed_member_labels(driver) -> list[str]:
    """The "Role of <name>" labels: one per member whose role can be changed from this page."""
    labels = driver.find_elements(By.XPATH, "//label[starts-with(normalize-space(), 'Role of ')]")
    return [" ".join(label.get_attribute("textContent").split()) for label in labels]


# --- the journey ---------------------------------------------------------------------------------


def test_the_accounts_journey_across_two_browsers(server, open_browser):
    owner = open_browser()

    # 1. Ann creates her company.
    sign_up(owner, server, ANN)
    assert heading(owner) == f"Welcome, {ANN.name}"
    assert ANN.company in main_text(owner)
    assert ANN.name in header_text(owner) and ANN.company in header_text(owner)
    expect_message(owner, "Welcome to OAG. Your company is ready.")
    assert console_errors(owner) == []

    # 2. She signs out; the dashboard is now behind the sign-in page.
    sign_out(owner, server)
    expect_message(owner, "You are signed out.")
    assert heading(owner) == "Sign in"
    assert ANN.name not in header_text(owner)
    owner.get(server.public_url + "/dashboard")
    expect_url(owner, server.public_url + "/login?next=/dashboard")

    # 3. A wrong password is refused and the email is kept; the right one leads to the dashboard.
    fill_sign_in(owner, ANN, "not my password at all 1")
    expect_message(owner, "The email or password is not right.")
    assert labelled(owner, "Email", "email").get_attribute("value") == ANN.email
    assert labelled(owner, "Password", "password").get_attribute("value") == ""
    fill_sign_in(owner, ANN, ANN.password)
    expect_url(owner, server.public_url + "/dashboard")
    expect_message(owner, "You are signed in.")
    assert heading(owner) == f"Welcome, {ANN.name}"

    # 4. She invites Bob as an admin and gets the link to send him.
    open_members(owner, server)
    invite = button(owner, "Create invitation")
    form = invite.find_element(By.XPATH, "./ancestor::form[1]")
    labelled(owner, "Email", "email", within=form).send_keys(BOB.email)
    Select(labelled(owner, "Role", "role", within=form)).select_by_visible_text("Admin")
    click_and_load(owner, invite)
    link_field = wait(owner).until(EC.visibility_of_element_located((By.ID, "invitation-link")))
    assert link_field.get_attribute("readonly") is not None
    link = link_field.get_attribute("value")
    assert link.startswith(server.public_url + "/invitations/"), link

    # 5. Bob, in a browser of his own, opens the link and joins with a new account.
    invitee = open_browser()
    invitee.get(link)
    assert heading(invitee) == f"Join {ANN.company}"
    join = button(invitee, "Create account and join")
    form = join.find_element(By.XPATH, "./ancestor::form[1]")
    assert BOB.email in [field.get_attribute("value") for field in form.find_elements(By.TAG_NAME, "input")]
    form.find_element(By.NAME, "name").send_keys(BOB.name)
    form.find_element(By.NAME, "password").send_keys(BOB.password)
    click_and_load(invitee, join)
    expect_url(invitee, server.public_url + "/dashboard")
    expect_message(invitee, "You joined the company.")
    assert heading(invitee) == f"Welcome, {BOB.name}"
    assert ANN.company in main_text(invitee)
    assert "Admin" in main_text(invitee) and "Admin" in header_text(invitee)

    # 6. Ann sees Bob among the members and makes him a plain member.
    open_members(owner, server)
    row = member_row(owner, BOB)
    assert BOB.name in row.text and BOB.email in row.text
    assert role_select(owner, BOB).first_selected_option.text == "Admin"
    change_role(owner, BOB, "Member")
    expect_message(owner, "The role is changed.")
    assert role_select(owner, BOB).first_selected_option.text == "Member"

    # 7. She removes him, confirming in the row's disclosure.
    row = member_row(owner, BOB)
    confirm = row.find_element(By.XPATH, ".//details[summary[normalize-space()='Remove']]")
    remove = button(confirm, f"Remove {BOB.name}")
    assert not remove.is_displayed(), "removing needs the confirmation opened first"
    click(owner, confirm.find_element(By.TAG_NAME, "summary"))
    wait(owner).until(EC.element_to_be_clickable(remove))
    click_and_load(owner, remove)
    expect_message(owner, "The member was removed from the company.")
    assert f"Role of {BOB.name}" not in listed_member_labels(owner)
    assert BOB.email not in main_text(owner)
    assert f"Role of {ANN.name}" in listed_member_labels(owner)

    # 8. Bob's open dashboard no longer lets him in.
    assert invitee.current_url == server.public_url + "/dashboard"
    mark_page(invitee)
    invitee.refresh()
    wait_for_next_page(invitee)
    page = invitee.find_element(By.TAG_NAME, "body").text
    sent_to_sign_in = invitee.current_url.startswith(server.public_url + "/login")
    refused = "403" in page and "You are not a member of any company" in page
    print(f"after removal, {BOB.name}'s reload of /dashboard ends at {invitee.current_url}: {page!r}")
    assert sent_to_sign_in or refused, f"after removal {invitee.current_url} shows:\n{page}"
    assert f"Welcome, {BOB.name}" not in page
    assert ANN.company not in page


# --- rules and edge cases ------------------------------------------------------------------------


def test_the_last_owner_cannot_demote_themselves(server, browser):
    sign_up(browser, server, ANN)
    open_members(browser, server)
    assert role_select(browser, ANN).first_selected_option.text == "Owner"

    change_role(browser, ANN, "Member")
    expect_message(browser, "A company needs at least one owner. Make someone else an owner first.")
    assert role_select(browser, ANN).first_selected_option.text == "Owner"
    assert "Owner" in header_text(browser)
    click_and_load(browser, nav_link(browser, "Dashboard"))
    assert "Owner" in main_text(browser)


def test_html_in_names_is_shown_as_text(server, browser):
    person = Person(
        "<script>alert(1)</script>", "mallory@example.com", "correct horse battery 42",
        '<img src=x onerror="alert(2)"> & <b>Co</b>')
    sign_up(browser, server, person)

    assert no_alert_is_open(browser)
    assert heading(browser) == f"Welcome, {person.name}"
    assert person.company in main_text(browser)
    assert person.name in header_text(browser) and person.company in header_text(browser)
    injected = browser.execute_script(
        "return document.querySelectorAll('img[onerror], main b, header b').length"
        " + [...document.scripts].filter(s => s.textContent.includes('alert(')).length")
    assert injected == 0, "the names became markup"

    open_members(browser, server)
    assert no_alert_is_open(browser)
    assert person.name in member_row(browser, person).text
    assert person.company in main_text(browser)
    assert console_errors(browser) == [], "nothing ran into the Content Security Policy either"


def test_signing_in_with_the_keyboard_only(server, open_browser):
    sign_up(open_browser(), server, ANN)

    browser = open_browser()
    browser.get(server.public_url + "/login")
    keys = ActionChains(browser)
    visited = []
    for _ in range(20):
        keys.send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        visited.append(focused.get_attribute("name") or focused.text or focused.tag_name)
        if focused.get_attribute("name") == "email":
            break
    else:
        raise AssertionError(f"Tab never reached the email field; it went through {visited}")
    keys.send_keys(ANN.email).perform()
    keys.send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.get_attribute("name") == "password", "Tab goes from email to password"
    mark_page(browser)
    keys.send_keys(ANN.password).send_keys(Keys.ENTER).perform()
    wait_for_next_page(browser)
    expect_url(browser, server.public_url + "/dashboard")
    expect_message(browser, "You are signed in.")
    assert heading(browser) == f"Welcome, {ANN.name}"


def test_account_pages_fit_a_phone(server, browser):
    browser.set_window_size(390, 844)
    assert browser.execute_script("return window.innerWidth") <= 390
    overflowing = []

    def fits(name: str):
        screenshot(browser, name)
        overflow = horizontal_overflow(browser)
        if overflow > 0:
            overflowing.append(f"{browser.current_url} scrolls sideways by {overflow}px (screenshot {name}.png)")

    browser.get(server.public_url + "/signup")
    fits("signup-phone")
    browser.get(server.public_url + "/login")
    fits("login-phone")
    fill_sign_in(browser, ANN, "no account has this password")
    expect_message(browser, "The email or password is not right.")
    fits("login-error-phone")

    sign_up(browser, server, ANN)
    fits("dashboard-phone")
    browser.get(server.public_url + "/company/members")
    assert heading(browser) == "Members"
    fits("members-phone")

    invite = button(browser, "Create invitation")
    labelled(browser, "Email", "email", within=invite.find_element(By.XPATH, "./ancestor::form[1]")).send_keys(BOB.email)
    click_and_load(browser, invite)
    wait(browser).until(EC.visibility_of_element_located((By.ID, "invitation-link")))
    fits("members-invitation-phone")

    assert overflowing == [], "\n".join(overflowing)
