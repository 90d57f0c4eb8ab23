"""The options that say where a file will be trained and how (issue 15): the target, the
model's tokenizer and chat template, and the trainer's settings that change what is
counted. Shared by `check`, `stats` and `split`, so the three count alike."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from finetune_ls.cli.numbers import whole
from finetune_ls.core.targets import TARGETS, TRAIN_ON, TRAIN_ON_EOS

TARGET_VARIABLE = "FINETUNE_LS_TARGET"


def add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("open-weight targets (docs/open-weight.md)")
    group.add_argument("--target", type=_target,
                       help="where the file will be trained: " + ", ".join(TARGETS) + " (default: "
                            f"{TARGET_VARIABLE}, else the provider's: openai, or azure)")
    group.add_argument("--tokenizer", metavar="DIR",
                       help="a folder with the model's tokenizer.json and tokenizer_config.json (open-weight "
                            "targets; default: the Hugging Face cache, a download, or the bundled Qwen3)")
    group.add_argument("--chat-template", metavar="FILE", type=_template_file,
                       help="a .jinja chat template used instead of the tokenizer's own (axolotl's "
                            "chat_template_jinja, TRL's training templates)")
    group.add_argument("--max-seq-length", type=whole(1), metavar="N",
                       help="the trainer's sequence length: TRL max_length, axolotl sequence_len, Unsloth and "
                            "Together max_seq_length (default: the trainer's, or the model's on Together)")
    group.add_argument("--train-on", choices=TRAIN_ON,
                       help="which tokens are trained: all, assistant (TRL assistant_only_loss) or roles "
                            "(axolotl roles_to_train); default: the trainer's")
    group.add_argument("--roles-to-train", type=_roles, metavar="ROLE[,ROLE]",
                       help="axolotl's roles_to_train (default: assistant)")
    group.add_argument("--train-on-eos", choices=TRAIN_ON_EOS, help="axolotl's train_on_eos (default: turn)")
    group.add_argument("--packing", action=argparse.BooleanOptionalAction, default=None,
                       help="whether the trainer packs examples into sequences (TRL packing, axolotl "
                            "sample_packing, Together packing); default: the trainer's")


def target_settings(args: argparse.Namespace) -> dict:
    """CheckSettings keyword arguments from the options above."""
    return {"target": args.target, "tokenizer": args.tokenizer, "chat_template": args.chat_template,
            "max_seq_length": args.max_seq_length, "train_on": args.train_on,
            "roles_to_train": args.roles_to_train, "train_on_eos": args.train_on_eos, "packing": args.packing}


def _target(text: str) -> str:
    name = text.strip().lower()
    if name not in TARGETS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(TARGETS)}, not {text!r}")
    return name


def check_env_target(args: argparse.Namespace) -> str | None:
    """Fill args.target from FINETUNE_LS_TARGET when the command line does not give one;
    the usage problem (one sentence) when the variable names no target."""
    if args.target is not None:
        return None
    value = os.environ.get(TARGET_VARIABLE, "").strip().lower()
    if value and value not in TARGETS:
        return f"{TARGET_VARIABLE}={value!r} is not a target; targets are: {', '.join(TARGETS)}"
    args.target = value or None
    return None


def _template_file(text: str) -> str:
    """A template that is not there is a usage error (exit 2), not a check without token counts."""
    if not Path(text).expanduser().is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file (name a .jinja chat template)")
    return text


def _roles(text: str) -> tuple[str, ...]:
    roles = tuple(role.strip() for role in text.split(",") if role.strip())
    if not roles:
        raise argparse.ArgumentTypeError(f"must name at least one role (e.g. assistant), not {text!r}")
    return roles
