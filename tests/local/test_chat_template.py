"""The chat template from the GGUF metadata: roles, default system prompt, generation prompt."""

from __future__ import annotations

import pytest

from course_helpers.local.chat_template import ChatTemplate, message_text
from course_helpers.local.engine import get_engine


@pytest.fixture(scope="module")
def render():
    return get_engine().render_chat


def test_generation_prompt_ends_the_text(render):
    prompt = render([{"role": "user", "content": "Hi"}])
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_default_system_prompt_when_none_given(render):
    assert render([{"role": "user", "content": "Hi"}]).startswith("<|im_start|>system\nYou are a helpful")


def test_developer_role_is_rendered_as_system(render):
    prompt = render([{"role": "developer", "content": "Answer in French."}, {"role": "user", "content": "Hi"}])
    assert prompt.startswith("<|im_start|>system\nAnswer in French.<|im_end|>")
    assert "helpful AI assistant" not in prompt


def test_multi_turn_keeps_order(render):
    prompt = render(
        [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "U1"},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "U2"},
        ]
    )
    assert prompt.index("U1") < prompt.index("A1") < prompt.index("U2")
    assert "<|im_start|>assistant\nA1<|im_end|>" in prompt


def test_content_parts_are_joined():
    assert message_text([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"


def test_template_runs_in_a_sandbox():
    from jinja2.exceptions import SecurityError

    evil = ChatTemplate("{{ messages.__class__.__mro__ }}")
    with pytest.raises(SecurityError):
        evil.render([{"role": "user", "content": "x"}])
