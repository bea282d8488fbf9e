"""The gateway as a program sees it: the official `openai` Python package (a client nobody here
wrote) talks to `oag`'s /v1 with a company's API key, and `oag` talks to fakes of OpenAI,
Anthropic and DeepSeek. Whatever the provider behind a model, the program gets OpenAI's answers,
streams, token counts and exceptions."""

import openai
import pytest
from fake_llm import API_KEY, DEFAULT_REPLY, completion_tokens, prompt_tokens
from http_console import Console
from openai import OpenAI

PASSWORD = "correct horse battery 42"
SYSTEM = "You are terse and helpful."
QUESTION = "Does the gateway work?"
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]

# The model a program names, and the provider the gateway routes it to.
MODELS = {"gpt-4o-mini": "openai", "claude-haiku-4-5": "anthropic", "deepseek-chat": "deepseek"}


# --- the console, over plain HTTP ---------------------------------------------------------


def company_api_key(public_url: str) -> str:
    """Signs up a company with its owner, and creates an API key on /company/api-keys as she would."""
    console = Console(public_url).sign_up("ann@example.com", PASSWORD, "Ann Owner", "Acme Rockets")
    return console.create_api_key("SDK test")


@pytest.fixture
def client(server_with_llm):
    """An OpenAI SDK client pointed at the gateway with a fresh company key; no retries, so errors surface at once."""
    secret = company_api_key(server_with_llm.public_url)
    with OpenAI(base_url=server_with_llm.public_url + "/v1", api_key=secret, max_retries=0, timeout=30) as sdk:
        yield sdk


# --- what the fake should have billed ------------------------------------------------------


def expected_prompt_tokens(provider: str) -> int:
    """Anthropic takes the system message as its top-level `system`, so it bills no per-message
    overhead for it; OpenAI and DeepSeek bill it as one more message."""
    if provider == "anthropic":
        return prompt_tokens([m for m in MESSAGES if m["role"] != "system"], system=SYSTEM)
    return prompt_tokens(MESSAGES)


def last_upstream_request(fake_llm, provider: str):
    requests = fake_llm.requests(provider)
    assert requests, f"the gateway called {provider}"
    return requests[-1]


def assert_sent_to_provider(fake_llm, provider: str, model: str, *, stream: bool):
    """The provider got the request under its own model name, with the platform's key its own way."""
    sent = last_upstream_request(fake_llm, provider)
    assert sent.body["model"] == model
    assert sent.body.get("stream", False) is stream
    if provider == "anthropic":
        assert sent.headers["x-api-key"] == API_KEY
        assert "authorization" not in sent.headers
        assert sent.body["system"] == SYSTEM
        assert [m["role"] for m in sent.body["messages"]] == ["user"]
    else:
        assert sent.headers["authorization"] == f"Bearer {API_KEY}"
        assert [m["role"] for m in sent.body["messages"]] == ["system", "user"]
    # The company's oag_ key never leaves the gateway.
    assert not any("oag_" in value for value in sent.headers.values())


# --- the tests -----------------------------------------------------------------------------


def test_sdk_chats_with_every_provider_streaming_and_not(client, fake_llm):
    """A program using the official SDK lists the models, then asks gpt-4o-mini, claude-haiku-4-5
    and deepseek-chat the same question: each answers with the provider's reply and exact token
    counts, whole or streamed piece by piece, and a stream carries usage only when asked for."""
    listed = {model.id for model in client.models.list()}
    assert set(MODELS) <= listed, f"models offered: {sorted(listed)}"

    for model, provider in MODELS.items():
        prompt, completion = expected_prompt_tokens(provider), completion_tokens(DEFAULT_REPLY)

        answer = client.chat.completions.create(model=model, messages=MESSAGES)
        assert answer.object == "chat.completion"
        assert answer.model == model
        assert answer.choices[0].message.role == "assistant"
        assert answer.choices[0].message.content == DEFAULT_REPLY, model
        assert answer.choices[0].finish_reason == "stop"
        assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (
            prompt, completion, prompt + completion), model
        assert_sent_to_provider(fake_llm, provider, model, stream=False)

        chunks = list(client.chat.completions.create(
            model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
        text = "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)
        assert text == DEFAULT_REPLY, model
        assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"], model
        final = chunks[-1]
        assert final.choices == [] and final.usage is not None, f"{model}: the last chunk carries the usage"
        assert (final.usage.prompt_tokens, final.usage.completion_tokens, final.usage.total_tokens) == (
            prompt, completion, prompt + completion), model
        assert [c for c in chunks[:-1] if c.usage is not None] == [], f"{model}: only the last chunk carries usage"
        assert_sent_to_provider(fake_llm, provider, model, stream=True)

        chunks = list(client.chat.completions.create(model=model, messages=MESSAGES, stream=True))
        assert "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices) == DEFAULT_REPLY, model
        assert [c for c in chunks if c.usage is not None] == [], f"{model}: no usage unless the program asks for it"
        assert all(chunk.choices for chunk in chunks), f"{model}: no empty usage chunk unless asked for"


def test_sdk_raises_its_own_exceptions_for_gateway_errors(client, server_with_llm, fake_llm):
    """A wrong key raises the SDK's AuthenticationError (401) and an unknown model its NotFoundError
    (404), with OpenAI's error body; neither reaches a provider."""
    wrong = OpenAI(base_url=server_with_llm.public_url + "/v1", api_key="oag_not-a-real-key", max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert refused.value.status_code == 401
    assert isinstance(refused.value.body, dict) and refused.value.body.get("message"), refused.value.body
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()

    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-unheard-of", messages=MESSAGES)
    assert unknown.value.status_code == 404
    assert isinstance(unknown.value.body, dict) and unknown.value.body.get("message"), unknown.value.body
    with pytest.raises(openai.NotFoundError):
        list(client.chat.completions.create(model="gpt-unheard-of", messages=MESSAGES, stream=True))

    assert fake_llm.requests() == [], "refused requests never reach a provider"
