"""`finetune-ls serve`: the language server, on stdio (or TCP for debugging)."""

from __future__ import annotations

import argparse
import sys

LEVELS = ("debug", "info", "warning", "error")


def add_parser(commands) -> None:
    parser = commands.add_parser("serve", help="run the language server (stdio by default)",
                                 description="Run the finetune-ls language server. It speaks LSP on stdio; logs go "
                                             "to the client's log (window/logMessage) and optionally to a file, "
                                             "never to stdout.")
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default; accepted for editors that pass it)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead, for debugging")
    parser.add_argument("--log-file", metavar="FILE", help="also write the log to this file")
    parser.add_argument("--log-level", choices=LEVELS, default="info")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from finetune_ls.lsp.documents import memory
    from finetune_ls.lsp.logs import configure_logging
    from finetune_ls.lsp.server import server

    memory.limit_arenas()  # before any thread starts

    configure_logging(server, args.log_level.upper(), args.log_file)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            print("finetune-ls: --tcp needs HOST:PORT, e.g. 127.0.0.1:2087", file=sys.stderr)
            return 2
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        from finetune_ls.lsp.wire.sending import WholeMessages
        server.start_io(stdout=WholeMessages(sys.stdout.fileno()))
    return _ended(server)


def _ended(server) -> int:
    """The exit code, once the server loop has ended: exit's (0 after shutdown, else 1, as
    LSP says), or 1 with a line on stderr when the client went away without exit."""
    from finetune_ls.lsp.documents import workers

    workers.shutdown()  # waits for a pool still starting: killed half-made, its forkserver printed tracebacks
    protocol = server.protocol
    if protocol.exit_code is not None:
        return protocol.exit_code
    if protocol._shutdown:
        return 0
    print("finetune-ls: the client closed the connection without shutdown and exit; stopping.", file=sys.stderr)
    return 1
