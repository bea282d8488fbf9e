"""Every secret the e2e tests create or hand to a server: passwords, cookies, API keys, provider keys,
OAuth codes and tokens, prompts and completions. When a server stops, `conftest.serve` searches its
whole log for all of them: logs carry request ids, never secrets (DESIGN.md, security rules).

Invitation and email-confirmation links are left out on purpose: without a mailer, plain-http
development writes them to the log (README, "Accounts"); test_security checks they stay out of the
log of an https deployment."""

import threading

# Shorter strings would match ordinary log text by chance; every secret the tests make is longer.
MINIMUM_LENGTH = 12

_lock = threading.Lock()
_secrets: set[str] = set()


def remember(*values) -> None:
    with _lock:
        _secrets.update(value for value in values if isinstance(value, str) and len(value) >= MINIMUM_LENGTH)


def leaked_into(text: str) -> list[str]:
    """The remembered secrets that occur in `text`."""
    with _lock:
        return sorted(secret for secret in _secrets if secret in text)
