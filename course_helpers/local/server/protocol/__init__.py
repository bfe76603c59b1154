"""Every endpoint's request, declared once as typed models; OpenAI's errors from one translator.

- :mod:`.base`: the JSON field types (``Integer``, ``Decimal``) and base models;
- :mod:`.errors`: pydantic's validation errors in OpenAI's words (``parse``);
- :mod:`.content`: what chat and Responses share (message content, roles, model names);
- :mod:`.chat`, :mod:`.responses`, :mod:`.moderations`, :mod:`.audio`, :mod:`.tokenize`: the requests;
- :mod:`.structured`: ``response_format`` and ``text.format`` (JSON mode, JSON schemas, strict mode's rules);
- :mod:`.profiles`: what OpenAI accepts per model name (reasoning effort, sampling, shut-down models).

A request is parsed in two steps: the model checks each parameter's type and
range (pydantic), then a ``check_*`` function applies the rules between
parameters and what the local models refuse. Those rules read the parsed
model, so a rule of a model profile ("this model rejects ``temperature``")
is a lookup over ``request.model_fields_set`` (the parameters given, not
null), not another walk of the body:

>>> from .chat import parse_chat_completion
>>> request = parse_chat_completion({"model": "gpt-5.4-mini", "temperature": 0.5, "top_p": None,
...                                  "messages": [{"role": "user", "content": "Hi"}]})
>>> sorted(request.model_fields_set)
['messages', 'model', 'temperature']

Design after vLLM's ``vllm/entrypoints/openai/protocol.py``.
"""

from .errors import openai_error, parse

__all__ = ["openai_error", "parse"]
