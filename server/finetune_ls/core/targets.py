"""Where a file will be trained (a target) and what that trainer does with it.

A target is data (data/targets.json): its display name, its model catalog, whether
tokens come from tiktoken (OpenAI, Azure) or from the model's own Hugging Face
tokenizer and chat template (Together, TRL, axolotl, Unsloth), the trainer's default
sequence length and what it does past it, and which tokens it trains on. The user's
settings override the defaults; `TrainingSetup` is the result, one per check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

HOSTED_OPENAI = ("openai", "azure")  # counted with tiktoken, OpenAI's rules
OPEN_WEIGHT = ("together", "trl", "axolotl", "unsloth")  # the model's own tokenizer and template
TARGETS = HOSTED_OPENAI + OPEN_WEIGHT
TRAIN_ON = ("all", "assistant", "roles")  # every token; assistant spans; axolotl's roles_to_train
TRAIN_ON_EOS = ("all", "turn", "last", "none")  # axolotl's train_on_eos


@dataclass(frozen=True)
class TargetInfo:
    id: str
    name: str  # as messages name it
    kind: str  # hosted | local
    catalog: str  # which bundled catalog holds its models
    tokenizer: str  # tiktoken | huggingface
    max_seq_length: int | None = None  # the trainer's default (None: per model, from the catalog)
    max_seq_length_setting: str | None = None  # the trainer's own name for it, as its users write it
    overflow: str = "truncate"  # truncate | drop: what the trainer does with an example over the length
    packing: bool = False  # packs examples into sequences by default
    train_on: str = "all"  # see TRAIN_ON
    roles_to_train: tuple[str, ...] = ("assistant",)
    train_on_eos: str = "turn"
    honours_weight: bool = True  # a message's "weight" changes what is trained
    sources: tuple[str, ...] = ()

    @property
    def open_weight(self) -> bool:
        return self.tokenizer == "huggingface"


@dataclass(frozen=True)
class TrainingSetup:
    """What one check assumes about the training run: the target's defaults with the
    user's settings on top. Picklable and hashable: it is part of a line's context."""

    target: str = "openai"
    max_seq_length: int | None = None
    overflow: str = "truncate"
    packing: bool = False
    train_on: str = "all"
    roles_to_train: tuple[str, ...] = ("assistant",)
    train_on_eos: str = "turn"
    honours_weight: bool = True

    def fingerprint(self) -> str:
        return (f"{self.target}|{self.max_seq_length}|{self.overflow}|{self.packing}|{self.train_on}|"
                f"{','.join(self.roles_to_train)}|{self.train_on_eos}|{self.honours_weight}")


class UnknownTarget(ValueError):
    """A target name that is not in data/targets.json; the message lists the known ones."""


@lru_cache(maxsize=1)
def _targets() -> dict[str, TargetInfo]:
    document = json.loads((resources.files("finetune_ls") / "data" / "targets.json").read_text(encoding="utf-8"))
    targets = {}
    for name, entry in document["targets"].items():
        given = {key: tuple(value) if isinstance(value, list) else value for key, value in entry.items()}
        targets[name] = TargetInfo(id=name, **given)
    return targets


def target_info(name: str) -> TargetInfo:
    info = _targets().get(name)
    if info is None:
        raise UnknownTarget(f"unknown target {name!r}; targets are: {', '.join(_targets())}")
    return info


def training_setup(target: str, max_seq_length: int | None = None, train_on: str | None = None,
                   roles_to_train: tuple[str, ...] | None = None, train_on_eos: str | None = None,
                   packing: bool | None = None, model_context: int | None = None) -> TrainingSetup:
    """The target's defaults with the user's settings on top. `model_context`: the model's
    own limit where the target has no default of its own (Together: per model)."""
    info = target_info(target)
    return TrainingSetup(
        target=target,
        max_seq_length=max_seq_length or info.max_seq_length or model_context,
        overflow=info.overflow,
        packing=info.packing if packing is None else packing,
        train_on=train_on or info.train_on,
        roles_to_train=tuple(roles_to_train) if roles_to_train else info.roles_to_train,
        train_on_eos=train_on_eos or info.train_on_eos,
        honours_weight=info.honours_weight,
    )


__all__ = ["HOSTED_OPENAI", "OPEN_WEIGHT", "TARGETS", "TRAIN_ON", "TRAIN_ON_EOS", "TargetInfo", "TrainingSetup",
           "UnknownTarget", "target_info", "training_setup"]
