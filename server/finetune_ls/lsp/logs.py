"""Logging for the server: to the client's log (window/logMessage) and optionally a file.
Never to stdout, which carries the protocol."""

from __future__ import annotations

import logging

from lsprotocol import types

_LEVELS = {logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning,
           logging.INFO: types.MessageType.Info}


class ClientLogHandler(logging.Handler):
    """Sends records to the client as window/logMessage."""

    def __init__(self, server):
        super().__init__()
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            kind = _LEVELS.get(record.levelno, types.MessageType.Log)
            self.server.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # noqa: BLE001 - logging must never break the server
            pass


def configure_logging(server, level: str, log_file: str | None) -> None:
    logger = logging.getLogger("finetune_ls")
    logger.setLevel(level)
    logger.propagate = False
    to_client = ClientLogHandler(server)
    to_client.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(to_client)
    if log_file:
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(to_file)
        pygls_logger = logging.getLogger("pygls")
        pygls_logger.setLevel(logging.WARNING)
        pygls_logger.addHandler(to_file)
