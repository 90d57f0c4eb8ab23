"""The wire: what travels between the client and the server, below any feature.

Framing the byte stream into messages (frames.py), reading them, big document texts as lines
while they come (messages.py: the MessageReader the server owns), JSON-RPC's answers to what
pygls leaves unanswered (protocol.py), writing messages (sending.py), checking a command's
arguments into InvalidParams (arguments.py), and `$/progress` (progress.py).

May import: finetune_ls.core, pygls and lsprotocol, and documents.compact_lines (the lines a big
text is read into); protocol.py asks documents.workers, late, whether a pool is still starting.
Never features/ or commands/.
"""
