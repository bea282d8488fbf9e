"""Steps of the browser journeys, found the way a person (or a screen reader) finds things: by
label, field name, button text, id and visible text, not by CSS classes."""

from dataclasses import dataclass

import secret_registry

from selenium.common.exceptions import NoAlertPresentException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 10


@dataclass
class Person:
    name: str
    email: str
    password: str
    company: str = ""

    def __post_init__(self):
        secret_registry.remember(self.password)


ANN = Person("Ann Owner", "ann@example.com", "correct horse battery 42", "Acme Rockets")
BOB = Person("Bob Builder", "bob@example.com", "purple tractor under moonlight 7")


# --- finding things the way a person does -------------------------------------------------


def literal(text: str) -> str:
    """`text` as an XPath string literal, whatever quotes it holds."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def wait(driver, timeout: float = WAIT_SECONDS) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def labelled(driver, label: str, name: str | None = None, within=None):
    """The form control that the <label> with this text names (visually hidden labels too)."""
    root = within if within is not None else driver
    label_element = root.find_element(By.XPATH, f".//label[normalize-space()={literal(label)}]")
    target = label_element.get_attribute("for")
    control = (
        driver.find_element(By.ID, target) if target
        else label_element.find_element(By.XPATH, ".//*[self::input or self::select or self::textarea]"))
    if name is not None:
        assert control.get_attribute("name") == name, f"the field labelled {label!r} is posted as {name!r}"
    return control


def button(within, text: str):
    return within.find_element(By.XPATH, f".//button[normalize-space()={literal(text)}]")


def nav_link(driver, text: str):
    return driver.find_element(By.XPATH, f"//nav//a[normalize-space()={literal(text)}]")


def submit_button_of(control):
    return control.find_element(By.XPATH, "./ancestor::form[1]//*[(self::button or self::input) and @type='submit']")


def click(driver, element):
    """Scrolls `element` to the middle of the window at once, as a person would before clicking it.

    The stylesheet turns on smooth scrolling, and WebDriver's own scrolling then clicks before
    the page has arrived ("element click intercepted"), so the scroll is made instant here.
    """
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'})", element)
    wait(driver).until(EC.element_to_be_clickable(element))
    element.click()


def mark_page(driver):
    """Tags the current document, so that `wait_for_next_page` can tell when another one replaced it."""
    driver.execute_script("window.__oagOldPage = true")


def wait_for_next_page(driver):
    """Waits until the marked document is gone and the next one has loaded.

    While Chromium swaps documents, WebDriver calls can fail in passing (stale element,
    "Node with given id does not belong to the document", no execution context): those are retried.
    """
    def loaded(d):
        return d.execute_script("return window.__oagOldPage !== true && document.readyState === 'complete'")

    WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(loaded, "the next page did not load")


def click_and_load(driver, element):
    """Clicks something that loads a new page and waits until that page is there."""
    mark_page(driver)
    click(driver, element)
    wait_for_next_page(driver)


def main_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def header_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "header").text


def heading(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def expect_message(driver, message: str):
    """A flash or form message, announced to screen readers (role status or alert) and visible."""
    locator = (By.XPATH, f"//*[@role='status' or @role='alert'][normalize-space()={literal(message)}]")
    try:
        return wait(driver).until(EC.visibility_of_element_located(locator))
    except TimeoutException:
        page = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"the message {message!r} did not show at {driver.current_url}; the page says:\n{page}") from None


def expect_url(driver, url: str):
    try:
        wait(driver).until(EC.url_to_be(url))
    except TimeoutException:
        page = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"expected to be at {url} but the browser is at {driver.current_url}, showing:\n{page}") from None


def horizontal_overflow(driver) -> int:
    return driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")


def no_alert_is_open(driver) -> bool:
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


# --- steps shared by the tests -----------------------------------------------------------------


def sign_up(driver, server, person: Person):
    driver.get(server.public_url + "/signup")
    labelled(driver, "Your name", "name").send_keys(person.name)
    labelled(driver, "Company name", "company_name").send_keys(person.company)
    labelled(driver, "Work email", "email").send_keys(person.email)
    password = labelled(driver, "Password", "password")
    password.send_keys(person.password)
    click_and_load(driver, submit_button_of(password))
    expect_url(driver, server.public_url + "/dashboard")


def sign_out(driver, server):
    header = driver.find_element(By.TAG_NAME, "header")
    click_and_load(driver, button(header, "Sign out"))
    expect_url(driver, server.public_url + "/login")


def fill_sign_in(driver, person: Person, password: str):
    email = labelled(driver, "Email", "email")
    email.clear()
    email.send_keys(person.email)
    field = labelled(driver, "Password", "password")
    field.clear()
    field.send_keys(password)
    click_and_load(driver, submit_button_of(field))
