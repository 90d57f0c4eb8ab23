"""The fast path for plain conversations skips the schema and the full walk; it must
only ever clear examples that both would clear too."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings as hsettings
from hypothesis import strategies as st

from finetune_ls.core.checks import check_chat, plain_conversation
from finetune_ls.core.report import LineReport
from finetune_ls.core.schemas import validator

message = st.fixed_dictionaries({"role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "x"]),
                                 "content": st.sampled_from(["hi", "", " ", "\n", "ok ok"])})


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(message, max_size=6), st.sampled_from(["chat", "reinforcement"]), st.booleans())
def test_plain_means_schema_valid_and_no_findings(messages, fmt, extra_key):
    example = {"messages": messages}
    if extra_key:
        example["reference_answer"] = "4"
    assume(plain_conversation(example, fmt))
    assert validator(fmt).is_valid(example)
    report = LineReport(0, None, "{}")
    check_chat(example, report, fmt)
    assert report.findings == []
