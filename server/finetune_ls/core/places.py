"""Human names for places in an example: "message 2 (assistant)", not /messages/1."""

from __future__ import annotations

_CONTAINERS = {
    "messages": "message",
    "tool_calls": "tool call",
    "content": "content part",
    "tools": "tool",
    "functions": "function",
    "preferred_output": "preferred output",
    "non_preferred_output": "non-preferred output",
}


def _step_name(key: str, index: int, node: object) -> str:
    noun = _CONTAINERS.get(key, f"item of {key}")
    if key in ("preferred_output", "non_preferred_output"):
        return f"the {noun}" if index == 0 else f"{noun} {index + 1}"
    name = f"{noun} {index + 1}"
    if key == "messages" and isinstance(node, dict) and isinstance(node.get("role"), str):
        name += f" ({node['role']})"
    return name


def describe(example: object, path: tuple) -> str:
    """Where `path` points, in words: 'message 2 (assistant)', '"weight" in message 1 (user)'."""
    places: list[str] = []
    node = example
    key_before = None
    leaf = None
    for position, step in enumerate(path):
        child = None
        if isinstance(step, int):
            if isinstance(node, list) and 0 <= step < len(node):
                child = node[step]
            name = _step_name(str(key_before), step, child)
            places.append(f"input {name}" if position >= 2 and path[position - 2] == "input" else name)
        else:
            if isinstance(node, dict):
                child = node.get(step)
            is_last = position == len(path) - 1
            next_is_index = not is_last and isinstance(path[position + 1], int)
            if step == "input" and not is_last:
                pass  # named with the next place: "input message 1"
            elif is_last or not (next_is_index or step in ("function", "image_url", "function_call")):
                leaf = f'"{step}"' if is_last else leaf
            elif step == "function_call":
                places.append("function_call")
        key_before = step
        node = child
    where = " of ".join(reversed(places))
    if leaf and where:
        return f"{leaf} in {where}"
    return leaf or where or "the example"
