"""What each rule's severity rests on: a source that shows OpenAI's behaviour, or the lack of one.

A rule is an error only when a source shows OpenAI refusing the data (an error message
someone got back, a requirement the guide or the API spec states); where no source
exists the rule is a warning and its message says the behaviour is undocumented.
`core/rules.py` attaches each entry to its rule; `docs/rules.md` shows it under the rule.
Source keys ([FS-WEIGHT], [SPEC-2507], ...) are listed in SOURCES below.
"""

from __future__ import annotations

from dataclasses import dataclass

# The kinds of evidence, strongest first. Only the first three can make a rule an error.
OBSERVED = "observed"  # an error message OpenAI's API (or a trainer) returned to someone, for this kind of data
DOCUMENTED = "documented"  # OpenAI's guide, the format's own standard, or a trainer's docs/code says it must differ
SPEC = "spec"  # OpenAI's OpenAPI schema makes the line invalid, and the job validator checks that schema
ADVICE = "advice"  # the rule claims no rejection: the data is accepted but likely wrong or wasteful
TOOL = "tool"  # about finetune-ls itself (what it could not check or count), not about OpenAI
NONE = "none"  # the rule is about OpenAI's behaviour but no source shows it

KINDS: dict[str, str] = {
    OBSERVED: "an error message OpenAI (or, for an open-weight target, the trainer) returned for this kind of "
              "data: a job or upload that failed.",
    DOCUMENTED: "OpenAI's guide, the standard of the format OpenAI requires (JSON Lines, UTF-8 JSON), or for an "
                "open-weight target the trainer's documentation or source code, says the data must be otherwise.",
    SPEC: "OpenAI's published OpenAPI schema makes the line invalid, and the job validator is known to "
          "check lines against typed per-role models: its observed errors are a schema validator's "
          "(\"Discriminator 'role' is missing in value\" [FS-ROLE], \"key \\\"content\\\": Input should be a "
          "valid string\" [COMM-965584]).",
    ADVICE: "the rule claims no rejection; the data is accepted but most likely a mistake, wasteful or risky.",
    TOOL: "about finetune-ls itself (a line it could not check, a count it could only estimate), not OpenAI.",
    NONE: "the rule concerns OpenAI's behaviour, but no source shows it; the finding says so.",
}
ERROR_KINDS = frozenset({OBSERVED, DOCUMENTED, SPEC})

# Where the keys point. Details and quotes: the project's reference notes on OpenAI fine-tuning.
SOURCES: dict[str, str] = {
    "FS-WEIGHT": 'a failed job: "Invalid file format. Example 1 contains an extra \\"weight\\"" (a weight key '
                 "on the example itself, beside messages).",
    "COMM-536": 'community.openai.com/t/fine-tuning-with-function-call-in-jsonl/966285: "Example 536 contains '
                'an extra \\"tools\\"".',
    "COMM-965584": "community.openai.com/t/fine-tuning-with-the-result-of-a-function-call-tool-role/965584: "
                   "\"Invalid file format. Line 1, message 3, key \\\"content\\\": Input should be a valid string\".",
    "FS-ROLE": "a failed job: \"Invalid file format. Example 100, message 2 Discriminator 'role' is missing in value\".",
    "FS-MISC": 'a failed job: "Unexpected file format, expected either prompt/completion pairs or chat messages."',
    "FS-MISSING": "failed jobs: \"Invalid file format. Example X is missing key 'messages'\" (and 'input' for DPO).",
    "FS-DPO": "a failed job: a chat file \"is in the fine-tune-chat format, but the specified fine-tuning job is "
              "not using 'supervised'\"; also invalid_n_examples.",
    "PHP-FIX": "openai-php/client tests/Fixtures/FineTuning.php: invalid_n_examples, \"Training file has 7 "
               "example(s), but must have at least 10 examples\".",
    "PHP-FIX-FILE": "openai-php/client tests/Fixtures/File.php: \"Invalid file format. Example 1273 cannot be "
                    "parsed. Error: line contains invalid json\".",
    "DOTNET-59": "github.com/OkGoDoIt/OpenAI-API-dotnet/issues/59: upload refused, \"Expected file to have JSONL "
                 "format, where every line is a JSON dictionary. Line 1 is not a dictionary\".",
    "CHAT-TOOL": "github.com/smarter-sh/smarter/issues/264 (and many more): the chat completions API answers "
                 "\"messages with role 'tool' must be a response to a preceeding message with 'tool_calls'\".",
    "SPEC": "openai/openai-openapi openapi.yaml @f85dbe2 (2026-08-21): message schemas by role.",
    "SPEC-2507": "openai/openai-openapi @f7f4b05 (2025-07-04): FineTuneChatRequestInput, "
                 "FineTunePreferenceRequestInput, FineTuneReinforcementRequestInput (dropped from later specs).",
    "FT-GUIDE-2024": "OpenAI's former fine-tuning guide (platform.openai.com/docs/guides/fine-tuning, late 2024).",
    "SFT-DOC": "developers.openai.com/api/docs/guides/supervised-fine-tuning.",
    "VISION-DOC": "developers.openai.com/api/docs/guides/vision-fine-tuning.",
    "DPO-DOC": "developers.openai.com/api/docs/guides/direct-preference-optimization.",
    "RFT-DOC": "developers.openai.com/api/docs/guides/reinforcement-fine-tuning.",
    "DEPR": "developers.openai.com/api/docs/deprecations.",
    "AZ-QUOTA": "learn.microsoft.com, Azure OpenAI quotas and limits.",
    "COOKBOOK": "openai/openai-cookbook examples/Chat_finetuning_data_prep.ipynb (OpenAI's data check; it also "
                "flags valid data such as tool messages, so it is not proof of a rejection).",
    "RFC8259": "RFC 8259, JSON: exchanged JSON MUST be UTF-8, no byte order mark, no comments or trailing commas.",
    "JSONL": "jsonlines.org: UTF-8, one JSON value per line, lines separated by \\n.",
    "CORPUS": "the project's corpus of 34 real training files (expected.json, SOURCES.md).",
    # Open-weight targets (the project's provider notes, section 3-4, with commits).
    "TRL": "huggingface/trl @f2cd5771 (1.10.0.dev0, 2026-07-24): trl/trainer/sft_trainer.py, dpo_trainer.py, "
           "sft_config.py, data_utils.py.",
    "AXO": "axolotl-ai-cloud/axolotl @067b021c (0.18.0, 2026-07-24): prompt_strategies/chat_template.py, "
           "utils/schemas/config.py, docs/dataset-formats/conversation.qmd.",
    "UNS": "unslothai/unsloth @015bdef0 (2026.8.19): unsloth/models/loader.py; TRL's SFTTrainer underneath.",
    "TG-PY1": "togethercomputer/together-python @eba5e5f0 (1.5.34): src/together/utils/files.py check_file, "
              "the validator Together's docs describe and its server now applies.",
    "TG-PY3": "PyPI together 3.1.1: the client checks only UTF-8 and JSON objects (semantic checks run on the "
              "server after upload); its constants document the server's contract (roles, tools column).",
    "TG-DOCS": "docs.together.ai data-preparation, preference-tuning and pricing pages (undated copies).",
}


@dataclass(frozen=True)
class Evidence:
    kind: str  # one of KINDS
    text: str  # one or two sentences, naming the source keys


def _e(kind: str, text: str) -> Evidence:
    return Evidence(kind, text)


_PARSE = "A line that is not valid JSON is refused: \"Example N cannot be parsed ... line contains invalid json\" [PHP-FIX-FILE]."

EVIDENCE: dict[str, Evidence] = {
    # ------------------------------------------------------------ file and text
    "binary-file": _e(DOCUMENTED, "Fine-tuning files must be JSONL [SPEC /files], i.e. UTF-8 text [JSONL], [RFC8259]; "
                                  "a NUL byte or UTF-16 makes every line unparsable. " + _PARSE),
    "invalid-utf8": _e(DOCUMENTED, "JSON Lines and exchanged JSON must be UTF-8 [JSONL], [RFC8259]."),
    "byte-order-mark": _e(ADVICE, "RFC 8259 forbids adding a BOM but lets parsers ignore it [RFC8259]; no source shows "
                                  "OpenAI refusing one (a corpus file with a BOM is expected to be flagged, not "
                                  "rejected [CORPUS])."),
    "blank-line": _e(NONE, "No source shows what OpenAI does with an empty line (JSON Lines has none [JSONL]); "
                           "the finding only asks to delete it."),
    # ------------------------------------------------------------ JSON
    "json-syntax": _e(OBSERVED, _PARSE),
    "comment-line": _e(OBSERVED, "JSON has no comments [RFC8259]. " + _PARSE),
    "trailing-comma": _e(OBSERVED, "JSON allows no trailing comma [RFC8259]. " + _PARSE),
    "unclosed-bracket": _e(OBSERVED, _PARSE),
    "python-literal": _e(OBSERVED, "Single quotes, True and None are not JSON [RFC8259]. " + _PARSE),
    "split-record": _e(OBSERVED, "Each part of the split line is invalid JSON on its own. " + _PARSE),
    "multiline-record": _e(OBSERVED, "Each line of a pretty-printed object is invalid JSON on its own. " + _PARSE),
    "json-array": _e(OBSERVED, "An array line is not a JSON dictionary: the upload is refused, \"Line 1 is not a "
                               "dictionary\" [DOTNET-59]; a pretty-printed array's lines cannot be parsed "
                               "[PHP-FIX-FILE]."),
    "not-an-object": _e(OBSERVED, "\"Expected file to have JSONL format, where every line is a JSON dictionary. "
                                  "Line 1 is not a dictionary\" [DOTNET-59]."),
    "nesting-too-deep": _e(NONE, "No source shows what OpenAI does with nesting over 1,000 levels; Python's json "
                                 "module stops at its recursion limit (about 1,000) and finetune-ls cannot check "
                                 "the line. Severity lowered from error to warning."),
    "number-out-of-range": _e(NONE, "Valid JSON [RFC8259]; parsers differ and OpenAI's behaviour is not documented."),
    "invalid-unicode-escape": _e(NONE, "Valid JSON grammar but no character [RFC8259 §8.2]; Python's json accepts "
                                       "it, and what OpenAI does with it is not documented."),
    # ------------------------------------------------------------ format
    "unknown-format": _e(OBSERVED, "\"Unexpected file format, expected either prompt/completion pairs or chat "
                                   "messages\" [FS-MISC]; \"Example X is missing key 'messages'\" [FS-MISSING]."),
    "foreign-format": _e(OBSERVED, "Another tool's keys are not a fine-tuning format: \"Unexpected file format\" "
                                   "[FS-MISC], \"missing key 'messages'\" [FS-MISSING]; the corpus's text/label file "
                                   "is expected to fail [CORPUS]."),
    "message-per-line": _e(OBSERVED, "A lone message has no messages key: \"Example X is missing key 'messages'\" "
                                     "[FS-MISSING]."),
    "mixed-formats": _e(OBSERVED, "OpenAI classifies the whole file as one format (\"is in the fine-tune-chat "
                                  "format\" [FS-DPO]) and a line of another format then misses that format's key "
                                  "(\"missing key 'messages'\" / \"'input'\" [FS-MISSING])."),
    # ------------------------------------------------------------ schema
    "missing-key": _e(OBSERVED, "\"Discriminator 'role' is missing in value\" [FS-ROLE]; \"Example X is missing key "
                                "'messages'\" [FS-MISSING]; content is required by the message schemas [SPEC]."),
    "unknown-key": _e(OBSERVED, "On the example itself: \"Example 1 contains an extra \\\"weight\\\"\" [FS-WEIGHT], "
                                "\"Example 536 contains an extra \\\"tools\\\"\" [COMM-536]. Inside a message no "
                                "source shows a rejection and the message schemas do not forbid extra keys [SPEC]: "
                                "that case is a warning whose message says so. Reinforcement data allows any "
                                "top-level key [SPEC-2507]."),
    "wrong-type": _e(SPEC, "The schemas give each key's type [SPEC], [SPEC-2507]; a type mismatch was refused with "
                           "\"key \\\"content\\\": Input should be a valid string\" [COMM-965584]."),
    "invalid-value": _e(SPEC, "Enums and patterns of the schemas (image detail auto/low/high, function names "
                              "[a-zA-Z0-9_-]{1,64}) [SPEC]; audio and file parts: \"Audio and file input messages "
                              "are not currently supported for fine-tuning\" [SPEC]."),
    "empty-array": _e(SPEC, "minItems 1 on messages and on content-part arrays [SPEC-2507], [SPEC]."),
    "too-many-items": _e(DOCUMENTED, "preferred_output / non_preferred_output have maxItems 1 [SPEC-2507]; DPO takes "
                                     "one output each [DPO-DOC]."),
    # ------------------------------------------------------------ messages
    "unknown-role": _e(SPEC, "The role lists of FineTuneChatRequestInput and FineTuneReinforcementRequestInput "
                             "[SPEC-2507]; the validator dispatches on role [FS-ROLE]."),
    "missing-assistant": _e(DOCUMENTED, "Supervised examples train on assistant messages (\"all assistant messages "
                                        "are trained by default\" [FT-GUIDE-2024]); OpenAI's data check counts an "
                                        "example without one as a format error [COOKBOOK]. No observed job error "
                                        "was found."),
    "nothing-trained": _e(ADVICE, "weight 0 skips a message [FT-GUIDE-2024]; whether OpenAI refuses an example "
                                  "with nothing to train is not documented."),
    "missing-user": _e(ADVICE, "OpenAI's data check counts examples without a user message as a warning "
                               "[COOKBOOK]."),
    "system-not-first": _e(ADVICE, "The guide's examples put the system prompt first [FT-GUIDE-2024]; no rule "
                                   "forbids a later one."),
    "developer-role-in-sft": _e(SPEC, "The supervised schema lists system, user, assistant, tool and function, not "
                                      "developer [SPEC-2507]; whether the server accepts developer is not confirmed, "
                                      "so this stays a warning (undecided: see docs/rules.md's introduction)."),
    "untrained-tail": _e(ADVICE, "Only assistant messages are trained [FT-GUIDE-2024]; messages after the last "
                                 "one teach nothing."),
    "empty-content": _e(ADVICE, "The schemas allow an empty string (no minLength on content) [SPEC] and no source "
                                "shows OpenAI refusing \"\"; OpenAI's data check counts it as missing content "
                                "[COOKBOOK]. The corpus's empty assistant answers are expected as warnings [CORPUS]."),
    "empty-system": _e(ADVICE, "Accepted by the schemas [SPEC]; it only costs tokens."),
    "invalid-weight": _e(DOCUMENTED, "weight is \"integer, enum 0 or 1\" [SPEC]; \"Allowed values: 0 or 1\" "
                                     "[FT-GUIDE-2024]. A float 1.0 or 0.0 equals an allowed value (JSON Schema "
                                     "treats 1.0 as 1) and no source shows it refused: that case is a warning "
                                     "whose message says so."),
    "misplaced-weight": _e(OBSERVED, "On the example itself: \"Example 1 contains an extra \\\"weight\\\"\" "
                                     "[FS-WEIGHT]. On a user, system or tool message, or a DPO output, no source "
                                     "shows a rejection (weight is defined only on assistant messages [SPEC]): "
                                     "that case is a warning whose message says so."),
    # ------------------------------------------------------------ tools
    "arguments-not-string": _e(SPEC, "function.arguments is a string holding JSON [SPEC]; type mismatches are "
                                     "refused (\"Input should be a valid string\" [COMM-965584])."),
    "arguments-invalid-json": _e(ADVICE, "The schema only asks for a string [SPEC]; the model learns broken calls."),
    "arguments-not-object": _e(ADVICE, "The schema only asks for a string [SPEC]; the model learns arguments the "
                                       "API cannot use."),
    "arguments-schema-mismatch": _e(ADVICE, "Not checked by OpenAI as far as any source shows; the model learns "
                                            "calls its tool would refuse."),
    "invalid-tool-schema": _e(ADVICE, "No source shows OpenAI validating parameters as JSON Schema at fine-tuning "
                                      "time."),
    "undeclared-function": _e(ADVICE, "No source shows OpenAI refusing a call to an undeclared function."),
    "tool-result-without-call": _e(NONE, "The chat completions API refuses it (\"messages with role 'tool' must be "
                                         "a response to a preceeding message with 'tool_calls'\" [CHAT-TOOL]); no "
                                         "source shows the fine-tuning validator doing the same. Severity lowered "
                                         "from error to warning."),
    "unanswered-tool-call": _e(ADVICE, "The chat API wants each tool call answered [CHAT-TOOL]; for fine-tuning no "
                                       "source shows a rejection."),
    "duplicate-tool-call-id": _e(ADVICE, "No source shows a rejection; results cannot be matched to calls."),
    # ------------------------------------------------------------ images
    "image-outside-user": _e(DOCUMENTED, "\"no images in assistant messages\" [VISION-DOC]; system and assistant "
                                         "content parts are text only [SPEC]."),
    "image-url": _e(DOCUMENTED, "image_url.url is an http(s) URL or a data URL [SPEC]; images must be JPEG, PNG or "
                                "WEBP, and an inaccessible URL is a documented skip reason [VISION-DOC]."),
    "image-format": _e(DOCUMENTED, "JPEG, PNG or WEBP only; \"invalid image format\" is a documented skip reason "
                                   "[VISION-DOC]."),
    "too-many-images": _e(DOCUMENTED, "At most 10 images per example [VISION-DOC] (Azure OpenAI: 64 [AZ-QUOTA])."),
    "image-too-large": _e(DOCUMENTED, "At most 10 MB per image; \"image too large\" is a documented skip reason "
                                      "[VISION-DOC]."),
    # ------------------------------------------------------------ preference and reinforcement
    "preference-multi-turn": _e(DOCUMENTED, "DPO takes one-turn examples only [DPO-DOC]."),
    "preference-identical": _e(ADVICE, "Accepted by the schema [SPEC-2507]; it teaches no preference."),
    "preference-not-text": _e(DOCUMENTED, "DPO takes text inputs and outputs only [DPO-DOC]."),
    "rft-ends-with-assistant": _e(ADVICE, "The model is sampled after the prompt [RFT-DOC]; no source shows a "
                                          "rejection."),
    "legacy-format": _e(DOCUMENTED, "No new training on babbage-002 / davinci-002 since 2024-10-28 [DEPR]."),
    # ------------------------------------------------------------ privacy
    "secret-in-text": _e(ADVICE, "Not an OpenAI rule: a trained model can repeat its training data."),
    "email-in-text": _e(ADVICE, "Not an OpenAI rule: personal data in training data."),
    "phone-in-text": _e(ADVICE, "Not an OpenAI rule: personal data in training data."),
    "card-number-in-text": _e(ADVICE, "Not an OpenAI rule: payment data in training data."),
    # ------------------------------------------------------------ file
    "too-few-examples": _e(OBSERVED, "invalid_n_examples: \"Training file has 7 example(s), but must have at least "
                                     "10 examples\" [PHP-FIX], [FS-DPO]; \"at least 10\" [SFT-DOC]."),
    "too-many-examples": _e(DOCUMENTED, "At most 50,000 reinforcement training examples [RFT-DOC] and 50,000 "
                                        "examples with images [VISION-DOC]."),
    "job-too-large": _e(DOCUMENTED, "The provider's published quotas (Azure OpenAI: files under 512 MB through the "
                                    "API, 2 billion training tokens x epochs per job [AZ-QUOTA])."),
    "duplicate-example": _e(ADVICE, "Accepted; each copy is trained and billed."),
    "example-too-long": _e(DOCUMENTED, "Over-long examples are truncated, \"removes tokens from the end\" "
                                       "[FT-GUIDE-2024]: accepted, so a warning."),
    "validation-overlap": _e(DOCUMENTED, "\"The same data should not be present in both train and validation files\" "
                                         "[SPEC]: a recommendation, so a warning."),
    "format-method-mismatch": _e(OBSERVED, "\"is in the fine-tune-chat format, but the specified fine-tuning job is "
                                           "not using 'supervised' as the training method\" [FS-DPO]."),
    "model-not-trainable": _e(DOCUMENTED, "The deprecation schedule [DEPR]."),
    "model-retiring": _e(DOCUMENTED, "The deprecation schedule [DEPR]."),
    "unknown-model": _e(TOOL, "The model is not in finetune-ls's catalog; nothing is known about OpenAI's answer."),
    "target-format": _e(DOCUMENTED, "Each trainer reads its own formats: TRL's SFTTrainer messages, prompt/completion "
                                    "and text, its DPOTrainer prompt/chosen/rejected [TRL]; Together chat, "
                                    "prompt/completion, text and input/preferred_output/non_preferred_output "
                                    "[TG-PY3], [TG-DOCS]; axolotl maps fields in its dataset config [AXO]."),
    "together-rule": _e(DOCUMENTED, "Rules Together's current SDK still states as the server's contract (roles, "
                                    "columns) or its docs state [TG-PY3], [TG-DOCS], from the validator of "
                                    "[TG-PY1]."),
    "together-unconfirmed": _e(NONE, "Checks only Together's legacy SDK made on the client [TG-PY1]; the current "
                                     "SDK leaves them to the server [TG-PY3], whose rule is not published; the "
                                     "finding says so."),
    "weight-ignored": _e(DOCUMENTED, "TRL has no per-message weight (not read in trl/data_utils.py or its "
                                     "trainers) [TRL]; axolotl reads a message's weight only with "
                                     "message_field_training: weight [AXO]."),
    "part-boundary-whitespace": _e(DOCUMENTED, "axolotl logs the same warning where per-part training switches "
                                               "at a part ending in whitespace (_convert_content_parts) [AXO]."),
    "packing-note": _e(ADVICE, "Together packs by default (packing true in its job API) [TG-DOCS]; TRL and "
                               "axolotl when packing is set [TRL], [AXO]. Information only."),
    "examples-over-length": _e(DOCUMENTED, "TRL truncates to max_length keeping the start [TRL]; axolotl drops "
                                           "examples over sequence_len (excess_length_strategy drop) [AXO]; "
                                           "Unsloth's default max_seq_length is 2048 [UNS]."),
    "chat-template-error": _e(DOCUMENTED, "TRL renders every row with apply_chat_template before training "
                                          "(trl/trainer/sft_trainer.py and dpo_trainer.py, _prepare_dataset), so "
                                          "an exception the template raises stops the run at that row [TRL]."),
    "chat-template-unusable": _e(DOCUMENTED, "Without a chat template (or with one that does not compile) "
                                             "transformers' apply_chat_template raises, and TRL calls it for "
                                             "every conversational row (trl/trainer/sft_trainer.py and "
                                             "dpo_trainer.py, _prepare_dataset): no row can be prepared [TRL]."),
    "tokenizer-unavailable": _e(TOOL, "finetune-ls could not load the model's tokenizer, so it counts nothing."),
    "vision-model": _e(NONE, "Image fine-tuning is documented for some models only [VISION-DOC]; for the "
                             "others OpenAI's behaviour is not documented either way."),
    "tokens-estimated": _e(TOOL, "finetune-ls's counts follow a documented formula, not OpenAI's billing."),
    "internal-error": _e(TOOL, "A bug in finetune-ls: the line was not checked, so it must not pass CI."),
}
