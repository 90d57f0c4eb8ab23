"""What pygls leaves unanswered, answered as LSP and JSON-RPC say.

- A request whose params do not fit its method (hover with params `"x"` or `null`) is
  dropped by pygls with a traceback: here it gets InvalidParams; a message that is not a
  JSON-RPC request, notification or response gets InvalidRequest.
- Before `initialize`, requests get ServerNotInitialized and notifications are dropped
  (pygls answered them); after `shutdown`, requests get InvalidRequest (pygls dropped them),
  as does a second `initialize` (pygls made a new, empty workspace).
- `exit` ends the process with 1 unless `shutdown` came first; pygls's SystemExit(1) was
  swallowed by its own server loop, which returned normally (serve.py passes `exit_code` on).
- A change to or close of a document that was never opened is ignored with a warning
  instead of popping "Error in server: KeyError" up in the editor.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from lsprotocol import types
from pygls.protocol import lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, RPCRequest

from finetune_ls.lsp.wire.sending import FastSendingProtocol

log = logging.getLogger(__name__)


def _usable_id(value: object) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class FinetuneProtocol(FastSendingProtocol):
    def __init__(self, server, converter):
        super().__init__(server, converter)
        self.initialize_received = False
        self.exit_code: int | None = None  # set by exit: 0 after shutdown, else 1

    def reply_error(self, msg_id, code: types.ErrorCodes, message: str) -> None:
        """An error response; made here, as lsprotocol's leaves out an id that is None and
        JSON-RPC wants `"id": null` when the message's id is unknown."""
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": int(code), "message": message}})

    def receive(self, raw: object) -> None:
        """Take a message as JSON makes it (messages.py): check its shape, structure it and
        handle it; a request that cannot be taken is answered with an error."""
        if isinstance(raw, dict) and "method" not in raw and "id" in raw and ("result" in raw or "error" in raw):
            self._receive_response(raw)
            return
        msg_id, method = (raw.get("id"), raw.get("method")) if isinstance(raw, dict) else (None, None)
        answerable = isinstance(raw, dict) and _usable_id(msg_id)
        if not isinstance(raw, dict) or raw.get("jsonrpc") != "2.0" or not isinstance(method, str) \
                or "id" in raw and not _usable_id(msg_id):
            self.reply_error(msg_id if answerable else None, types.ErrorCodes.InvalidRequest,
                             'not a JSON-RPC 2.0 request or notification: an object with "jsonrpc": "2.0", '
                             'a string "method" and, for a request, an integer or string "id"')
            return
        kind = self.get_message_type(method) or (JsonRPCRequestMessage if "id" in raw else JsonRPCNotification)
        try:
            # As pygls's structure_message does, without the traceback it prints on stderr.
            message = self._converter.structure(raw, kind)
        except Exception as error:  # noqa: BLE001 - cattrs's ClassValidationError, or what a hook raised
            reason = f"the params of {method} do not fit it: {_first_line(error)}"
            if answerable:
                self.reply_error(msg_id, types.ErrorCodes.InvalidParams, reason)
            else:
                log.warning("Notification ignored: %s", reason)
            return
        self.handle_message(message)

    def _receive_response(self, raw: dict) -> None:
        """The client's answer to one of the server's requests; one that cannot be read fails
        its waiter (which would otherwise wait for ever)."""
        try:
            if raw.get("jsonrpc") != "2.0":
                raise ValueError('no "jsonrpc": "2.0"')
            message = self.structure_message(raw)
        except Exception as error:  # noqa: BLE001 - never answered: a response gets no response
            log.warning("The client's answer to %r could not be read: %s", raw.get("id"), _first_line(error))
            future = self._request_futures.pop(raw["id"], None) if _usable_id(raw.get("id")) else None
            if future is not None and not future.done():
                future.set_exception(ValueError(f"the client's answer could not be read: {_first_line(error)}"))
            return
        self.handle_message(message)

    def handle_message(self, message) -> None:
        method = getattr(message, "method", None)
        request = isinstance(message, RPCRequest)
        if method == types.INITIALIZE and request and self.initialize_received:
            self.reply_error(message.id, types.ErrorCodes.InvalidRequest, "initialize may only be sent once")
            return
        if method == types.INITIALIZE:
            self.initialize_received = True
        elif not self.initialize_received and method is not None and method != types.EXIT:
            if request:
                self.reply_error(message.id, types.ErrorCodes.ServerNotInitialized,
                                 f"{method} before initialize: the server is not initialized yet")
            else:
                log.warning("Notification %s before initialize: ignored", method)
            return
        if self._shutdown and request:
            self.reply_error(message.id, types.ErrorCodes.InvalidRequest,
                             f"{method} after shutdown: the server takes no more requests")
            return
        super().handle_message(message)

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args):
        self.exit_code = 0 if self._shutdown else 1
        self.input_ended()
        yield from super().lsp_exit(*args)

    def input_ended(self) -> None:
        """No more messages will come (exit, or the client closed its end): stop the worker
        processes now, while the event loop still takes their callbacks. Once it is closed,
        a result arriving made their thread die with a traceback, and the pool then could
        not be stopped at all."""
        from finetune_ls.lsp.documents import workers  # here: the protocol is made before the server's modules load

        workers.shutdown()

    def _is_open(self, uri: str) -> bool:
        return unquote(uri) in self.workspace.text_documents

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if not self._is_open(params.text_document.uri):
            log.warning("didChange for %s, which is not open: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if not self._is_open(params.text_document.uri):
            log.warning("didClose for %s, which is not open: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_close(params)
