"""refbot's command line: serve the desk, manage the catalog index, check the configuration."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

from refbot.config import SECRET_ENV, Settings, describe, load_settings, origins, value_at
from refbot.errors import ConfigError, StoreTooNew
from refbot.logs import configure_logging

Handler = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    """The full command tree; every command takes ``--config``."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: the option may stand before or after the command; a subcommand's default
    # must not overwrite a value given before it.
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="configuration file (default: $REFBOT_CONFIG, else ./config.yaml)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log debugging detail")
    common.add_argument("--library", metavar="ID", default=argparse.SUPPRESS,
                        help="the library a command is for, when the deployment serves several (libraries:)")
    parser = argparse.ArgumentParser(
        prog="refbot",
        description="refbot: a virtual reference desk for libraries on WhatsApp.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the web service and the worker")
    serve.add_argument("--port", type=int, default=None, help="port to listen on (default: server.port)")
    serve.add_argument("--host", default=None, help="address to listen on (default: server.host)")
    serve.add_argument("--sandbox", action="store_true", default=None,
                       help="also serve the local WhatsApp and Crossref stand-ins and the chat page")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", parents=[common], help="run only the worker (when worker.mode is none)")
    worker.set_defaults(handler=_worker)

    config = commands.add_parser("config", parents=[common], help="check the configuration and list every setting")
    config.set_defaults(handler=_config)

    from refbot.catalog.cli import add_index_commands
    from refbot.catalog.harvest.cli import add_harvest_command
    from refbot.evaluation.cli import add_eval_command
    from refbot.operations.cli import add_backup_commands
    from refbot.operations.export_cli import add_export_command
    from refbot.web.console.cli import add_librarian_command

    add_index_commands(commands, common)
    add_harvest_command(commands, common)
    add_eval_command(commands, common)
    add_librarian_command(commands, common)
    add_backup_commands(commands, common)
    add_export_command(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status says whether it succeeded."""
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)
    configure_logging(logging.DEBUG if verbose else logging.INFO)
    try:
        settings = load_settings(_config_path(getattr(args, "config", None)))
        tag = {_serve: "web", _worker: "worker"}.get(args.handler, "cli")
        configure_logging("debug" if verbose else settings.log.level, tag, settings.log.format)
        if args.handler in (_serve, _worker, _config):
            from refbot.metrics import check_metrics_settings
            from refbot.wiring import check_settings

            check_metrics_settings(settings)
            for library in settings.each_library():
                check_settings(library.settings)
        elif not getattr(args, "consortium", False):  # the catalog, librarians' accounts, evaluation: one library's
            settings = settings.library(getattr(args, "library", None))
        # `refbot librarian … --consortium` acts on every library's store: it gets the whole settings.
        handler: Handler = args.handler
        return handler(args, settings)
    except (ConfigError, StoreTooNew) as e:
        print(f"refbot: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `refbot config | head`: the reader has gone; say nothing more (Python would print a traceback at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _config_path(given: str | None) -> str | None:
    path = given or os.environ.get("REFBOT_CONFIG")
    if path:
        return path
    return "config.yaml" if os.path.exists("config.yaml") else None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from refbot.operations.running import desk_lock
    from refbot.web.server import create_app

    server = replace(settings.server, port=args.port or settings.server.port, host=args.host or settings.server.host)
    settings = replace(settings, server=server)
    if args.sandbox:
        settings = replace(settings, sandbox=replace(settings.sandbox, enabled=True))
    if settings.sandbox.enabled:
        print(f"refbot sandbox: open {settings.public_url}/sandbox/ to chat as a patron and a librarian", flush=True)
    app = create_app(settings)
    app.on_startup.append(_settle_heap)
    with desk_lock(settings):  # for its whole life: `refbot restore` refuses while it is held
        web.run_app(app, host=server.host, port=server.port, print=None)
    return 0


async def _settle_heap(_app: object) -> None:
    """Once everything is loaded, keep Python's cycle collector off the objects that live for good.

    A full collection walks every tracked object; with the service's modules, texts and
    settings among them it paused the process for 20–50 ms now and then, and a webhook
    arriving meanwhile waited that long for its 200. Frozen objects are still freed when
    nothing refers to them; the collector just stops scanning them.
    """
    import gc

    gc.collect()
    gc.freeze()


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from refbot.operations.running import desk_lock
    from refbot.worker.process import run_worker

    with desk_lock(settings):
        asyncio.run(run_worker(settings))
    return 0


def _config(args: argparse.Namespace, settings: Settings) -> int:
    """Every setting with the value in force and where it came from: default, the file, or a variable."""
    path = _config_path(getattr(args, "config", None))
    came_from = origins(path, os.environ)
    print(f"configuration is valid ({path or 'no file: defaults and environment'})\n")
    for key, _default, meaning in describe():
        if "[]." in key:
            continue
        value = value_at(settings, key) if key != "libraries" else [library.id for library in settings.libraries]
        shown = _masked(repr(list(value) if isinstance(value, tuple) else value))
        if key == "librarians":
            shown = f"{len(value)} librarian(s)"
        print(f"{key:34} {shown:30} {came_from.get(key, 'default'):26} {meaning}")
    for library in settings.libraries:
        own = sorted(k for k in came_from if k.startswith("libraries"))
        print(f"\nlibrary {library.id} ({library.name}): number {library.settings.whatsapp.phone_number_id or '-'},"
              f" store {_masked(library.settings.store_location)}" + (f"; from the environment: {', '.join(own)}" if own else ""))
    print("\nsecrets (environment only):")
    for name, var in SECRET_ENV.items():
        print(f"  {var:30} {'set' if getattr(settings.secrets, name) else 'not set'}")
    print("\nany setting can be overridden from the environment: REFBOT_<SECTION>__<KEY>, e.g. REFBOT_SERVER__PORT=8081")
    return 0


def _masked(text: str) -> str:
    """``text`` with the password of any URL in it starred out."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:*****@", text)


if __name__ == "__main__":
    raise SystemExit(main())
