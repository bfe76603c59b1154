"""The course's command line: ``python -m course_helpers COMMAND``.

Commands: ``doctor`` (check the set-up), ``start`` (copy the exercise sheets
into ``my_work/``), ``exercises build`` / ``exercises check`` (generate the
sheets from the solutions / fail when they drift), ``clean`` (strip editor
metadata and embedded audio from notebooks), ``serve`` (a shared local
OpenAI-compatible server), ``learners new`` / ``usage`` (a room's keys and
usage, see ``local/room_commands.py``), ``progress`` (which exercises
pass; ``--collect`` grades a room's submissions into a CSV), ``pull`` (download the local models) and ``aging``
(list the files that name a model shutting down soon).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from datetime import date
from pathlib import Path

from .local.room_commands import add_commands, add_serve_options

__all__ = ["main"]

DEFAULT_UPSTREAM_TIMEOUT = 120.0  # course_helpers.local.server.upstream.DEFAULT_TIMEOUT (not imported: httpx)


def _doctor(args) -> int:
    from .course.doctor import doctor

    return doctor(request=not args.no_request)


def _start(args) -> int:
    from .course.start import start

    print(start(args.dest))
    return 0


def _pairs(root: Path, names: list[str]):
    solutions = sorted((root / "solutions").glob("*.ipynb"))
    if names:
        # a name is a notebook's file name, its stem, or the start of it ("01", "01_messages")
        unknown = [name for name in names if not any(path.name.startswith(name) for path in solutions)]
        if unknown:
            raise SystemExit(
                f"no solution notebook starts with {', '.join(map(repr, unknown))} in {root / 'solutions'}"
            )
        solutions = [path for path in solutions if any(path.name.startswith(name) for name in names)]
    return [(path, root / "exercises" / path.name) for path in solutions]


def _exercises(args) -> int:
    from .course.exercises import ExerciseError, build, differences
    from .course.paths import course_root

    root = course_root()
    pairs = _pairs(root, args.names)
    try:
        if args.action == "build":
            for solution, sheet in pairs:
                build(solution, sheet)
                print(f"built {sheet.relative_to(root)} from {solution.relative_to(root)}")
            return 0
        drifted = 0
        for solution, sheet in pairs:
            diff = differences(solution, sheet, run=not args.quick)
            if diff:
                drifted += 1
                print(diff)
            else:
                print(f"up to date: {sheet.relative_to(root)}")
        orphans = sorted(
            {p.name for p in (root / "exercises").glob("*.ipynb")}
            - {p.name for p in (root / "solutions").glob("*.ipynb")}
        )
        for name in orphans if not args.names else []:
            drifted += 1
            print(f"exercises/{name} has no solutions/{name}: delete it or add its solution")
    except ExerciseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if drifted:
        print(f"{drifted} exercise sheet(s) out of date: run `python -m course_helpers exercises build`.")
    return 1 if drifted else 0


def _clean(args) -> int:
    from .course.notebooks import clean, read, write

    for path in args.notebooks:
        write(clean(read(path)), path)
        print(f"cleaned {path}")
    return 0


def _serve(args) -> int:
    from .local import server
    from .local.room_commands import room_from_args
    from .local.server.upstream import Upstream
    from .local.server.without import parse_without

    try:
        without = parse_without(args.without or "")
        upstream = None
        if args.upstream:
            options = {"model": args.upstream_model, "timeout": args.upstream_timeout}
            upstream = Upstream.from_env(args.upstream, args.upstream_key_env, **options)
        elif args.upstream_key_env or args.upstream_model:
            raise ValueError("--upstream-key-env and --upstream-model go with --upstream URL.")
        server.serve(args.host, args.port, args.api_key, upstream=upstream, without=without, room=room_from_args(args))
    except ValueError as error:  # e.g. a non-loopback host without --api-key, an unset --upstream-key-env
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _pull(args) -> int:
    from .local.store import ModelNotAvailable, cache_dir, pull_all

    try:
        folders = pull_all()
    except ModelNotAvailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"The local models are in {cache_dir()}:")
    for folder in folders:
        print(f"  {folder}")
    _prepare_local_models()
    return 0


def _progress(args) -> int:
    from .course.gradebook import CourseChanged

    if args.collect is None:
        if args.csv:
            raise SystemExit("--csv goes with --collect DIR")
        from .progress import grade, table

        graded = grade(args.dest, cell_timeout=args.timeout, again=args.again)
        if graded:
            print(table(graded))
        return 0
    from .course.gradebook import Course, Terminated, collect, terminating_as_interrupt, write_csv

    if not args.collect.is_dir():
        raise SystemExit(f"--collect: {args.collect} is not a folder")
    course = Course.load(lessons=args.lessons)
    if not course.sheets:
        raise SystemExit(f"no exercise sheet starts with {', '.join(args.lessons)}")
    csv_path = args.csv or Path("grades.csv")
    try:
        with terminating_as_interrupt():  # SIGTERM stops the run as Ctrl-C does: worker and kernel killed
            rows = collect(args.collect, course, cell_timeout=args.timeout)
    except CourseChanged as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated): every worker and kernel is gone by now
        how, status = ("SIGTERM", 128 + signal.SIGTERM) if isinstance(stop, Terminated) else ("Ctrl-C", 130)
        print(f"stopped by {how}: the sheet being graded was stopped; no CSV written", file=sys.stderr)
        return status
    write_csv(rows, course, csv_path)
    print(f"{len(rows)} learner(s) graded: {csv_path}")
    return 0


def _prepare_local_models() -> None:
    """Do ahead of time what the first request would otherwise wait for.

    The chat model's float32 weight file is built from the GGUF (about 10-20 s),
    and the moderation probes are trained on the shipped example set (a minute or
    more), once per cache folder: a classroom image or CI cache then starts warm.
    """
    from .local.gguf_weights import load_weights
    from .local.moderation.classifier import cache_file, ensure_trained
    from .local.store import CHAT_MODEL, MODELS, model_path

    chat = MODELS[CHAT_MODEL]
    print("Preparing the chat model's float32 weights ...", flush=True)
    load_weights(model_path(chat.name) / chat.main_file)
    if cache_file().is_file():
        print("The moderation probes are trained already:", flush=True)
    else:
        print("Training the moderation probes (once; a minute or more) ...", flush=True)
    print(f"  {ensure_trained()}")


def _shutdown_dates():
    """The SDK's announced shutdown dates, from ``course_helpers.course.model_ages`` (None when it is missing)."""
    try:
        # imported by name: model_ages arrives in its own change, and this command works without it
        model_ages = importlib.import_module("course_helpers.course.model_ages")
    except ModuleNotFoundError as error:
        if error.name != "course_helpers.course.model_ages":
            raise
        return None
    return model_ages.shutdown_dates()


def _aging(args) -> int:
    from .course.aging import DEFAULT_PATHS, findings, report
    from .course.paths import course_root

    dates = _shutdown_dates()
    if dates is None:
        print(
            "error: course_helpers.course.model_ages (which reads the shutdown dates from the installed openai SDK) "
            "is not in this version of the course, so there are no dates to check against.",
            file=sys.stderr,
        )
        return 2
    root = course_root()
    paths = args.paths or [root / name for name in DEFAULT_PATHS]
    found = findings(paths, dates, args.today, args.days, root=root if not args.paths else None)
    print(report(found, args.today))
    return 1 if found else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_helpers", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    doctor = commands.add_parser("doctor", help="check Python, packages, .env, key, backend and models")
    doctor.add_argument("--no-request", action="store_true", help="do not send a test request to the backend")
    doctor.set_defaults(run=_doctor)

    start = commands.add_parser("start", help="copy the exercise sheets into my_work/ (never overwrites)")
    start.add_argument("--dest", type=Path, default=None, help="another folder than my_work/")
    start.set_defaults(run=_start)

    exercises = commands.add_parser("exercises", help="build or check the exercise sheets")
    exercises.add_argument("action", choices=["build", "check"])
    exercises.add_argument("names", nargs="*", help="only these notebooks (e.g. 01_messages)")
    exercises.add_argument("--quick", action="store_true", help="check: compare sources only, run nothing")
    exercises.set_defaults(run=_exercises)

    clean = commands.add_parser("clean", help="strip timing, editor metadata and embedded audio")
    clean.add_argument("notebooks", nargs="+", type=Path)
    clean.set_defaults(run=_clean)

    serve = commands.add_parser("serve", help="run the local OpenAI-compatible server (e.g. for a class)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--api-key", default=None, help="required when --host is not a loopback address")
    serve.add_argument(
        "--upstream",
        metavar="URL",
        default=None,
        help="send chat, Responses and /tokenize to this OpenAI-compatible engine (e.g. http://gpu-box:8000/v1); "
        "moderation and audio stay local",
    )
    serve.add_argument(
        "--upstream-key-env", metavar="VAR", default=None, help="the environment variable holding the engine's key"
    )
    serve.add_argument(
        "--upstream-model", metavar="NAME", default=None, help="send every chat request for this engine model"
    )
    serve.add_argument(
        "--upstream-timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_UPSTREAM_TIMEOUT,
        help=f"how long to wait for the engine's next bytes (default {DEFAULT_UPSTREAM_TIMEOUT:.0f})",
    )
    serve.add_argument(
        "--without",
        metavar="FEATURES",
        default=None,
        help="for testing: answer as an engine lacking these (comma-separated: moderations,audio,logprobs,n,"
        "seed,developer,json_mode,json_schema,tools,responses,stored_responses,conversations,streaming,speech,"
        "realtime,transcription,request_moderation,tokenize,chat)",
    )
    add_serve_options(serve)
    serve.set_defaults(run=_serve)
    add_commands(commands)

    progress = commands.add_parser(
        "progress", help="which exercises of my_work/ pass; with --collect, a gradebook CSV for a room"
    )
    progress.add_argument("--dest", type=Path, default=None, help="another folder than my_work/")
    progress.add_argument("--again", action="store_true", help="run every sheet, even unchanged ones")
    progress.add_argument("--collect", type=Path, default=None, metavar="DIR", help="one folder or zip per learner")
    progress.add_argument("--csv", type=Path, default=None, help="with --collect: where to write the gradebook")
    progress.add_argument("--lessons", nargs="+", default=None, metavar="NN", help="with --collect: only these")
    progress.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (default 60)")
    progress.set_defaults(run=_progress)

    pull = commands.add_parser("pull", help="download every local model ahead of time")
    pull.set_defaults(run=_pull)

    aging = commands.add_parser("aging", help="list files that name a model shutting down soon; exit 1 if any")
    aging.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the course's own)")
    aging.add_argument("--days", type=int, default=60, help="how far ahead to look (default: 60 days)")
    aging.add_argument("--today", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
    aging.set_defaults(run=_aging)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    # argparse gives `names` nothing when a flag comes first (`exercises check --quick 01_x`):
    # names that follow the flag arrive here, and anything else is still an error.
    if rest and hasattr(args, "names") and not any(item.startswith("-") for item in rest):
        args.names += rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        status = args.run(args)
        sys.stdout.flush()  # inside the try: a closed pipe shows up here for buffered output
    except BrokenPipeError:
        # The reader left (`... | head -3`): stop quietly as CLI tools do, with the status of a process that
        # SIGPIPE ended. stdout goes to devnull so Python's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE (13), what a shell reports for `seq 1000000 | head -3`'s seq
    return status


if __name__ == "__main__":
    sys.exit(main())
