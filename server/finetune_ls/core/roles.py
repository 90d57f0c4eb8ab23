"""Message roles per format, and the names other tools use for them."""

from __future__ import annotations

CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
REINFORCEMENT_ROLES = ("developer", "user", "assistant", "tool")

# Names seen in other tools' datasets (ShareGPT, Gemini, LLaMA-Factory, ...).
ROLE_ALIASES = {
    "model": "assistant", "bot": "assistant", "gpt": "assistant", "ai": "assistant", "chatbot": "assistant",
    "chatgpt": "assistant", "agent": "assistant", "response": "assistant", "answer": "assistant",
    "human": "user", "customer": "user", "client": "user", "person": "user", "prompter": "user",
    "question": "user", "input": "user", "instruction": "system", "sys": "system", "context": "system",
    "observation": "tool", "function_response": "tool", "tool_response": "tool",
}


def suggest_role(role: object, allowed: tuple[str, ...]) -> str | None:
    """The allowed role a wrong role name most likely means, if any."""
    if not isinstance(role, str):
        return None
    lowered = role.strip().lower()
    if lowered in allowed:
        return lowered
    alias = ROLE_ALIASES.get(lowered)
    if alias == "system" and "system" not in allowed and "developer" in allowed:
        return "developer"
    if alias in allowed:
        return alias
    if lowered == "system" and "developer" in allowed:
        return "developer"
    if lowered == "developer" and "system" in allowed:
        return "system"
    return None
