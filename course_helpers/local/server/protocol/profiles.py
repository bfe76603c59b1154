"""Model profiles: what OpenAI's API accepts for each chat model name, as data, and the rules that read it.

The local server answers every chat model name with the one local model, so
without profiles ``model="gpt-6-luna", temperature=0.2`` would work locally
and fail on OpenAI. With them, the local server answers what OpenAI would
answer for that model (status, ``type``, ``param``, ``code`` and wording), so a
lesson run locally breaks where it would break for real. A profile is looked
up by name; a dated snapshot (``gpt-4o-mini-2024-07-18``) shares its alias's
profile; a name without a profile (``my-local-model``, the local model's own
name) gets no rules at all. A model whose shutdown date (read from the SDK,
:mod:`course_helpers.course.model_ages`) is past is a 404, as on OpenAI.

Reasoning models take ``reasoning_effort`` (Chat Completions) or
``reasoning.effort`` (Responses). The local model does not reason: the effort
is checked as OpenAI checks it and then has no effect on the reply, and
``usage`` reports 0 reasoning tokens.

>>> profile_for("gpt-6-luna").default_effort, profile_for("gpt-4o-mini-2024-07-18").reasoning
('medium', False)
>>> profile_for("my-local-model") is None
True

Sources are in the comments next to the table: ``SDK`` is openai-python 3.60.0
(paths under ``openai/``), URLs as gathered in the course's API fact sheet
(2026-12-04); "(3p)" marks a third-party page, "NOT CONFIRMED" a rule no
source states for that model.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ....course.model_ages import is_shut_down
from ..errors import APIError, invalid_request, not_found

if TYPE_CHECKING:
    from .chat import ChatCompletionRequest
    from .responses import ResponsesCreateRequest

__all__ = [
    "PROFILES",
    "REPLACEMENTS",
    "Profile",
    "check_chat",
    "check_model_alive",
    "check_responses",
    "effective_effort",
    "profile_for",
]

# SDK types/shared/reasoning_effort.py:8: every value the API knows; "Not all reasoning models support every value".
ANY_EFFORT = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
NONE_TO_MAX = ("none", "low", "medium", "high", "xhigh", "max")
LOW_TO_MAX = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class Profile:
    """What one model accepts. The defaults are a non-reasoning model that takes every parameter."""

    efforts: tuple[str, ...] = ()  # the reasoning_effort values it takes; () = not a reasoning model
    default_effort: str | None = None  # the effort when none is sent (None: not documented)
    sampling_efforts: tuple[str, ...] | None = None  # temperature, top_p, logprobs only at these efforts; None: always
    rejects_max_tokens: bool = False  # Chat Completions' old max_tokens is a 400 (max_completion_tokens works)
    rejects_n: bool = False  # an explicit n, even n=1, is a 400
    chat_tools_efforts: tuple[str, ...] | None = None  # Chat Completions function tools only at these efforts

    @property
    def reasoning(self) -> bool:
        return bool(self.efforts)


# Non-reasoning models: no reasoning_effort, everything else as in the lessons.
# Source: SDK types/chat/completion_create_params.py:196-205 (max_tokens, deprecated but accepted) and
# fact sheet §5 "gpt-4o-mini accepts it until 2027-01-14". The reasoning_effort 400's wording is
# NOT CONFIRMED for these models (it is OpenAI's "Unsupported parameter" shape, §2.4).
_CLASSIC = Profile()

# GPT-6 Luna and Sol. Efforts none..max, default medium: official gpt-6-luna page
# https://developers.openai.com/ja-JP/api/docs/models/gpt-6-luna (gpt-6-sol: https://docs.litellm.ai/blog/gpt_6_sol_luna (3p)).
# Sampling only at effort none: official deployment checklist
# https://developers.openai.com/api/docs/guides/deployment-checklist ("When reasoning effort is not none, remove
# temperature, top_p, and top_logprobs; also remove logprobs"). Chat function tools only at none: same checklist.
# max_tokens rejected: https://github.com/BerriAI/litellm/pull/39631 (3p), NOT CONFIRMED by a direct quote for luna/sol.
# Structured outputs (response_format json_schema, text.format): supported, https://docs.oxen.ai/inference-api/
# reference/models/gpt-6-luna.md (3p); at every effort NOT CONFIRMED, but no restriction is reported, so no rule.
# logit_bias and the penalties: NOT CONFIRMED for GPT-6 (older reasoning models refused them); no rule either.
# n rejected: SDK types/chat/completion_create_params.py:237 "Newer models reject an explicit `n`", NOT CONFIRMED
# which models are "newer".
_GPT6_WITH_NONE = Profile(
    efforts=NONE_TO_MAX,
    default_effort="medium",
    sampling_efforts=("none",),
    rejects_max_tokens=True,
    rejects_n=True,
    chat_tools_efforts=("none",),
)
# GPT-6 Astra and GPT-6.1 Sol: no effort none (https://github.com/CopilotKit/CopilotKit/pull/7191 (3p), quoting the
# astra docs; the official checklist and https://github.com/yologdev/yoagent/releases/tag/v0.27.4 (3p) for 6.1 Sol),
# hence never temperature, top_p or logprobs (checklist; astra: CopilotKit quote). Default medium: NOT CONFIRMED.
# max_tokens: litellm PR #39631 (3p, astra). n: SDK :237, NOT CONFIRMED.
# Function tools on Chat Completions: never ("GPT-6 Astra and GPT-6.1 Sol require Responses for tool calling",
# official deployment checklist, fact sheet §2.1).
_GPT6_WITHOUT_NONE = Profile(
    efforts=LOW_TO_MAX,
    default_effort="medium",
    sampling_efforts=(),
    rejects_max_tokens=True,
    rejects_n=True,
    chat_tools_efforts=(),
)
# gpt-6.2-astra, gpt-6.2-sol, gpt-6.1-terra: which efforts they take is NOT CONFIRMED (every SDK value passes).
# "No GPT-6 model defaults to none" (yoagent v0.27.4 (3p)); the checklist's sampling rule is for GPT-6 generally
# (Inferred); 6.1 Terra rejects temperature via Responses (3p:
# https://dev.to/aihubmix/gpt-61-terra-migration-for-api-clients-the-400s-the-silent-no-ops-and-a-working-codex-config-45bk).
_GPT6_OTHER = Profile(
    efforts=ANY_EFFORT, default_effort="medium", sampling_efforts=("none",), rejects_max_tokens=True, rejects_n=True
)
# gpt-5.6-luna: efforts as quoted in its 400 (https://github.com/experientiallabs/experiential/issues/764 (3p));
# temperature works at none (https://github.com/anomalyco/models.dev/issues/6639 (3p)) and is refused otherwise
# (https://github.com/warmbly/warmbly/pull/513 (3p)), so its default is not none; "medium" is NOT CONFIRMED.
# max_tokens: https://github.com/TraceApps/nutritrace/pull/115 (3p). Chat tools only at none:
# https://github.com/ItzCrazyKns/Vane/issues/1173 (3p). n: SDK :237, NOT CONFIRMED.
_GPT56_LUNA = _GPT6_WITH_NONE
# gpt-5.6-sol, gpt-5.6-terra: max_tokens rejected by gpt-5.6-* (fact sheet §5, live reports (3p)); their efforts,
# default and sampling rule are NOT CONFIRMED, so no sampling rule. n: SDK :237, NOT CONFIRMED.
_GPT56_OTHER = Profile(efforts=ANY_EFFORT, rejects_max_tokens=True, rejects_n=True)
# gpt-5, gpt-5-mini, gpt-5-nano: minimal/low/medium/high, default medium (the SDK's earlier reasoning docstring, e.g.
# https://typehub.cloud/s/sdkfabric/openai/0.2.1/Response_Reasoning (3p)); temperature only its default 1 and
# max_tokens rejected (https://github.com/owndev/Open-WebUI-Functions/issues/98, https://github.com/fish2018/YPrompt/issues/26 (3p)).
_GPT5 = Profile(
    efforts=("minimal", "low", "medium", "high"), default_effort="medium", sampling_efforts=(), rejects_max_tokens=True
)
# o3: max_tokens "is not compatible with o-series models" (SDK completion_create_params.py:196-205); low/medium/high
# and no sampling parameters: NOT CONFIRMED in the fact sheet (as for the other o-series models).
_O_SERIES = Profile(
    efforts=("low", "medium", "high"), default_effort="medium", sampling_efforts=(), rejects_max_tokens=True
)
# gpt-5.1 .. gpt-5.5: reasoning models whose effort values and sampling rules the fact sheet does not settle
# (NOT CONFIRMED); gpt-5.5 and gpt-5.4 accept max_tokens (https://github.com/aws-samples/sample-apj-sup-sa/pull/231 (3p)).
_GPT5X = Profile(efforts=ANY_EFFORT)

# Alias -> profile. Snapshots (alias-YYYY-MM-DD) share their alias's profile (see profile_for).
PROFILES: dict[str, Profile] = {
    **dict.fromkeys(["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"], _CLASSIC),
    **dict.fromkeys(["gpt-6-luna", "gpt-6-sol"], _GPT6_WITH_NONE),
    **dict.fromkeys(["gpt-6-astra", "gpt-6.1-sol"], _GPT6_WITHOUT_NONE),
    **dict.fromkeys(["gpt-6.2-astra", "gpt-6.2-sol", "gpt-6.1-terra"], _GPT6_OTHER),
    "gpt-5.6-luna": _GPT56_LUNA,
    **dict.fromkeys(["gpt-5.6-sol", "gpt-5.6-terra"], _GPT56_OTHER),
    **dict.fromkeys(["gpt-5", "gpt-5-mini", "gpt-5-nano"], _GPT5),
    "o3": _O_SERIES,
    **dict.fromkeys(
        ["gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.2", "gpt-5.2-pro", "gpt-5.1"], _GPT5X
    ),
}

# OpenAI's recommended replacement, named in the 404 once a model is shut down (alias; snapshots share it).
# The audio models' profiles are in .audio_profiles; their replacements are here, so one table names them all.
REPLACEMENTS = {
    "gpt-4o-mini": "gpt-6-luna",  # dev.to/max_bob, dev.to/importstatic, codersera (3p); official row NOT CONFIRMED
    "gpt-5": "gpt-6.1-sol",  # official https://developers.openai.com/api/docs/deprecations?translationFallback=zh-Hans
    "gpt-5-mini": "gpt-6.1-terra",  # the same official page
    # Speech models: SDK resources/audio/speech.py:72-78 ("migrate to `gpt-realtime-2.1-mini` through the Realtime API")
    **dict.fromkeys(["tts-1", "tts-1-hd", "gpt-4o-mini-tts"], "gpt-realtime-2.1-mini"),
    # Transcription models: the deprecations page lists "gpt-live-transcribe or gpt-transcribe" (quoted by
    # https://www.developersdigest.tech/blog/whisper-1-gpt-4o-transcribe-deprecation (3p)); for a file, gpt-transcribe
    **dict.fromkeys(
        ["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-transcribe-diarize"], "gpt-transcribe"
    ),
    # Realtime models: https://docs.retellai.com/deprecation-notice/2027/01-19_model_replacements (3p); the official
    # rows are NOT CONFIRMED, and gpt-audio-mini's replacement is not known (it gets no sentence).
    "gpt-realtime": "gpt-realtime-2.1",
    "gpt-realtime-mini": "gpt-realtime-2.1-mini",
}
# How to reach a replacement that another endpoint serves (after 2027-01-06 the Speech endpoint has no model left).
_REPLACEMENT_ROUTES = dict.fromkeys(
    ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"],
    "through the Realtime API (`client.realtime.connect`, /v1/realtime); /v1/audio/speech does not serve it",
)
_DEPRECATIONS_URL = "https://developers.openai.com/api/docs/deprecations"
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def _alias(model: str) -> str:
    return _SNAPSHOT.sub("", model)


def profile_for(model: str) -> Profile | None:
    """The profile of ``model`` (a snapshot shares its alias's), or None: no rules for that name."""
    return PROFILES.get(model) or PROFILES.get(_alias(model))


def check_model_alive(model: str, today: datetime.date | None = None) -> None:
    """A 404 ``model_not_found``, in OpenAI's words, for a model whose shutdown date is past.

    OpenAI's wording for a shut-down model ("The model `text-davinci-003` has been deprecated, learn more
    here: ...", 404, param null) as reported in https://github.com/openai/openai-quickstart-node/issues/127
    and https://github.com/hkjang/node-red-contrib-openai/issues/7 (3p); the replacement sentence is ours.

    >>> check_model_alive("o4-mini", today=datetime.date(2026, 12, 4))
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: The model `o4-mini` has been deprecated, learn more here: https://developers.openai.com/api/docs/deprecations
    """
    if not is_shut_down(model, today):
        return
    message = f"The model `{model}` has been deprecated, learn more here: {_DEPRECATIONS_URL}"
    alias = _alias(model)
    replacement = REPLACEMENTS.get(alias)
    if replacement:
        route = _REPLACEMENT_ROUTES.get(alias)
        message += f" OpenAI's recommended replacement is `{replacement}`" + (f", {route}." if route else ".")
    raise not_found(message, code="model_not_found")


def effective_effort(profile: Profile | None, given: str | None) -> str | None:
    """The reasoning effort a request runs at: the one given, else the model's default (None: not reasoning)."""
    if profile is None or not profile.reasoning:
        return None
    return given if given is not None else profile.default_effort


def _listed(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _unsupported_parameter(param: str) -> APIError:
    # https://github.com/can1357/oh-my-pi/issues/5606, https://github.com/fish2018/YPrompt/issues/26 (3p)
    return invalid_request(
        f"Unsupported parameter: '{param}' is not supported with this model.", param=param, code="unsupported_parameter"
    )


def _check_effort(model: str, profile: Profile, given: str | None, param: str) -> None:
    if given is None:
        return
    if not profile.reasoning:
        raise _unsupported_parameter(param)
    if given not in profile.efforts:  # wording: https://github.com/experientiallabs/experiential/issues/764 (3p)
        raise invalid_request(
            f"Unsupported value: '{given}' is not supported with the '{model}' model. "
            f"Supported values are: {_listed(profile.efforts)}.",
            param=param,
            code="unsupported_value",
        )


def _number(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _temperature_only_default(request: Any) -> APIError | None:
    # https://github.com/owndev/Open-WebUI-Functions/issues/98, https://github.com/warmbly/warmbly/pull/513 (3p)
    if request.temperature == 1:
        return None
    return invalid_request(
        f"Unsupported value: 'temperature' does not support {_number(request.temperature)} with this model. "
        "Only the default (1) value is supported.",
        param="temperature",
        code="unsupported_value",
    )


def _refused(param: str) -> Callable[[Any], APIError | None]:
    """The rule "any value given for ``param`` is an unsupported parameter" (logprobs: only ``true`` counts)."""

    def check(request: Any) -> APIError | None:
        if param not in request.model_fields_set or (param == "logprobs" and not request.logprobs):
            return None
        return _unsupported_parameter(param)

    return check


# The sampling parameters a reasoning model refuses unless its effort allows them, in the order they are reported.
# top_p's wording: https://github.com/mnfst/modelparams.dev/pull/356 (3p); logprobs and top_logprobs: the same
# shape, NOT CONFIRMED. Responses: https://github.com/can1357/oh-my-pi/issues/5606 (3p, temperature).
CHAT_SAMPLING_RULES = (_temperature_only_default, _refused("top_p"), _refused("logprobs"), _refused("top_logprobs"))
RESPONSES_SAMPLING_RULES = (_refused("temperature"), _refused("top_p"), _refused("top_logprobs"))


def _check_sampling(
    profile: Profile, effort: str | None, rules: tuple[Callable[[Any], APIError | None], ...], request: Any
) -> None:
    if profile.sampling_efforts is None or effort in profile.sampling_efforts:
        return
    for rule in rules:
        error = rule(request)
        if error is not None:
            raise error


def check_chat(request: ChatCompletionRequest, today: datetime.date | None = None) -> Profile | None:
    """OpenAI's rules for ``request.model`` on Chat Completions; the profile (None: no rules), or an APIError.

    >>> from .chat import parse_chat_completion
    >>> parse_chat_completion({"model": "gpt-6-luna", "temperature": 0.2,
    ...                        "messages": [{"role": "user", "content": "Hi"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Unsupported value: 'temperature' does not support 0.2 with this model. ...
    """
    check_model_alive(request.model, today)
    profile = profile_for(request.model)
    if profile is None:
        return None
    _check_effort(request.model, profile, request.reasoning_effort, "reasoning_effort")
    if profile.rejects_max_tokens and "max_tokens" in request.model_fields_set:
        raise invalid_request(  # https://github.com/fish2018/YPrompt/issues/26, TraceApps/nutritrace#115 (3p)
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    if profile.rejects_n and "n" in request.model_fields_set:
        raise _unsupported_parameter("n")  # wording NOT CONFIRMED (SDK completion_create_params.py:237)
    effort = effective_effort(profile, request.reasoning_effort)
    _check_sampling(profile, effort, CHAT_SAMPLING_RULES, request)
    if profile.chat_tools_efforts == () and request.tools:
        raise invalid_request(  # the rule is official (checklist); this wording is NOT CONFIRMED
            f"Function tools are not supported for {request.model} in /v1/chat/completions. "
            "To use function tools, use /v1/responses.",
            param="tools",
        )
    if profile.chat_tools_efforts is not None and request.tools and effort not in profile.chat_tools_efforts:
        raise invalid_request(  # https://github.com/ItzCrazyKns/Vane/issues/1173 (3p, gpt-5.6-luna; GPT-6 alike)
            f"Function tools with reasoning_effort are not supported for {request.model} in /v1/chat/completions. "
            "To use function tools, use /v1/responses or set reasoning_effort to 'none'.",
            param="reasoning_effort",
        )
    return profile


def check_responses(request: ResponsesCreateRequest, today: datetime.date | None = None) -> Profile | None:
    """OpenAI's rules for ``request.model`` on Responses; the profile (None: no rules), or an APIError."""
    check_model_alive(request.model, today)
    profile = profile_for(request.model)
    if profile is None:
        return None
    given = request.reasoning.effort if request.reasoning is not None else None
    _check_effort(request.model, profile, given, "reasoning.effort")
    _check_sampling(profile, effective_effort(profile, given), RESPONSES_SAMPLING_RULES, request)
    return profile
