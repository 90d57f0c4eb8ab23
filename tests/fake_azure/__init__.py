"""Fakes of Azure's services beyond the data plane (which tests/fake_openai serves)."""

from .management import API_VERSION, FakeManagement

__all__ = ["API_VERSION", "FakeManagement"]
