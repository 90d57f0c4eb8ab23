"""Azure deployments as the data plane sees them: inference names a deployment, which
answers as the model it serves. The fake management API (tests/fake_azure) fills the
table when a deployment comes to serve and empties it when it is deleted; a name not in
it stands for the model itself, as before."""

from __future__ import annotations

from typing import Any


def served_model(state: Any, name: str) -> str:
    """The model a deployment serves, or the name itself when it is no serving deployment."""
    return getattr(state, "deployments", {}).get(name, name)
