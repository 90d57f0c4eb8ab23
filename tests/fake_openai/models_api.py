"""/v1/models and inference (/v1/chat/completions, /v1/completions) with canned answers."""

from __future__ import annotations

from typing import Any

from . import azure
from .deployments import served_model
from .errors import ApiError
from .routing import Request, Router
from .state import FakeState, snapshot


def _shown(state: FakeState, request: Request, model: dict[str, Any]) -> dict[str, Any]:
    return azure.model_object(state, model) if request.azure else snapshot(model)


def list_models(state: FakeState, request: Request) -> dict[str, Any]:
    # ListModelsResponse is {object, data}: no cursor, no has_more.
    return {"object": "list", "data": [_shown(state, request, model) for model in state.models.values()]}


def retrieve_model(state: FakeState, request: Request) -> dict[str, Any]:
    return _shown(state, request, state.model(request.path_params["model_id"]))


def delete_model(state: FakeState, request: Request) -> dict[str, Any]:
    model = state.model(request.path_params["model_id"])
    if not (model["id"].startswith("ft:") or ".ft-" in model["id"]):  # OpenAI's fine-tuned ids, or Azure's
        raise ApiError(
            403, "You have insufficient permissions for this operation: only fine-tuned models can be deleted."
        )
    del state.models[model["id"]]
    return {"id": model["id"], "object": "model", "deleted": True}


def _count_tokens(text: str) -> int:
    # Rough on purpose (words, not tiktoken): usage only has to be plausible.
    return max(1, len(text.split()))


def _inference_model(state: FakeState, request: Request, body: dict[str, Any]) -> str:
    if body.get("stream"):
        raise ApiError(400, "The fake OpenAI server does not stream; call without stream=True.", param="stream")
    served = served_model(state, body["model"])
    checkpoint = azure.checkpoint_model(state, served) if request.azure and served not in state.models else None
    return checkpoint or state.model(served)["id"]  # a deployed checkpoint answers as its checkpoint


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_completion(state: FakeState, request: Request) -> dict[str, Any]:
    body = request.body_object()
    request.require(body, "model")
    messages = request.require(body, "messages")
    if not isinstance(messages, list):
        raise ApiError(400, "'messages' must be an array of message objects.", param="messages")
    model = _inference_model(state, request, body)
    answer = state.answers.get(model, state.default_answer)
    prompt_tokens = (
        sum(3 + _count_tokens(str(message.get("content") or "")) for message in messages if isinstance(message, dict))
        + 3
    )
    return {
        "id": state.new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": state.now(),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(prompt_tokens, _count_tokens(answer)),
        "service_tier": "default",
    }


def completion(state: FakeState, request: Request) -> dict[str, Any]:
    body = request.body_object()
    request.require(body, "model")
    prompt = request.require(body, "prompt")
    model = _inference_model(state, request, body)
    answer = state.answers.get(model, state.default_answer)
    prompts = prompt if isinstance(prompt, list) else [prompt]
    return {
        "id": state.new_id("cmpl-"),
        "object": "text_completion",
        "created": state.now(),
        "model": model,
        "choices": [{"index": 0, "text": answer, "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(sum(_count_tokens(str(item)) for item in prompts), _count_tokens(answer)),
    }


def register(router: Router) -> None:
    router.add("GET", "/v1/models", list_models)
    router.add("GET", "/v1/models/{model_id}", retrieve_model)
    router.add("DELETE", "/v1/models/{model_id}", delete_model)
    router.add("POST", "/v1/chat/completions", chat_completion)
    router.add("POST", "/v1/completions", completion)
