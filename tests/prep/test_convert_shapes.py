"""Every input shape `convert` detects, and every option that changes what it writes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from finetune_ls.core.engine import CheckSettings
from finetune_ls.prep.convert import Options, UsageProblem, convert_table
from finetune_ls.prep.readers import read_bytes

SETTINGS = CheckSettings(count_tokens=False, today=date(2026, 11, 1))


def convert(text: str, kind: str = "jsonl", **options):
    return convert_table(read_bytes(text.encode("utf-8"), kind), Options(**options), SETTINGS)


def jsonl(*rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def chat(*turns) -> dict:
    return {"messages": [{"role": role, "content": content} for role, content in turns]}


def examples(outcome) -> list[dict]:
    return [example for _, example in outcome.examples]


def test_prompt_completion_loses_the_separator_and_ending_the_whole_file_shares():
    outcome = convert(jsonl({"prompt": "2+2 ->", "completion": " 4 END"},
                            {"prompt": "Capital of France ->", "completion": " Paris END"}))
    assert outcome.detection.describe() == "detected shape: prompt-completion (prompt/completion) -> chat"
    assert examples(outcome) == [chat(("user", "2+2"), ("assistant", "4")),
                                 chat(("user", "Capital of France"), ("assistant", "Paris"))]


def test_a_suffix_that_not_every_prompt_has_is_data_and_stays():
    outcome = convert(jsonl({"prompt": "Draw an arrow: ->", "completion": "→"},
                            {"prompt": "Plain question", "completion": "Plain END"}))
    assert examples(outcome) == [chat(("user", "Draw an arrow: ->"), ("assistant", "→")),
                                 chat(("user", "Plain question"), ("assistant", "Plain END"))]


def test_prepare_data_separator_and_newline_ending():
    outcome = convert(jsonl({"prompt": "Hi there\n\n###\n\n", "completion": " Hello\n"},
                            {"prompt": "Bye\n\n###\n\n", "completion": " See you\n"}))
    assert examples(outcome)[1] == chat(("user", "Bye"), ("assistant", "See you"))


def test_alpaca_with_and_without_input_and_with_response():
    outcome = convert(jsonl({"instruction": "Translate", "input": "chat", "output": "cat"},
                            {"instruction": "Say hi", "input": "", "output": "Hi"},
                            {"instruction": "Count", "response": "1 2 3"}))
    assert outcome.detection.shape.name == "alpaca"
    assert examples(outcome) == [chat(("user", "Translate\n\nchat"), ("assistant", "cat")),
                                 chat(("user", "Say hi"), ("assistant", "Hi")),
                                 chat(("user", "Count"), ("assistant", "1 2 3"))]


def test_question_answer_csv_headers_in_any_case():
    outcome = convert("Question,Answer,id\nWho?,Me,1\n", "csv")
    assert outcome.detection.describe() == "detected shape: question-answer (question/answer) -> chat; ignored: id"
    assert examples(outcome) == [chat(("user", "Who?"), ("assistant", "Me"))]


def test_sharegpt_speakers_and_system():
    row = {"system": "Be brief.", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}]}
    outcome = convert(jsonl(row))
    assert examples(outcome) == [chat(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hey"))]


def test_sharegpt_unknown_speaker_is_a_row_problem_until_mapped():
    row = {"conversations": [{"from": "narrator", "value": "Night."}, {"from": "human", "value": "Hi"},
                             {"from": "gpt", "value": "Hey"}]}
    outcome = convert(jsonl(row))
    assert [(p.row, p.code) for p in outcome.problems] == [(1, "not-convertible")]
    assert "--role narrator=user" in outcome.problems[0].message
    mapped = convert(jsonl(row), roles={"narrator": "system"})
    assert examples(mapped) == [chat(("system", "Night."), ("user", "Hi"), ("assistant", "Hey"))]
    wrong = convert(jsonl(row), roles={"narrator": "wizard"})
    assert wrong.problems[0].message == "turn 1: --role maps 'narrator' to 'wizard', which is not a chat role"


def test_trl_preference_becomes_dpo_data():
    outcome = convert(json.dumps([
        {"prompt": "Hi", "chosen": "Hello!", "rejected": "What."},
        {"prompt": [{"role": "user", "content": "Sum 1+1"}], "chosen": [{"role": "assistant", "content": "2"}],
         "rejected": [{"role": "assistant", "content": "3"}]},
    ], indent=2), "json")
    assert outcome.detection.target == "preference"
    assert examples(outcome)[0] == {"input": {"messages": [{"role": "user", "content": "Hi"}]},
                                    "preferred_output": [{"role": "assistant", "content": "Hello!"}],
                                    "non_preferred_output": [{"role": "assistant", "content": "What."}]}
    assert examples(outcome)[1]["non_preferred_output"] == [{"role": "assistant", "content": "3"}]
    assert outcome.report.format == "preference" and not outcome.problems


def test_text_label_classification_from_tsv():
    outcome = convert("text\tlabel\nI loved it\tpositive\n", "tsv")
    assert examples(outcome) == [chat(("user", "I loved it"), ("assistant", "positive"))]


def test_input_output_pairs_and_numbers_as_written():
    outcome = convert('{"input": "pi?", "output": 3.140}\n')
    assert outcome.detection.shape.name == "input-output"
    assert examples(outcome) == [chat(("user", "pi?"), ("assistant", "3.140"))]


def test_chat_rows_pass_through_and_take_a_system_message():
    outcome = convert(jsonl(chat(("user", "Hi"), ("assistant", "Hello"))), system="You are kind.")
    assert examples(outcome) == [chat(("system", "You are kind."), ("user", "Hi"), ("assistant", "Hello"))]


def test_chat_rows_lose_keys_openai_rejects_and_say_so():
    row = {"id": 7, **chat(("user", "Hi"), ("assistant", "Hello")), "tools": []}
    outcome = convert(jsonl(row))
    assert outcome.detection.describe() == "detected shape: chat (messages) -> chat; ignored: id"
    assert examples(outcome) == [{**chat(("user", "Hi"), ("assistant", "Hello")), "tools": []}]


def test_system_on_a_row_that_has_one_is_reported_not_doubled():
    outcome = convert(jsonl({"instruction": "x", "output": "y", "system": "old"}, {"instruction": "a", "output": "b"}),
                      system="new")
    assert [(p.row, "already has a system message" in p.message) for p in outcome.problems] == [(1, True)]
    assert examples(outcome) == [chat(("system", "new"), ("user", "a"), ("assistant", "b"))]


def test_system_goes_into_preference_input():
    outcome = convert(jsonl({"prompt": "Hi", "chosen": "Hello", "rejected": "No"}), system="Be nice.")
    assert examples(outcome)[0]["input"]["messages"][0] == {"role": "system", "content": "Be nice."}


def test_two_shapes_at_once_are_refused_naming_columns_and_options():
    with pytest.raises(UsageProblem) as refused:
        convert("prompt,completion,question,answer\na,b,c,d\n", "csv")
    message = str(refused.value)
    assert "prompt, completion, question, answer" in message and "--shape" in message and "--prompt-col" in message
    assert "prompt-completion" in message and "question-answer" in message
    outcome = convert("prompt,completion,question,answer\na,b,c,d\n", "csv", shape="question-answer")
    assert outcome.detection.ignored == ("prompt", "completion")
    assert examples(outcome) == [chat(("user", "c"), ("assistant", "d"))]


def test_no_known_shape_is_refused_until_columns_are_named():
    text = "ask,reply,notes\nWhere?,Here,x\n"
    with pytest.raises(UsageProblem, match="no known shape in the columns seen: ask, reply, notes"):
        convert(text, "csv")
    outcome = convert(text, "csv", columns={"prompt": "ask", "completion": "reply"})
    assert examples(outcome) == [chat(("user", "Where?"), ("assistant", "Here"))]
    assert outcome.detection.ignored == ("notes",)
    with pytest.raises(UsageProblem, match="no column 'answer'"):
        convert(text, "csv", columns={"prompt": "ask", "completion": "answer"})


def test_forced_shape_needs_its_keys():
    with pytest.raises(UsageProblem, match="--shape alpaca needs instruction and output/response"):
        convert("question,answer\na,b\n", "csv", shape="alpaca")


def test_to_prompt_completion_from_one_turn_rows_only():
    outcome = convert(jsonl({"question": "q", "answer": "a"}), to="prompt-completion")
    assert examples(outcome) == [{"prompt": "q", "completion": "a"}]
    multi = {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"},
                               {"from": "human", "value": "c"}, {"from": "gpt", "value": "d"}]}
    outcome = convert(jsonl(multi), to="prompt-completion")
    assert [p.row for p in outcome.problems] == [1] and "one user message" in outcome.problems[0].message


def test_prompt_completion_kept_as_written_when_it_stays_prompt_completion():
    outcome = convert(jsonl({"prompt": "2+2 ->", "completion": " 4\n"}), to="prompt-completion")
    assert examples(outcome) == [{"prompt": "2+2 ->", "completion": " 4\n"}]


@pytest.mark.parametrize("text, options, message", [
    (jsonl({"prompt": "p", "chosen": "c", "rejected": "r"}), {"to": "chat"}, "converts to preference data, not chat"),
    (jsonl({"question": "q", "answer": "a"}), {"to": "preference"}, "converts to chat data, not preference"),
    (jsonl({"question": "q", "answer": "a"}), {"to": "prompt-completion", "system": "s"}, "--system has no place"),
])
def test_targets_a_shape_cannot_reach_are_refused(text, options, message):
    with pytest.raises(UsageProblem, match=message):
        convert(text, **options)


def test_rows_the_check_rejects_are_problems_at_their_source_row():
    bad = chat(("user", "Hi"), ("assistant", "Hello"))
    bad["messages"][1]["weight"] = 2
    outcome = convert(jsonl(chat(("user", "a"), ("assistant", "b")), bad))
    assert [(p.row, p.code) for p in outcome.problems] == [(2, "invalid-weight")]
    assert not outcome.writable
    assert [row for row, _ in outcome.examples] == [1]  # what --skip-bad would write
    assert convert(jsonl(chat(("user", "a"), ("assistant", "b")), bad), skip_bad=True).writable
