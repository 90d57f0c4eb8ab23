"""Every finding code the engine can report, as data.

Each rule says what triggers it, how to fix it, and carries an example file
that triggers it and a close one that must not. `docs/rules.md` is generated
from this table (`python -m finetune_ls.core.rules_doc`), and the test suite runs
every example, so the documentation cannot drift from the checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from finetune_ls.core.findings import Severity
from finetune_ls.core.rule_evidence import EVIDENCE, Evidence

ERROR, WARNING, INFORMATION, HINT = Severity.ERROR, Severity.WARNING, Severity.INFORMATION, Severity.HINT


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    scope: str  # "line" or "file"
    group: str
    summary: str  # what triggers it
    fix: str  # what the user should do
    example: str | Callable[[], str]  # a JSONL text that triggers the rule (big ones made on demand)
    counter_example: str  # a close text that must not
    settings: dict = field(default_factory=dict)  # check settings for the example
    counter_settings: dict | None = None  # for the counter-example, when they differ
    quick_fix: bool = False  # the finding carries a fix the editor can apply
    # The exact text the example's finding covers ("<line>": the whole line), for the tests.
    marks: str | None = None
    validation_example: str | None = None  # validation file text, for overlap rules
    # What the severity rests on (core/rule_evidence.py); filled from EVIDENCE by code when not given.
    evidence: Evidence | None = None


RULES: dict[str, Rule] = {}


def _rule(code: str, severity: Severity, scope: str, group: str, summary: str, fix: str,
          example: str, counter_example: str, **extra) -> Rule:
    if code in RULES:
        raise ValueError(f"duplicate rule code {code}")
    extra.setdefault("evidence", EVIDENCE.get(code))
    rule = Rule(code, severity, scope, group, summary, fix, example, counter_example, **extra)
    RULES[code] = rule
    return rule


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


_OK = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}'
_TEN = _lines(*[_OK.replace("Hi", f"Hi {n}") for n in range(10)])

# ---------------------------------------------------------------- file and text
BINARY_FILE = _rule(
    "binary-file", ERROR, "file", "File",
    "The file holds NUL bytes: it is a binary file (or UTF-16), not UTF-8 JSONL text.",
    "Export the data as UTF-8 JSON Lines.",
    '{"messages":[]}\x00\x00\x00\n', '{"messages":[]}\n',
)
INVALID_UTF8 = _rule(
    "invalid-utf8", ERROR, "line", "File",
    "A line holds bytes that are not valid UTF-8 (often Latin-1 or Windows-1252 text).",
    "Re-save the file as UTF-8.",
    # \udce9 is the byte 0xE9 (Latin-1 é) under the surrogateescape convention: tests encode examples with it.
    '{"prompt":"caf\udce9","completion":" ok"}\n', '{"prompt":"café","completion":" ok"}\n',
    marks='\udce9',
)
BYTE_ORDER_MARK = _rule(
    "byte-order-mark", WARNING, "line", "File",
    "The file starts with a UTF-8 byte-order mark, which JSON does not allow and strict parsers reject.",
    "Remove the mark (quick fix), or save as 'UTF-8' rather than 'UTF-8 with BOM'.",
    "\ufeff" + _OK + "\n", _OK + "\n",
    quick_fix=True,
    marks='\ufeff',
)
BLANK_LINE = _rule(
    "blank-line", WARNING, "line", "File",
    "An empty line. JSONL has one example per line; what OpenAI does with an empty line is not documented.",
    "Delete the line (quick fix).",
    _OK + "\n\n" + _OK + "\n", _OK + "\n" + _OK + "\n",
    quick_fix=True,
)

# ---------------------------------------------------------------- JSON syntax
JSON_SYNTAX = _rule(
    "json-syntax", ERROR, "line", "JSON",
    "The line is not valid JSON; the finding points at the first character the parser could not accept.",
    "Correct the JSON at the position shown.",
    '{"messages":[{"role":"user" "content":"Hi"}]}\n', '{"messages":[{"role":"user","content":"Hi"}]}\n',
    marks='"',
)
COMMENT_LINE = _rule(
    "comment-line", ERROR, "line", "JSON",
    "A comment line (// or #). JSON has no comments.",
    "Delete the line (quick fix).",
    "// my changes\n" + _OK + "\n", _OK + "\n",
    quick_fix=True,
    marks='// my changes',
)
TRAILING_COMMA = _rule(
    "trailing-comma", ERROR, "line", "JSON",
    "A comma before a closing bracket or at the end of the line, which JSON does not allow.",
    "Remove the comma (quick fix).",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},]}\n', _OK + "\n",
    quick_fix=True,
    marks=',',
)
UNCLOSED_BRACKET = _rule(
    "unclosed-bracket", ERROR, "line", "JSON",
    "An object or array is never closed, or is closed by the wrong bracket.",
    "Insert the missing bracket where shown (quick fix).",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"]}\n', _OK + "\n",
    quick_fix=True,
    marks=']',
)
PYTHON_LITERAL = _rule(
    "python-literal", ERROR, "line", "JSON",
    "The line is a Python dict (single quotes, True/None), written with str() or print() instead of json.dumps().",
    "Rewrite it as JSON (quick fix); in your script, write lines with json.dumps(example).",
    "{'messages': [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello!'}]}\n", _OK + "\n",
    quick_fix=True,
    marks='<line>',
)
SPLIT_RECORD = _rule(
    "split-record", ERROR, "line", "JSON",
    "A raw line break inside a string splits one example over several lines.",
    "Join the lines, writing the line break as \\n inside the string (quick fix).",
    '{"messages":[{"role":"user","content":"Hi\nthere"},{"role":"assistant","content":"Hello!"}]}\n', _OK + "\n",
    quick_fix=True,
)
MULTILINE_RECORD = _rule(
    "multiline-record", ERROR, "line", "JSON",
    "One example is a pretty-printed JSON object spread over several lines; JSONL needs it on one line.",
    "Join the object into one line (quick fix); in your script, use json.dumps without indent.",
    '{\n  "messages": [{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]\n}\n', _OK + "\n",
    quick_fix=True,
)
JSON_ARRAY = _rule(
    "json-array", ERROR, "line", "JSON",
    "The examples are inside one JSON array (a .json file, one line or pretty-printed) instead of one example per line.",
    "Convert the array to JSONL, one example per line (quick fix).",
    "[" + _OK + ",\n" + _OK + "]\n", _OK + "\n" + _OK + "\n",
    quick_fix=True,
)
NOT_AN_OBJECT = _rule(
    "not-an-object", ERROR, "line", "JSON",
    "The line is valid JSON but not an object; every line must be one example object.",
    "Wrap the data in an example object, or delete the line.",
    '"Hi"\n', _OK + "\n",
    marks='"Hi"',
)
NESTING_TOO_DEEP = _rule(
    "nesting-too-deep", WARNING, "line", "JSON",
    "Arrays or objects are nested more than 1,000 levels deep: Python's json module stops there and finetune-ls "
    "cannot check the line. What OpenAI does with it is not documented.",
    "Flatten the data.",
    "[" * 1100 + "]" * 1100 + "\n", "[[[]]]\n",
    marks='[',
)
NUMBER_OUT_OF_RANGE = _rule(
    "number-out-of-range", WARNING, "line", "JSON",
    "A number beyond a 64-bit float (such as -1e400, or an integer of hundreds of digits). It is valid JSON, but "
    "parsers differ: Python's json reads -1e400 as -Infinity and an integer of up to 4,300 digits exactly, "
    "JavaScript reads ±Infinity, orjson and Go's encoding/json refuse it. What OpenAI does with it is not documented.",
    "Write the number as a string, or as a number between -1.8e308 and 1.8e308.",
    '{"messages":[{"role":"user","content":"Hi"}],"reference":-1e400}\n',
    '{"messages":[{"role":"user","content":"Hi"}],"reference":-1e300}\n',
    settings={"method": "reinforcement"},
    marks="-1e400",
)
INVALID_UNICODE_ESCAPE = _rule(
    "invalid-unicode-escape", WARNING, "line", "JSON",
    "A \\uD800-\\uDFFF escape that is not part of a surrogate pair: it encodes no character, and strict parsers "
    "reject it. What OpenAI does with it is not documented.",
    "Remove the escape or write the whole pair (e.g. \\ud83d\\ude00 for 😀).",
    '{"prompt":"x \\ud800 y","completion":" ok"}\n', '{"prompt":"x \\ud83d\\ude00 y","completion":" ok"}\n',
    marks='\\ud800',
)

# ---------------------------------------------------------------- format
UNKNOWN_FORMAT = _rule(
    "unknown-format", ERROR, "line", "Format",
    "The object has none of the keys of a fine-tuning format (messages; input/preferred_output; prompt/completion).",
    "Write the example as {\"messages\": [...]} (chat), or check for a typo in the keys.",
    '{"message":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n', _OK + "\n",
    quick_fix=True,
    marks='"message"',
)
FOREIGN_FORMAT = _rule(
    "foreign-format", ERROR, "line", "Format",
    "The line is in another tool's dataset format (Alpaca instruction/output, ShareGPT conversations, "
    "TRL prompt/chosen/rejected, text/label classification, question/answer, input/output). "
    "A warning for Alpaca and ShareGPT under axolotl (type: alpaca; type: chat_template with field mappings) "
    "and Unsloth (to_sharegpt, standardize_sharegpt), which read them once configured.",
    "Convert it to OpenAI's chat or preference format (quick fix converts the line).",
    '{"instruction":"Say hi","output":"Hi!"}\n', _OK + "\n",
    quick_fix=True,
    marks='<line>',
)
MESSAGE_PER_LINE = _rule(
    "message-per-line", ERROR, "line", "Format",
    "The line is a single message, not a conversation: OpenAI needs each line to hold a whole conversation.",
    'Group the messages of each conversation into one line: {"messages": [ ... ]}.',
    '{"role":"user","content":"Hi"}\n{"role":"assistant","content":"Hello!"}\n', _OK + "\n",
    marks='<line>',
)
MIXED_FORMATS = _rule(
    "mixed-formats", ERROR, "line", "Format",
    "The line is in a different format from the rest of the file; a file must hold a single format.",
    "Move the line to a file of its own format, or convert it.",
    _OK + "\n" + _OK + "\n" + '{"prompt":"2+2 ->","completion":" 4"}\n', _OK + "\n" + _OK + "\n",
    marks='<line>',
)

# ---------------------------------------------------------------- schema
MISSING_KEY = _rule(
    "missing-key", ERROR, "line", "Schema",
    "A required key is missing (e.g. a message without role or content, an example without messages).",
    "Add the key.",
    '{"messages":[{"role":"user"},{"role":"assistant","content":"Hello!"}]}\n', _OK + "\n",
    marks='{"role":"user"}',
)
UNKNOWN_KEY = _rule(
    "unknown-key", ERROR, "line", "Schema",
    "A key the format does not define. On the example itself OpenAI rejects the file ('Example 1 contains an extra "
    "\"weight\"'). Inside a message it is a warning: OpenAI's documentation does not say whether it rejects it.",
    "Remove the key (quick fix), or check its spelling.",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],"id":7}\n', _OK + "\n",
    quick_fix=True,
    marks='"id"',
)
WRONG_TYPE = _rule(
    "wrong-type", ERROR, "line", "Schema",
    "A value has the wrong JSON type (e.g. a number where a string is needed).",
    "Write the value with the type named in the message.",
    '{"messages":[{"role":"user","content":42},{"role":"assistant","content":"Hello!"}]}\n', _OK + "\n",
    marks='42',
)
INVALID_VALUE = _rule(
    "invalid-value", ERROR, "line", "Schema",
    "A value outside the allowed set or pattern (e.g. an image detail other than auto/low/high, a tool name with spaces).",
    "Use one of the allowed values named in the message.",
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.png","detail":"max"}}]},'
    '{"role":"assistant","content":"A cat."}]}\n',
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.png","detail":"low"}}]},'
    '{"role":"assistant","content":"A cat."}]}\n',
    marks='"max"',
)
EMPTY_ARRAY = _rule(
    "empty-array", ERROR, "line", "Schema",
    "An array that must not be empty is empty (messages, content parts, tool_calls).",
    "Add the missing items or remove the key.",
    '{"messages":[]}\n', _OK + "\n",
    marks='[]',
)
TOO_MANY_ITEMS = _rule(
    "too-many-items", ERROR, "line", "Schema",
    "An array holds more items than allowed (e.g. two messages in preferred_output).",
    "Keep one item.",
    '{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"assistant","content":"Hello!"},'
    '{"role":"assistant","content":"Hey"}],"non_preferred_output":[{"role":"assistant","content":"What?"}]}\n',
    '{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"assistant","content":"Hello!"}],'
    '"non_preferred_output":[{"role":"assistant","content":"What?"}]}\n',
    marks='[{"role":"assistant","content":"Hello!"},{"role":"assistant","content":"Hey"}]',
)

# ---------------------------------------------------------------- messages
UNKNOWN_ROLE = _rule(
    "unknown-role", ERROR, "line", "Messages",
    "A role OpenAI does not know (e.g. model, bot, human, gpt from other tools), or one the format does not allow "
    "(system in reinforcement data).",
    "Use the role suggested in the message (quick fix renames it).",
    '{"messages":[{"role":"human","content":"Hi"},{"role":"gpt","content":"Hello!"}]}\n', _OK + "\n",
    quick_fix=True,
    marks='"human"',
)
MISSING_ASSISTANT = _rule(
    "missing-assistant", ERROR, "line", "Messages",
    "A supervised example with no assistant message: there is nothing to learn from it.",
    "Add the assistant's answer as the last message.",
    '{"messages":[{"role":"user","content":"Hi"}]}\n', _OK + "\n",
    marks='[{"role":"user","content":"Hi"}]',
)
NOTHING_TRAINED = _rule(
    "nothing-trained", WARNING, "line", "Messages",
    "Every assistant message has weight 0, so the example trains on nothing but is still billed.",
    "Set weight 1 on the answer to learn from, or remove the example.",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":0}]}\n',
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":1}]}\n',
    marks='[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":0}]',
)
MISSING_USER = _rule(
    "missing-user", WARNING, "line", "Messages",
    "A conversation with no user message: the model learns to answer without being asked.",
    "Add the user's turn before the assistant's answer.",
    '{"messages":[{"role":"system","content":"Be brief."},{"role":"assistant","content":"Hello!"}]}\n',
    '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
    marks='[{"role":"system","content":"Be brief."},{"role":"assistant","content":"Hello!"}]',
)
SYSTEM_NOT_FIRST = _rule(
    "system-not-first", WARNING, "line", "Messages",
    "A system (or developer) message after the conversation has started.",
    "Move the instructions to the start of the conversation.",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"system","content":"Be brief."},{"role":"assistant","content":"Hello!"}]}\n',
    '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
    marks='"system"',
)
DEVELOPER_ROLE_IN_SFT = _rule(
    "developer-role-in-sft", WARNING, "line", "Messages",
    "A developer message in supervised data: OpenAI's supervised format lists system, user, assistant, tool and "
    "function; developer belongs to reinforcement data.",
    "Use role system (quick fix).",
    '{"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
    '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
    quick_fix=True,
    marks='"developer"',
)
UNTRAINED_TAIL = _rule(
    "untrained-tail", WARNING, "line", "Messages",
    "Messages after the last assistant message: nothing learns from them, but they are billed.",
    "End each supervised example with the assistant's answer.",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Bye"}]}\n',
    _OK + "\n",
    marks='{"role":"user","content":"Bye"}',
)
EMPTY_CONTENT = _rule(
    "empty-content", WARNING, "line", "Messages",
    "A message whose content is empty or only whitespace (an empty assistant answer teaches the model to say nothing).",
    "Write the content, or remove the message.",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":""}]}\n', _OK + "\n",
    marks='""',
)
EMPTY_SYSTEM = _rule(
    "empty-system", INFORMATION, "line", "Messages",
    "An empty system message: it teaches nothing and costs tokens on every example.",
    "Remove it, or write the instructions you will use at inference time.",
    '{"messages":[{"role":"system","content":""},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
    '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
    marks='""',
)
INVALID_WEIGHT = _rule(
    "invalid-weight", ERROR, "line", "Messages",
    "weight must be the integer 0 or 1 (not true, \"1\" or 2). A float 1.0 or 0.0 is a warning: it equals an allowed "
    "value and OpenAI's documentation does not say whether it is accepted.",
    "Write 0 or 1 (quick fix).",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":"1"}]}\n',
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":1}]}\n',
    quick_fix=True,
    marks='"1"',
)
MISPLACED_WEIGHT = _rule(
    "misplaced-weight", ERROR, "line", "Messages",
    "weight on the example itself, which OpenAI rejects ('Example 1 contains an extra \"weight\"'), or on a message "
    "that is not from the assistant (a warning: OpenAI's documentation does not say whether it rejects that); only "
    "assistant messages take a weight.",
    "Remove the weight (quick fix).",
    '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],"weight":1}\n', _OK + "\n",
    quick_fix=True,
    marks='"weight"',
)

# ---------------------------------------------------------------- tools
ARGUMENTS_NOT_STRING = _rule(
    "arguments-not-string", ERROR, "line", "Tools",
    "Tool-call arguments given as a JSON object; OpenAI needs a string holding the JSON.",
    "Turn the object into a string (quick fix).",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":{"city":"Paris"}}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    quick_fix=True,
    marks='{"city":"Paris"}',
)
ARGUMENTS_INVALID_JSON = _rule(
    "arguments-invalid-json", WARNING, "line", "Tools",
    "The arguments string is not valid JSON, so the model learns to emit broken calls.",
    "Write the arguments as a JSON object serialised to a string.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{city: Paris}"}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    marks='"{city: Paris}"',
)
ARGUMENTS_NOT_OBJECT = _rule(
    "arguments-not-object", WARNING, "line", "Tools",
    "The arguments string holds JSON that is not an object (often a double-encoded string), so the model learns "
    "to emit arguments the API cannot use.",
    "Encode the arguments object once (quick fix decodes a double-encoded string).",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"\\"{\\\\\\"city\\\\\\": \\\\\\"Paris\\\\\\"}\\""}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{\\"city\\": \\"Paris\\"}"}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    quick_fix=True,
    marks='"\\"{\\\\\\"city\\\\\\": \\\\\\"Paris\\\\\\"}\\""',
)
ARGUMENTS_SCHEMA_MISMATCH = _rule(
    "arguments-schema-mismatch", WARNING, "line", "Tools",
    "The call's arguments do not match the parameters schema declared for that tool.",
    "Make the arguments fit the schema, or correct the schema.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{\\"town\\":\\"Paris\\"}"}}]}],"tools":[{"type":"function","function":'
    '{"name":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}],"tools":[{"type":"function","function":'
    '{"name":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}\n',
    marks='"{\\"town\\":\\"Paris\\"}"',
)
INVALID_TOOL_SCHEMA = _rule(
    "invalid-tool-schema", WARNING, "line", "Tools",
    "A tool's parameters are not a valid JSON Schema.",
    "Correct the parameters schema.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]}],"tools":[{"type":"function",'
    '"function":{"name":"weather","parameters":{"type":"objekt"}}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]}],"tools":[{"type":"function",'
    '"function":{"name":"weather","parameters":{"type":"object"}}}]}\n',
    marks='{"type":"objekt"}',
)
UNDECLARED_FUNCTION = _rule(
    "undeclared-function", WARNING, "line", "Tools",
    "A tool call or function call names a function the example does not declare in tools (or functions).",
    "Declare the function in the example's tools, with its parameters.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    marks='"weather"',
)
TOOL_RESULT_WITHOUT_CALL = _rule(
    "tool-result-without-call", WARNING, "line", "Tools",
    "A tool message whose tool_call_id matches no earlier tool call. OpenAI's chat API refuses such conversations; "
    "whether fine-tuning does is not documented.",
    "Set tool_call_id to the id of the call it answers.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"tool","tool_call_id":"c9","content":"21C"},'
    '{"role":"assistant","content":"21C."}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c9","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c9","content":"21C"},'
    '{"role":"assistant","content":"21C."}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    marks='"c9"',
)
UNANSWERED_TOOL_CALL = _rule(
    "unanswered-tool-call", WARNING, "line", "Tools",
    "A tool call that the conversation goes on past without a tool message answering it.",
    "Add a tool message with the call's id right after the assistant's call.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]},{"role":"assistant","content":"Sunny."}],'
    '"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
    '"function":{"name":"weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sun"},'
    '{"role":"assistant","content":"Sunny."}],"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    marks='"c1"',
)
DUPLICATE_TOOL_CALL_ID = _rule(
    "duplicate-tool-call-id", WARNING, "line", "Tools",
    "Two tool calls in one assistant message share an id, so their results cannot be told apart.",
    "Give each call its own id.",
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":['
    '{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}},'
    '{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}}]}],'
    '"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    '{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":['
    '{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}},'
    '{"id":"c2","type":"function","function":{"name":"weather","arguments":"{}"}}]}],'
    '"tools":[{"type":"function","function":{"name":"weather"}}]}\n',
    marks='"c1"',
)

# ---------------------------------------------------------------- images
IMAGE_OUTSIDE_USER = _rule(
    "image-outside-user", ERROR, "line", "Images",
    "An image in a message that is not from the user; OpenAI accepts images only in user messages.",
    "Move the image into a user message.",
    '{"messages":[{"role":"user","content":"Draw"},{"role":"assistant","content":[{"type":"image_url","image_url":'
    '{"url":"https://x.org/a.png"}}]}]}\n',
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}]},'
    '{"role":"assistant","content":"A cat."}]}\n',
    marks='{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}',
)
IMAGE_URL = _rule(
    "image-url", ERROR, "line", "Images",
    "An image URL that is neither http(s) nor a base64 data URL of a JPEG, PNG or WEBP image.",
    "Use an https URL or a data:image/png;base64,... URL.",
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///tmp/a.png"}}]},'
    '{"role":"assistant","content":"A cat."}]}\n',
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}]},'
    '{"role":"assistant","content":"A cat."}]}\n',
    marks='"file:///tmp/a.png"',
)
IMAGE_FORMAT = _rule(
    "image-format", ERROR, "line", "Images",
    "An image that is not JPEG, PNG or WEBP (by its data URL type or its bytes); OpenAI skips it as 'invalid image "
    "format'. For an http(s) URL only its extension can tell (.gif, .bmp, ...): a warning.",
    "Convert the image to PNG, JPEG or WEBP.",
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/gif;base64,R0lGODlhAQABAAAAACw="}}]},'
    '{"role":"assistant","content":"A dot."}]}\n',
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.gif.png"}}]},'
    '{"role":"assistant","content":"A dot."}]}\n',
    marks='"data:image/gif;base64,R0lGODlhAQABAAAAACw="',
)
TOO_MANY_IMAGES = _rule(
    "too-many-images", ERROR, "line", "Images",
    "More images in one example than the provider allows (OpenAI: 10; Azure OpenAI: 64).",
    "Split the example, or keep the 10 images that matter.",
    '{"messages":[{"role":"user","content":[' + ",".join(['{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}'] * 11)
    + ']},{"role":"assistant","content":"Cats."}]}\n',
    '{"messages":[{"role":"user","content":[' + ",".join(['{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}'] * 10)
    + ']},{"role":"assistant","content":"Cats."}]}\n',
)
IMAGE_TOO_LARGE = _rule(
    "image-too-large", ERROR, "line", "Images",
    "An inline (data URL) image larger than 10 MB, OpenAI's limit per image.",
    "Downscale or recompress the image, or host it and use an https URL.",
    lambda: '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,'
    + "A" * 14_000_004 + '"}}]},{"role":"assistant","content":"Big."}]}\n',
    '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,'
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}]},{"role":"assistant","content":"Small."}]}\n',
)

# ---------------------------------------------------------------- preference (DPO)
PREFERENCE_MULTI_TURN = _rule(
    "preference-multi-turn", ERROR, "line", "Preference",
    "A preference (DPO) example whose input already holds assistant turns; DPO trains only on one-turn examples.",
    "Keep one user turn (with an optional system message) in input.",
    '{"input":{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Joke?"}]},'
    '"preferred_output":[{"role":"assistant","content":"Sure: ..."}],"non_preferred_output":[{"role":"assistant","content":"No."}]}\n',
    '{"input":{"messages":[{"role":"user","content":"Joke?"}]},'
    '"preferred_output":[{"role":"assistant","content":"Sure: ..."}],"non_preferred_output":[{"role":"assistant","content":"No."}]}\n',
    marks='{"role":"assistant","content":"Hello"}',
)
PREFERENCE_IDENTICAL = _rule(
    "preference-identical", WARNING, "line", "Preference",
    "The preferred and non-preferred outputs are identical, so the example teaches no preference.",
    "Write a worse non-preferred answer, or remove the example.",
    '{"input":{"messages":[{"role":"user","content":"Hi"}]},'
    '"preferred_output":[{"role":"assistant","content":"Hello!"}],"non_preferred_output":[{"role":"assistant","content":"Hello!"}]}\n',
    '{"input":{"messages":[{"role":"user","content":"Hi"}]},'
    '"preferred_output":[{"role":"assistant","content":"Hello!"}],"non_preferred_output":[{"role":"assistant","content":"What."}]}\n',
    marks='{"role":"assistant","content":"Hello!"}',
)
PREFERENCE_NOT_TEXT = _rule(
    "preference-not-text", ERROR, "line", "Preference",
    "A preference output with tool calls, function calls or no text; DPO takes text outputs only.",
    "Give both outputs as plain assistant text.",
    '{"input":{"messages":[{"role":"user","content":"Weather?"}]},"preferred_output":[{"role":"assistant","tool_calls":'
    '[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}}]}],'
    '"non_preferred_output":[{"role":"assistant","content":"No idea."}]}\n',
    '{"input":{"messages":[{"role":"user","content":"Weather?"}]},"preferred_output":[{"role":"assistant","content":"Sunny."}],'
    '"non_preferred_output":[{"role":"assistant","content":"No idea."}]}\n',
    marks='{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}}]}',
)

# ---------------------------------------------------------------- reinforcement
RFT_ENDS_WITH_ASSISTANT = _rule(
    "rft-ends-with-assistant", WARNING, "line", "Reinforcement",
    "A reinforcement example whose last message is the assistant's; the model is sampled after the last message, "
    "so the prompt should end with a user or developer turn (put the expected answer in a reference field).",
    'Move the answer into a reference field (e.g. "reference_answer") for the grader.',
    '{"messages":[{"role":"user","content":"Is 7 prime?"},{"role":"assistant","content":"yes"}],"reference_answer":"yes"}\n',
    '{"messages":[{"role":"user","content":"Is 7 prime?"}],"reference_answer":"yes"}\n',
    settings={"method": "reinforcement"},
    marks='{"role":"assistant","content":"yes"}',
)

# ---------------------------------------------------------------- prompt/completion
LEGACY_FORMAT = _rule(
    "legacy-format", HINT, "line", "Format",
    "A prompt/completion line: the legacy format of babbage-002 and davinci-002, which can no longer be trained.",
    "Convert it to chat (quick fix) to train a current model.",
    '{"prompt":"2+2 ->","completion":" 4\\n"}\n', _OK + "\n",
    quick_fix=True,
    marks='<line>',
)

# ---------------------------------------------------------------- open-weight targets
# Rules of Together, TRL, axolotl and Unsloth (core/target_rules.py, core/target_filechecks.py);
# sources: ../shared/reference/providers.md sections 3-4. Their examples need no tokenizer
# except examples-over-length (a counted file: a tokenizer the target can load).
_TRL_PAIR = '{"prompt":"Capital of France?","chosen":"Paris.","rejected":"%s"}'
TARGET_FORMAT = _rule(
    "target-format", ERROR, "line", "Targets",
    "A line in a training format the target does not read (for example OpenAI's preference format "
    "input/preferred_output/non_preferred_output for TRL, whose DPOTrainer reads prompt/chosen/rejected). "
    "A warning for axolotl, whose dataset config can map other field names, except OpenAI's preference "
    "format, whose nested input.messages no axolotl field mapping reads.",
    "Convert the data to a format the target takes (the message lists them), or pick the target it was written for.",
    '{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"assistant","content":"Hello!"}],'
    '"non_preferred_output":[{"role":"assistant","content":"What."}]}\n',
    _lines(_TRL_PAIR % "Lyon."), settings={"target": "trl"},
)
TOGETHER_RULE = _rule(
    "together-rule", ERROR, "line", "Targets",
    "A rule of Together's published SDK validator that its current SDK (together 3.1.1) still states as the server's "
    "contract or that Together's docs state: roles system/user/assistant/tool, no two consecutive messages with the "
    "same role, only the format's columns (messages and tools for chat), images as base64 data URLs (JPEG, PNG, WEBP) "
    "of at most 10 MB and at most 10 per example, exactly one assistant message per preference output.",
    "Follow the message: rename or merge the messages, drop the extra column, embed the image as a data URL.",
    _lines('{"messages":[{"role":"user","content":"Hi"},{"role":"user","content":"Hello?"},'
           '{"role":"assistant","content":"Hello!"}]}'),
    _lines(_OK), settings={"target": "together"},
)
TOGETHER_UNCONFIRMED = _rule(
    "together-unconfirmed", WARNING, "line", "Targets",
    "A check of Together's legacy SDK validator (together-python 1.5.34) that the current SDK (3.1.1) no longer makes "
    "on the client, leaving it to the server, whose rule is not documented: weight must be the integer 0 or 1, at least "
    "one assistant message, images only in user messages and never on a message with non-zero weight, all contents "
    "of an example strings or all lists, the last input message of a preference example not the assistant's.",
    "Follow the legacy rule to be safe, or try Together's fine_tuning.preview on the file.",
    _lines('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":0.5}]}'),
    _lines('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!","weight":1}]}'),
    settings={"target": "together"},
)
WEIGHT_IGNORED = _rule(
    "weight-ignored", WARNING, "line", "Targets",
    "A message carries \"weight\", which the trainer does not read: TRL (and Unsloth on top of it) has no "
    "per-message weight, and axolotl reads it only when the dataset sets message_field_training: weight. A weight "
    "of 0 meant to leave the message out of the loss is trained anyway. Once per line, at the first weight.",
    "Remove the message from the example, use the trainer's own masking (assistant_only_loss, roles_to_train), or "
    "for axolotl set message_field_training: weight.",
    _lines('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hm.","weight":0},'
           '{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello!"}]}'),
    _lines(_OK), settings={"target": "trl"},
)
PART_BOUNDARY_WHITESPACE = _rule(
    "part-boundary-whitespace", WARNING, "line", "Targets",
    "axolotl: a content part ends with a space or tab where per-part training (train or weight) switches on or "
    "off; the space and the next part's first word become one token across the boundary, which axolotl masks "
    "(it logs the same warning).",
    "Move the whitespace to the start of the next part.",
    _lines('{"messages":[{"role":"user","content":[{"type":"text","text":"2+2?"}]},{"role":"assistant","content":'
           '[{"type":"text","text":"Let me think. ","train":false},{"type":"text","text":"It is 4.","train":true}]}]}'),
    _lines('{"messages":[{"role":"user","content":[{"type":"text","text":"2+2?"}]},{"role":"assistant","content":'
           '[{"type":"text","text":"Let me think.","train":false},{"type":"text","text":" It is 4.","train":true}]}]}'),
    settings={"target": "axolotl"},
)
PACKING_NOTE = _rule(
    "packing-note", INFORMATION, "file", "Targets",
    "The trainer packs examples into sequences of the maximum length (Together by default; TRL and axolotl when "
    "packing is set): several short examples share one sequence, so the per-example limit and the tokens trained "
    "per step differ from the unpacked count.",
    "Nothing to fix; set packing off where examples must stay whole and alone.",
    _lines(_OK), _lines(_OK), settings={"target": "together"}, counter_settings={"target": "together", "packing": False},
)

# ---------------------------------------------------------------- privacy
def _said(text: str) -> str:
    return _lines('{"messages":[{"role":"user","content":"' + text + '"},{"role":"assistant","content":"Noted."}]}')


SECRET_IN_TEXT = _rule(
    "secret-in-text", WARNING, "line", "Privacy",
    "An API key or token in the text: OpenAI (sk-...), Anthropic, AWS access key ids, GitHub, Slack, Google, Stripe, "
    "JSON Web Tokens, private key blocks. Recognised by the issuer's prefix, and only with letters and digits (not "
    "placeholders such as sk-XXXX...). A model trained on it can repeat it.",
    "Replace it with [API_KEY] (quick fix, or finetune-ls redact), and revoke the key.",
    _said("My key is sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu"), _said("My key is sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    quick_fix=True, marks="sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu",
)
EMAIL_IN_TEXT = _rule(
    "email-in-text", WARNING, "line", "Privacy",
    "An e-mail address in the text (addresses at example.com, .test and the other reserved example domains are not "
    "flagged).",
    "Replace it with [EMAIL] (quick fix, or finetune-ls redact).",
    _said("Write to jane.roe@fastmail.fm"), _said("Write to jane.roe@example.com"),
    quick_fix=True, marks="jane.roe@fastmail.fm",
)
PHONE_IN_TEXT = _rule(
    "phone-in-text", WARNING, "line", "Privacy",
    "A phone number in the text, in a format people write: international (+44 20 7946 0958) or North American "
    "((415) 555-2671, 415-555-2671). Bare runs of digits, dates and ids are not flagged.",
    "Replace it with [PHONE] (quick fix, or finetune-ls redact).",
    _said("Call me on +44 20 7946 0958"), _said("Order 4420794609 shipped 2024-01-15"),
    quick_fix=True, marks="+44 20 7946 0958",
)
CARD_NUMBER_IN_TEXT = _rule(
    "card-number-in-text", WARNING, "line", "Privacy",
    "A payment card number in the text: 13 to 19 digits (unbroken, or in groups), an issuer's prefix, and a valid "
    "Luhn check digit.",
    "Replace it with [CARD_NUMBER] (quick fix, or finetune-ls redact).",
    _said("Card 4539 1488 0343 6467 please"), _said("Card 4539 1488 0343 6468 please"),
    quick_fix=True, marks="4539 1488 0343 6467",
)

# ---------------------------------------------------------------- file level
TOO_FEW_EXAMPLES = _rule(
    "too-few-examples", ERROR, "file", "File",
    "Fewer than 10 examples; OpenAI refuses the job (invalid_n_examples).",
    "Add examples: at least 10, and 50-100 well-chosen ones usually help more.",
    _lines(_OK, _OK.replace("Hi", "Yo")), _TEN,
)
TOO_MANY_EXAMPLES = _rule(
    "too-many-examples", ERROR, "file", "File",
    "More examples than the method allows (50,000 for reinforcement training files, 50,000 examples with images).",
    "Split the data, or sample from it.",
    lambda: _lines(*['{"messages":[{"role":"user","content":"Is %d prime?"}],"reference_answer":"no"}' % n
                     for n in range(50_001)]),
    _TEN.replace('"Hello!"}]}', '"Hello!"}],"reference_answer":"x"}').replace(',{"role":"assistant","content":"Hello!"}', ""),
    settings={"method": "reinforcement"},
)
JOB_TOO_LARGE = _rule(
    "job-too-large", ERROR, "file", "File",
    "Over a provider's quota for one file or job, where its catalog gives one (Azure OpenAI: a training file of "
    "512 MB or more through the API, or more than 2 billion training tokens x epochs in one job).",
    "Split the data, sample from it, or train fewer epochs.",
    _TEN, _TEN, settings={"provider": "azure", "model": "gpt-4.1-mini-2025-04-14", "epochs": 20_000_000},
    counter_settings={"provider": "azure", "model": "gpt-4.1-mini-2025-04-14", "epochs": 3},
)
DUPLICATE_EXAMPLE = _rule(
    "duplicate-example", WARNING, "line", "File",
    "The same example appears more than once (compared as parsed JSON, so spacing and key order do not matter); "
    "duplicates over-weight one example and are billed each time.",
    "Delete the copy (quick fix).",
    _lines(_OK, _OK), _lines(_OK, _OK.replace("Hi", "Yo")),
    quick_fix=True,
    marks='<line>',
)
EXAMPLE_TOO_LONG = _rule(
    "example-too-long", WARNING, "line", "Tokens",
    "An example longer than the model's training context; OpenAI trains on it truncated (tokens are removed from the end).",
    "Shorten the example or split the conversation.",
    lambda: '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"' + "word " * 70_000 + '"}]}\n',
    _OK + "\n",
    settings={"model": "gpt-4o-mini-2024-07-18"},
)
EXAMPLES_OVER_LENGTH = _rule(
    "examples-over-length", WARNING, "file", "Tokens",
    "Open-weight targets: how many examples are longer than the trainer's maximum length (TRL max_length, axolotl "
    "sequence_len, Unsloth max_seq_length, Together's max_seq_length) and what the trainer does with them: axolotl "
    "drops them whole (excess_length_strategy drop), the others truncate them, keeping the start. The example "
    "needs token counts: the model's tokenizer (here the bundled Qwen3 one).",
    "Raise the maximum length, shorten or split those examples (each has an example-too-long finding).",
    _lines(_OK.replace("Hello!", "Hello! " * 40)), _lines(_OK),
    settings={"target": "axolotl", "model": "Qwen/Qwen3-8B", "max_seq_length": 32},
)
VALIDATION_OVERLAP = _rule(
    "validation-overlap", WARNING, "line", "File",
    "An example that is also in the validation file; OpenAI asks that the same data not be in both, and the "
    "validation loss then measures memory, not learning.",
    "Remove the example from one of the two files.",
    _lines(_OK), _lines(_OK.replace("Hi", "Yo")),
    validation_example=_lines(_OK),
    marks='<line>',
)
FORMAT_METHOD_MISMATCH = _rule(
    "format-method-mismatch", ERROR, "file", "Model",
    "The file's format does not fit the training method (e.g. chat data for a DPO job, which OpenAI rejects: "
    "'is in the fine-tune-chat format, but ... method=dpo').",
    "Choose the method that matches the data, or convert the data.",
    _TEN, _TEN, settings={"method": "dpo"}, counter_settings={"method": "supervised"},
)
MODEL_NOT_TRAINABLE = _rule(
    "model-not-trainable", ERROR, "file", "Model",
    "The target model can no longer be fine-tuned (babbage-002 and davinci-002 since 2024-10-28; o4-mini, "
    "gpt-4.1-nano, gpt-3.5-turbo and gpt-4 since 2026-10-23; every OpenAI model after 2027-01-06), "
    "or does not support the method.",
    "Pick a model that can still be trained (the message lists them), or another provider.",
    _TEN, _TEN, settings={"model": "gpt-3.5-turbo-0125"}, counter_settings={"model": "gpt-4o-mini-2024-07-18"},
)
MODEL_RETIRING = _rule(
    "model-retiring", INFORMATION, "file", "Model",
    "The target model's fine-tuning ends soon (OpenAI stops new jobs on 2027-01-06) or the model shuts down soon.",
    "Plan the job before the date shown.",
    _TEN, _TEN, settings={"model": "gpt-4o-mini-2024-07-18"},
    counter_settings={"model": "gpt-4o-mini-2024-07-18", "provider": "compatible"},
)
UNKNOWN_MODEL = _rule(
    "unknown-model", WARNING, "file", "Model",
    "The target model is not in the model catalog, so its context, price and dates are unknown.",
    "Check the model name, or add the model to a catalog file (--catalog).",
    _TEN, _TEN, settings={"model": "gpt-9-turbo"}, counter_settings={"model": "gpt-4o-mini-2024-07-18"},
)
TOKENIZER_UNAVAILABLE = _rule(
    "tokenizer-unavailable", WARNING, "file", "Tokens",
    "An open-weight target (Together, TRL, axolotl, Unsloth) whose model's tokenizer was found nowhere (the folder "
    "named, the Hugging Face cache, a download, the bundled ones): tokens, lengths and costs are not checked.",
    "Name the model's folder with --tokenizer (the `tokenizer` setting), or let the tokenizer download once "
    "(`pip install 'finetune-ls[hf]'`; a gated model: accept its licence on its page and log in with "
    "`hf auth login`). See docs/tokenizer-sources.md.",
    _TEN, _TEN, settings={"target": "trl", "model": "example-org/no-such-model"},
    counter_settings={"target": "trl", "model": "Qwen/Qwen3-8B"},
)
CHAT_TEMPLATE_UNUSABLE = _rule(
    "chat-template-unusable", ERROR, "file", "Tokens",
    "An open-weight target whose chat template cannot render any example: the tokenizer has none (neither "
    "chat_template.jinja nor a chat_template in tokenizer_config.json), or the template does not compile. "
    "transformers' apply_chat_template then raises for every row (\"Cannot use chat template functions because "
    "tokenizer.chat_template is not set\", tokenization_utils_base.py get_chat_template; a TemplateSyntaxError "
    "when compiling), and TRL calls it for every conversational row in _prepare_dataset, so the run stops at the "
    "first row. Nothing is counted.",
    "Name a chat template that compiles with --chat-template (the `chatTemplate` setting; TRL's training "
    "templates, axolotl's chat_template_jinja), or fix the model's chat_template.jinja.",
    _TEN, _TEN, settings={"target": "trl", "model": "Qwen/Qwen3-8B",
                          "chat_template": "examples/unclosed-chat-template.jinja"},
    counter_settings={"target": "trl", "model": "Qwen/Qwen3-8B"},
)
CHAT_TEMPLATE_ERROR = _rule(
    "chat-template-error", ERROR, "line", "Tokens",
    "The model's chat template raises on this example (open-weight targets): transformers' apply_chat_template "
    "fails, so the trainer stops at this row while it prepares the data (TRL's SFTTrainer and DPOTrainer call "
    "apply_chat_template for every row in _prepare_dataset, trl/trainer/sft_trainer.py and dpo_trainer.py). The "
    "finding quotes the template's message. Qwen3's template, for one, adds the system message's content to a "
    "string, so a system content given as a list of parts stops it. The same rule holds what the trainer's own "
    "preparation refuses around the template, named as the trainer's: a row whose prompt and answers are of "
    "different shapes (trl/data_utils.py is_conversational looks at one key), tools given as a string that is "
    "not JSON (json.loads in tokenize_fn), a text with an unpaired surrogate (the tokenizer raises).",
    "Write the example the way the template expects (string contents, the roles it knows), or name another chat "
    "template (--chat-template).",
    _lines('{"messages":[{"role":"system","content":[{"type":"text","text":"Be brief."}]},'
           '{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}'),
    _lines('{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},'
           '{"role":"assistant","content":"Hello!"}]}'),
    settings={"target": "trl", "model": "Qwen/Qwen3-8B"},
)
VISION_MODEL = _rule(
    "vision-model", WARNING, "file", "Model",
    "The file has images but the target model is not documented to accept images for fine-tuning (what OpenAI "
    "does then is not documented either).",
    "Use gpt-4o-2024-08-06 for vision fine-tuning.",
    _lines(*['{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}]},'
             '{"role":"assistant","content":"A cat."}]}'] * 10),
    _TEN, settings={"model": "gpt-4.1-mini-2025-04-14"},
)
TOKENS_ESTIMATED = _rule(
    "tokens-estimated", INFORMATION, "file", "Tokens",
    "Some token counts are estimates: images (whose size is unknown without downloading them), tools definitions "
    "and the per-message overhead follow a documented formula, not OpenAI's billing.",
    "Nothing to fix; see docs/tokens.md for the formula.",
    _lines(*['{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.org/a.png"}}]},'
             '{"role":"assistant","content":"A cat."}]}'] * 10),
    _TEN, settings={"model": "gpt-4o-2024-08-06"},
)
INTERNAL_ERROR = _rule(
    "internal-error", ERROR, "line", "File",
    "finetune-ls failed while checking this line (a bug); the rest of the file is still checked. It is an error "
    "so that a line that could not be checked never passes CI.",
    "Report the bug with the line; the message holds the error.",
    "", _OK + "\n",
)


def example_text(text: str | Callable[[], str]) -> str:
    return text() if callable(text) else text


def example_bytes(text: str | Callable[[], str]) -> bytes:
    """An example as file bytes (lone surrogates stand for undecodable bytes)."""
    return example_text(text).encode("utf-8", "surrogateescape")


def rule(code: str) -> Rule:
    return RULES[code]
