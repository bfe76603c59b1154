"""Function tools in a request: ``tools``, ``tool_choice``, ``parallel_tool_calls``, for both APIs.

Chat Completions nests a function (``{"type": "function", "function":
{"name", "description", "parameters", "strict"}}``), the Responses API does
not (``{"type": "function", "name", ...}``); both become :class:`Function`
specs, checked as OpenAI checks them (a name of letters, digits, ``_`` and
``-``, at most 64; parameters an object schema; a strict schema by the rules
of :func:`.structured.check_strict_schema`), and then one
:func:`~course_helpers.local.constraints.tool_calls` grammar. Other tool types
(web search, custom tools, ...) are declared and refused with a 400 naming them.

>>> specs = function_specs([Function(name="f", parameters={"type": "string"})], "tools[{index}].parameters")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
course_helpers.local.server.errors.APIError: Invalid schema for function 'f': schema must be a JSON Schema of 'type: "object"', got 'type: "string"'.

Sources (third-party reports of live errors): the schema errors' param 'tools[1].function.parameters' and code
'invalid_function_parameters' (https://github.com/evalstate/fast-agent/issues/143; Responses: 'tools[1].parameters',
https://github.com/kevinwatt/mysql-mcp/issues/5); "'tool_choice' is only allowed when 'tools' are specified"
(https://github.com/writer/writer-framework/pull/1013, relayed by another API: its param and code NOT CONFIRMED).
The wording for a named function missing from 'tools' and for 'parallel_tool_calls' without tools: NOT CONFIRMED.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError

from ...constraints import Constraint, grammar_error, tool_calls
from ..errors import invalid_request
from .base import JSONModel
from .errors import invalid_type, missing, rule
from .structured import FormatName, check_strict_schema

__all__ = [
    "ChatFunctionTool",
    "ChatTool",
    "ChatToolChoice",
    "Function",
    "ResponsesFunctionTool",
    "ResponsesTool",
    "ResponsesToolChoice",
    "check_tools_given",
    "choice_name",
    "function_specs",
    "tools_constraint",
]

CHOICES = ("none", "auto", "required")


class Function(JSONModel):
    """A function the model may call: its name, what it does, and the JSON schema of its arguments."""

    name: FormatName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ChatFunctionTool(JSONModel):
    """Chat's ``{"type": "function", "function": {...}}``."""

    type: Literal["function"]
    function: Function


class ResponsesFunctionTool(JSONModel):
    """Responses' ``{"type": "function", "name", "description", "parameters", "strict"}``.

    ``strict`` null or absent is taken as false (OpenAI's default for Responses: NOT CONFIRMED). The SDK's
    newer keys (``defer_loading``, ``allowed_callers``, ``output_schema``, ``async``) are accepted and ignored.
    """

    type: Literal["function"]
    name: FormatName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    defer_loading: bool | None = None
    allowed_callers: list[str] | None = None
    output_schema: dict[str, Any] | None = None
    async_: bool | None = Field(None, alias="async")

    @property
    def function(self) -> Function:
        return Function(name=self.name, description=self.description, parameters=self.parameters, strict=self.strict)


def _not_local(what: str) -> PydanticCustomError:
    return rule(
        "unsupported_parameter",
        f"Unsupported value: '{{param}}' is {what}. The local model (a small text-only chat model) calls "
        "function tools only. Use function tools, or the OpenAI backend for this feature.",
    )


def _function_only(tool: Any) -> Any:
    if not isinstance(tool, dict):
        raise invalid_type("an object")
    if "type" not in tool:
        raise missing("type")
    if tool["type"] != "function":
        raise _not_local(f"a tool of type '{tool['type']}'")
    return tool


ChatTool = Annotated[ChatFunctionTool, BeforeValidator(_function_only)]
ResponsesTool = Annotated[ResponsesFunctionTool, BeforeValidator(_function_only)]


class NamedChatFunction(JSONModel):
    name: str


class ChatNamedChoice(JSONModel):
    """Chat's ``{"type": "function", "function": {"name": ...}}``: call this function."""

    type: Literal["function"]
    function: NamedChatFunction


class ResponsesNamedChoice(JSONModel):
    """Responses' ``{"type": "function", "name": ...}``: call this function."""

    type: Literal["function"]
    name: str


def _choice_kind(value: Any) -> str:
    return "<mode>" if isinstance(value, str) else "<named>"


def _choice_check(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") not in (None, "function"):
        raise _not_local(f"a tool choice of type '{value['type']}'")
    return value


ChatToolChoice = Annotated[
    Annotated[Literal["none", "auto", "required"], Tag("<mode>")] | Annotated[ChatNamedChoice, Tag("<named>")],
    Discriminator(_choice_kind),
    BeforeValidator(_choice_check),
]
ResponsesToolChoice = Annotated[
    Annotated[Literal["none", "auto", "required"], Tag("<mode>")] | Annotated[ResponsesNamedChoice, Tag("<named>")],
    Discriminator(_choice_kind),
    BeforeValidator(_choice_check),
]


def choice_name(choice: str | ChatNamedChoice | ResponsesNamedChoice | None) -> str:
    """``"auto"``, ``"none"``, ``"required"``, or the name of the function a named choice forces."""
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        return choice
    return choice.function.name if isinstance(choice, ChatNamedChoice) else choice.name


def function_specs(functions: list[Function], parameters_param: str) -> list[dict[str, Any]]:
    """The functions as plain specs, each schema checked; ``parameters_param`` places an error (``{index}``)."""
    specs = []
    for index, function in enumerate(functions):
        spec = function.model_dump(exclude_none=True)
        name, parameters = spec["name"], spec.get("parameters")
        param = parameters_param.format(index=index)
        if parameters:  # {} (or none): no arguments
            if parameters.get("type") != "object":
                raise invalid_request(
                    f"Invalid schema for function '{name}': schema must be a JSON Schema of 'type: \"object\"', "
                    f"got 'type: \"{parameters.get('type')}\"'.",
                    param=param,
                    code="invalid_function_parameters",
                )
            if spec.get("strict"):
                check_strict_schema(parameters, name, param=param, code="invalid_function_parameters", of="function")
        specs.append(spec)
    return specs


def tools_constraint(specs: list[dict[str, Any]], choice: str, parallel: bool | None) -> Constraint | None:
    """The grammar of a reply under ``choice`` (None for ``"none"``); 400s for a choice the tools do not allow.

    A named choice must name one of the tools; ``parallel`` False allows one call at most.
    """
    if choice == "none":
        return None
    names = [spec["name"] for spec in specs]
    if choice not in CHOICES and choice not in names:
        raise invalid_request(  # wording NOT CONFIRMED
            f"Invalid value for 'tool_choice': function '{choice}' is not one of the functions in 'tools'.",
            param="tool_choice",
        )
    chosen = [spec for spec in specs if spec["name"] == choice] if choice not in CHOICES else specs
    constraint = tool_calls(chosen, required=choice != "auto", parallel=parallel is not False)
    problem = grammar_error(constraint.grammar)
    if problem:  # what llguidance cannot compile (a look-ahead in a pattern, an unknown format, a broken $ref)
        detail = " ".join(line.strip() for line in problem.splitlines() if line.strip())
        raise invalid_request(f"Invalid schema for the functions in 'tools': {detail}", param="tools")
    return constraint


def check_tools_given(tools: list[Any] | None, tool_choice: Any, parallel_tool_calls: bool | None) -> None:
    """``tool_choice`` and ``parallel_tool_calls`` only come with ``tools``, as OpenAI checks it (an empty list
    of tools, as some libraries send, counts as given)."""
    if tools is not None:
        return
    if tool_choice is not None:
        raise invalid_request(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    if parallel_tool_calls is not None:  # wording NOT CONFIRMED (the same shape as tool_choice's)
        raise invalid_request(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are "
            "specified.",
            param="parallel_tool_calls",
        )
