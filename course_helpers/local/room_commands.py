"""The command line of a room: ``serve --learners``, ``learners new`` and ``usage``.

The server's modules are imported only when a command runs (``--help`` stays quick).

- ``python -m course_helpers learners new 30 > learners.csv``: 30 names and fresh keys;
- ``python -m course_helpers serve --learners learners.csv [--api-key KEY] [--rpm N] [--tpm N]
  [--per-learner N]``: see :mod:`.server.room`;
- ``python -m course_helpers usage --url http://HOST:PORT``: the per-learner usage table, read
  from ``GET /course/usage`` with the instructor's key (from ``$OPENAI_API_KEY``, or ``--key-env``).

Used in: course_helpers/__main__.py
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["add_commands", "add_serve_options", "room_from_args"]


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    """``serve``'s room flags."""
    serve.add_argument(
        "--learners",
        metavar="FILE",
        default=None,
        help="a CSV of name,key: one key per learner, reread when it changes or on SIGHUP "
        "(--api-key is then the instructor's key)",
    )
    serve.add_argument("--rpm", type=int, default=None, help="with --learners: requests per minute per learner")
    serve.add_argument("--tpm", type=int, default=None, help="with --learners: tokens per minute per learner")
    serve.add_argument(
        "--per-learner",
        type=int,
        default=None,
        metavar="N",
        help="with --learners: a learner's chat requests in the engine at once (default 2); the rest wait their turn",
    )


def room_from_args(args: argparse.Namespace):
    """The :class:`.Room` the ``serve`` flags ask for, or None; ValueError for flags without ``--learners``."""
    if args.learners is None:
        if args.rpm is not None or args.tpm is not None or args.per_learner is not None:
            raise ValueError("--rpm, --tpm and --per-learner go with --learners FILE.")
        return None
    from .server.fair_share import DEFAULT_PER_LEARNER
    from .server.learners import Roster
    from .server.rate_limits import RateLimits
    from .server.room import Room

    for flag, value in (("--rpm", args.rpm), ("--tpm", args.tpm), ("--per-learner", args.per_learner)):
        if value is not None and value < 1:
            raise ValueError(f"{flag} must be at least 1.")
    if args.upstream:
        from .server.session import DEFAULT_MAX_ACTIVE as total
    else:  # the local engine's batch: a request past it would wait first come first served in the scheduler
        from .scheduler import MAX_BATCH as total
    return Room(
        Roster(args.learners),
        limits=RateLimits(args.rpm, args.tpm),
        per_learner=args.per_learner or DEFAULT_PER_LEARNER,
        total=total,
    )


def _learners(args: argparse.Namespace) -> int:
    from .server.learners import new_learners, write_learners

    if args.count < 1:
        print("error: ask for at least one learner", file=sys.stderr)
        return 2
    write_learners(new_learners(args.count, args.prefix), sys.stdout)
    return 0


def _usage(args: argparse.Namespace) -> int:
    import httpx

    from .server.usage import format_table

    key = os.environ.get(args.key_env)
    root = args.url.rstrip("/").removesuffix("/v1")
    headers = {"authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.get(root + "/course/usage", headers=headers, timeout=10)
    except httpx.HTTPError as error:
        print(f"error: no answer from {root} ({type(error).__name__})", file=sys.stderr)
        return 1
    if not response.is_success:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        print(f"error: HTTP {response.status_code}: {message}", file=sys.stderr)
        return 1
    print(format_table(response.json()["data"]))
    return 0


def add_commands(commands) -> None:
    """The ``learners`` and ``usage`` subcommands."""
    learners = commands.add_parser("learners", help="make a learners file (CSV name,key) for serve --learners")
    learners.add_argument("action", choices=["new"])
    learners.add_argument("count", type=int, help="how many learners")
    learners.add_argument("--prefix", default="learner", help="names are PREFIX01, PREFIX02, ...")
    learners.set_defaults(run=_learners)

    usage = commands.add_parser("usage", help="per-learner usage of a serve --learners server")
    usage.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    usage.add_argument("--key-env", default="OPENAI_API_KEY", help="the variable holding the instructor's key")
    usage.set_defaults(run=_usage)
