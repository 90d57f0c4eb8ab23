"""The rules a schema cannot say: roles and their order, what is trained, tool
calls paired with results, arguments, images, DPO and RFT shapes, empty contents.

Each check walks the parsed example once and tolerates any shape (the schema
findings already cover wrong types), because it also runs on invalid lines.
"""

from __future__ import annotations

import json

import jsonschema_rs
import orjson

from finetune_ls.core import rules as R
from finetune_ls.core.findings import Severity
from finetune_ls.core.images import MAX_IMAGES_PER_EXAMPLE, inspect_url
from finetune_ls.core.places import describe
from finetune_ls.core.report import LineReport, make_fix
from finetune_ls.core.roles import CHAT_ROLES, suggest_role
from finetune_ls.core.shapes import CHAT, REINFORCEMENT

_MAX_CACHED_TOOL_SCHEMAS = 256
_tool_validators: dict[bytes, object] = {}


def _no_network(uri: str):
    raise ValueError(f"finetune-ls does not fetch remote schemas ({uri})")


def _tool_validator(parameters: dict):
    """A cached validator for a tool's parameters schema, or the error text if invalid."""
    try:
        key = orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return "the schema cannot be serialised"
    cached = _tool_validators.get(key)
    if cached is None:
        try:
            cached = jsonschema_rs.validator_for(parameters, retriever=_no_network)
        except Exception as exc:  # noqa: BLE001 - any way a user schema can be broken
            cached = str(exc).split("\n", 1)[0]
        if len(_tool_validators) >= _MAX_CACHED_TOOL_SCHEMAS:
            _tool_validators.clear()
        _tool_validators[key] = cached
    return cached


def _is_blank(content: object) -> bool:
    if isinstance(content, str):
        return not content or content.isspace()
    if isinstance(content, list) and content:
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return len(texts) == len(content) and all(isinstance(t, str) and (not t or t.isspace()) for t in texts)
    return False


def _declared_functions(example: dict) -> tuple[dict[str, object] | None, dict[str, tuple]]:
    """Functions declared in tools/functions: name -> parameters, and name -> path of the declaration."""
    names: dict[str, object] = {}
    paths: dict[str, tuple] = {}
    present = False
    for key in ("tools", "functions"):
        entries = example.get(key)
        if not isinstance(entries, list):
            continue
        present = True
        for index, entry in enumerate(entries):
            function = entry.get("function") if key == "tools" and isinstance(entry, dict) else entry
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                names[function["name"]] = function.get("parameters")
                paths[function["name"]] = (key, index, "function", "parameters") if key == "tools" \
                    else (key, index, "parameters")
    return (names if present else None), paths


class _Conversation:
    """State while walking one list of messages."""

    def __init__(self, example: dict, report: LineReport, fmt: str, base: tuple = ()):
        self.example = example
        self.report = report
        self.fmt = fmt
        self.base = base  # path prefix of the messages list's owner (("input",) for DPO)
        self.declared, self.declared_paths = _declared_functions(example if not base else example.get("input") or {})
        self.open_calls: dict[str, tuple] = {}
        self.answered: set[str] = set()
        self.images = 0
        self.reported_schemas: set[str] = set()

    def where(self, path: tuple) -> str:
        text = describe(self.example, path)
        return text[0].upper() + text[1:]

    # ------------------------------------------------------------- messages
    def walk(self, messages: list) -> dict:
        facts = {"assistant": False, "user": False, "trained": False, "last_assistant": -1}
        conversation_started = False
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            path = self.base + ("messages", index)
            role = message.get("role")
            if role not in CHAT_ROLES:  # reported by the schema; read it as the role it most likely means
                role = suggest_role(role, CHAT_ROLES)
            if role == "assistant":
                facts["assistant"] = True
                facts["last_assistant"] = index
                self._close_calls()
                if self._weight(message, path):
                    facts["trained"] = True
                self._calls(message, path)
            elif role == "tool":
                self._tool_result(message, path)
            else:
                self._close_calls()
                if role == "user":
                    facts["user"] = True
                elif role in ("system", "developer"):
                    if conversation_started:
                        self.report.add(R.SYSTEM_NOT_FIRST, f"{self.where(path)} comes after the conversation started; "
                                        "put instructions at the start.", path + ("role",))
                    if role == "developer" and self.fmt == CHAT:
                        self.report.add(
                            R.DEVELOPER_ROLE_IN_SFT,
                            'OpenAI\'s supervised format lists system, user, assistant, tool and function roles, not '
                            '"developer" (a reinforcement role); use "system".', path + ("role",),
                            fix=make_fix('Change the role to "system"',
                                         self.report.replace_value(path + ("role",), '"system"')))
            if role not in ("system", "developer"):
                conversation_started = True
            self._content(message, role, path)
        return facts

    def _weight(self, message: dict, path: tuple) -> bool:
        """Whether the message is trained on; reports float weights (1.0)."""
        weight = message.get("weight", 1)
        if type(weight) is float:
            meant = int(weight) if weight in (0.0, 1.0) else None
            if meant is None:
                message, severity = f"weight is {weight!r}; it must be the integer 0 or 1.", None
            else:  # 1.0 equals an allowed value: no source shows OpenAI refusing it (docs/rules.md)
                message = (f"weight is {weight!r}; write the integer {meant}. OpenAI documents the integers 0 and 1 "
                           f"and does not say whether it accepts {weight!r}.")
                severity = Severity.WARNING
            self.report.add(
                R.INVALID_WEIGHT, message, path + ("weight",), severity=severity,
                fix=make_fix(f"Write weight {meant}", self.report.replace_value(path + ("weight",), str(meant)))
                if meant is not None else None)
        return weight != 0

    def _content(self, message: dict, role: object, path: tuple) -> None:
        content = message.get("content")
        if _is_blank(content) and not (role == "assistant" and (message.get("tool_calls") or message.get("function_call"))):
            if role in ("system", "developer"):
                self.report.add(R.EMPTY_SYSTEM, f"{self.where(path)} is empty: it teaches nothing and is billed on "
                                "every example. Remove it or write the instructions.", path + ("content",))
            elif role in ("user", "assistant", "tool"):
                what = "the model learns to answer with nothing" if role == "assistant" else "there is nothing to answer"
                self.report.add(R.EMPTY_CONTENT, f"{self.where(path)} has empty content: {what}.", path + ("content",))
        if isinstance(content, list):
            for part_index, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "image_url":
                    self.images += 1
                    if role == "user":
                        self._image(part, path + ("content", part_index))

    def _image(self, part: dict, path: tuple) -> None:
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str):
            return
        facts = inspect_url(url)
        rule = {"url": R.IMAGE_URL, "format": R.IMAGE_FORMAT, "format-guess": R.IMAGE_FORMAT,
                "size": R.IMAGE_TOO_LARGE}.get(facts.problem or "")
        if rule:
            # A URL's extension is only a guess at the format: a warning, not an error.
            severity = Severity.WARNING if facts.problem == "format-guess" else None
            self.report.add(rule, f"Image in {describe(self.example, path)}: {facts.detail_message}.",
                            path + ("image_url", "url"), severity=severity)

    # ------------------------------------------------------------- tool calls
    def _close_calls(self) -> None:
        for call_id, path in self.open_calls.items():
            self.report.add(R.UNANSWERED_TOOL_CALL,
                            f"Tool call \"{call_id}\" ({describe(self.example, path)}) gets no tool message before the "
                            "conversation goes on; add the tool's result right after the call.", path + ("id",))
        self.open_calls.clear()

    def _tool_result(self, message: dict, path: tuple) -> None:
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str):
            return
        if call_id in self.open_calls:
            del self.open_calls[call_id]
            self.answered.add(call_id)
        elif call_id not in self.answered:
            self.report.add(R.TOOL_RESULT_WITHOUT_CALL,
                            f"tool_call_id \"{call_id}\" matches no earlier tool call of the assistant. OpenAI's chat "
                            "API refuses such a conversation; whether fine-tuning does is not documented.", path + ("tool_call_id",))

    def _calls(self, message: dict, path: tuple) -> None:
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            ids_here: set[str] = set()
            for index, call in enumerate(calls):
                if not isinstance(call, dict):
                    continue
                call_path = path + ("tool_calls", index)
                call_id = call.get("id")
                if isinstance(call_id, str):
                    if call_id in ids_here:
                        self.report.add(R.DUPLICATE_TOOL_CALL_ID, f"Two tool calls in {describe(self.example, path)} "
                                        f"share the id \"{call_id}\"; give each call its own id.", call_path + ("id",))
                    ids_here.add(call_id)
                    self.open_calls[call_id] = call_path
                function = call.get("function")
                if isinstance(function, dict):
                    self._function(function, call_path + ("function",))
        function_call = message.get("function_call")
        if isinstance(function_call, dict):
            self._function(function_call, path + ("function_call",))

    def _function(self, function: dict, path: tuple) -> None:
        name = function.get("name")
        parameters = None
        if isinstance(name, str):
            if self.declared is None:
                self.report.add(R.UNDECLARED_FUNCTION, f"The example calls \"{name}\" but declares no tools; add its "
                                "definition to \"tools\" so the model learns when and how to call it.", path + ("name",))
            elif name not in self.declared:
                known = ", ".join(sorted(self.declared)) or "none"
                self.report.add(R.UNDECLARED_FUNCTION, f"\"{name}\" is not declared in the example's tools or "
                                f"functions (declared: {known}).", path + ("name",))
            else:
                parameters = self.declared[name]
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            return
        arguments_path = path + ("arguments",)
        try:
            value = orjson.loads(arguments)
        except orjson.JSONDecodeError as exc:
            self.report.add(R.ARGUMENTS_INVALID_JSON, f"The arguments are not valid JSON ({str(exc).split(':')[0]}); "
                            "write the arguments object serialised as a string.", arguments_path)
            return
        if not isinstance(value, dict):
            self._arguments_not_object(value, arguments_path)
            return
        if isinstance(parameters, dict) and isinstance(name, str):
            self._match_parameters(name, value, parameters, arguments_path)

    def _arguments_not_object(self, value: object, path: tuple) -> None:
        fix = None
        if isinstance(value, str):
            try:
                inner = orjson.loads(value)
            except orjson.JSONDecodeError:
                inner = None
            if isinstance(inner, dict):
                fix = make_fix("Decode the double-encoded arguments",
                               self.report.replace_value(path, json.dumps(value, ensure_ascii=False)))
            message = ("The arguments are a JSON string that holds JSON again (encoded twice), not an object: "
                       "the model learns to emit a string. Encode the arguments object once.")
        else:
            message = f"The arguments are a JSON {type(value).__name__.replace('list', 'array')}, not an object."
        self.report.add(R.ARGUMENTS_NOT_OBJECT, message, path, fix=fix)

    def _match_parameters(self, name: str, value: dict, parameters: dict, path: tuple) -> None:
        validator = _tool_validator(parameters)
        if isinstance(validator, str):
            if name not in self.reported_schemas:
                self.reported_schemas.add(name)
                self.report.add(R.INVALID_TOOL_SCHEMA, f"The parameters of tool \"{name}\" are not a valid JSON "
                                f"Schema: {validator}.", self.declared_paths.get(name))
            return
        if validator.is_valid(value):
            return
        problems = [error.message for error in validator.iter_errors(value)][:3]
        self.report.add(R.ARGUMENTS_SCHEMA_MISMATCH, f"The arguments do not match the parameters of \"{name}\": "
                        + "; ".join(problems) + ".", path)


# ------------------------------------------------------------------ formats
# The instructions role, then the roles of the conversation itself.
_PLAIN_ROLES = {CHAT: ("system", frozenset(("user", "assistant"))),
                REINFORCEMENT: ("developer", frozenset(("user", "assistant")))}


def plain_conversation(example: dict, fmt: str) -> bool:
    """The common case, decided in one cheap pass: only {"role", "content": text}
    messages with everyday roles, in an order no rule objects to, and no other
    top-level data that needs validating. Such an example is valid against its
    schema by construction (tests/test_fast_path.py holds this against the
    schema), so the schema and the full walk are skipped; anything else takes
    them and gets precise findings."""
    if fmt == CHAT:
        if len(example) != 1:
            return False
    elif fmt != REINFORCEMENT or "tools" in example:
        return False
    messages = example.get("messages")
    if messages.__class__ is not list or not messages:
        return False
    instructions, conversation = _PLAIN_ROLES[fmt]
    started = False
    for message in messages:
        if message.__class__ is not dict or len(message) != 2:
            return False
        content = message.get("content")
        if content.__class__ is not str or not content or content.isspace():
            return False
        role = message.get("role")
        if role.__class__ is not str:
            return False
        if role == instructions:
            if started:
                return False
        elif role in conversation:
            started = True
        else:
            return False
    last = messages[-1]["role"]
    if fmt == REINFORCEMENT:
        return last != "assistant"
    return last == "assistant" and any(m["role"] == "user" for m in messages)


def check_chat(example: dict, report: LineReport, fmt: str = CHAT, max_images: int = MAX_IMAGES_PER_EXAMPLE,
               provider: str = "OpenAI") -> int:
    """Supervised chat (and the message rules of reinforcement data). Returns the image count."""
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return 0
    conversation = _Conversation(example, report, fmt)
    facts = conversation.walk(messages)
    if fmt == REINFORCEMENT:
        last = messages[-1]
        if isinstance(last, dict) and last.get("role") == "assistant":
            report.add(R.RFT_ENDS_WITH_ASSISTANT,
                       "The last message is the assistant's, but in reinforcement fine-tuning the model writes the "
                       "answer after the last message; end with a user or developer turn and put the expected "
                       'answer in a reference field (e.g. "reference_answer").', ("messages", len(messages) - 1))
    else:
        _supervised_facts(example, messages, facts, report)
    _too_many_images(conversation.images, report, max_images, provider)
    return conversation.images


def _supervised_facts(example: dict, messages: list, facts: dict, report: LineReport) -> None:
    if not facts["assistant"]:
        report.add(R.MISSING_ASSISTANT, "No assistant message: a supervised example needs the assistant's answer to "
                   "learn from. Add it as the last message.", ("messages",))
        return
    if not facts["trained"]:
        report.add(R.NOTHING_TRAINED, "Every assistant message has weight 0: nothing is trained, but the tokens are "
                   "billed. Set weight 1 on the answer to learn from.", ("messages",))
    if not facts["user"]:
        report.add(R.MISSING_USER, "No user message: the model learns to answer without being asked. Add the "
                   "user's turn before the answer.", ("messages",))
    tail = facts["last_assistant"] + 1
    if tail < len(messages):
        report.add(R.UNTRAINED_TAIL, f"{len(messages) - tail} message(s) after the last assistant message: nothing "
                   "learns from them, but they are billed. End the example with the assistant's answer.",
                   ("messages", tail))


def _too_many_images(images: int, report: LineReport, limit: int, provider: str) -> None:
    if images > limit:
        report.add(R.TOO_MANY_IMAGES, f"{images} images in one example; {provider} allows at most "
                   f"{limit}. Split the example or drop images.", ("messages",))


def check_preference(example: dict, report: LineReport) -> int:
    source = example.get("input")
    images = 0
    if isinstance(source, dict) and isinstance(source.get("messages"), list):
        conversation = _Conversation(example, report, CHAT, base=("input",))
        conversation.walk(source["messages"])
        images = conversation.images
        for index, message in enumerate(source["messages"]):
            if isinstance(message, dict) and message.get("role") == "assistant":
                report.add(R.PREFERENCE_MULTI_TURN, "The input already holds an assistant turn: OpenAI's DPO trains "
                           "only on one-turn examples, whose preferred and non-preferred outputs are the only "
                           "assistant messages.", ("input", "messages", index))
                break
        if images:
            report.add(R.PREFERENCE_NOT_TEXT, f"The input holds {images} image(s); OpenAI's DPO takes text inputs "
                       "and outputs only.", ("input", "messages"))
    outputs = []
    for key in ("preferred_output", "non_preferred_output"):
        output = example.get(key)
        message = output[0] if isinstance(output, list) and output and isinstance(output[0], dict) else None
        outputs.append(message)
        if message is None:
            continue
        path = (key, 0)
        if message.get("tool_calls") or message.get("function_call") or message.get("content") is None:
            report.add(R.PREFERENCE_NOT_TEXT, f"{describe(example, path).capitalize()} is not plain text: DPO takes "
                       "text outputs only (no tool or function calls).", path)
        elif _is_blank(message.get("content")):
            report.add(R.EMPTY_CONTENT, f"{describe(example, path).capitalize()} is empty.", path + ("content",))
    if outputs[0] is not None and outputs[1] is not None and outputs[0].get("content") is not None \
            and _comparable(outputs[0]) == _comparable(outputs[1]):
        report.add(R.PREFERENCE_IDENTICAL, "The preferred and non-preferred outputs are identical: the example "
                   "teaches no preference. Write a worse non-preferred answer or remove the example.",
                   ("non_preferred_output", 0))
    return images


def _comparable(message: dict) -> object:
    content = message.get("content")
    return content.strip() if isinstance(content, str) else content


def check_prompt_completion(example: dict, report: LineReport) -> int:
    completion = example.get("completion")
    if isinstance(completion, str) and not completion.strip():
        report.add(R.EMPTY_CONTENT, "The completion is empty: the model learns to answer with nothing.", ("completion",))
    return 0
