"""Command line: ``python -m stack run [-- COMMAND ...]``.

Starts the stack, writes what clients need to ``--ready-file`` (JSON), then
either waits for Ctrl-C / SIGTERM or runs COMMAND with the stack's
environment and stops the stack when COMMAND ends. Either way every server
it started is stopped before it exits.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import config
from .runner import Stack, StackError, _die_with_parent, stop_process


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m stack")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="start the stack and keep it up")
    run.add_argument("--data-dir", default=os.environ.get("STACK_DATA_DIR", ".stack"),
                     help="data folder (default .stack, or $STACK_DATA_DIR)")
    run.add_argument("--keystone-port", type=int, default=None,
                     help=f"default $STACK_KEYSTONE_PORT or {config.DEFAULT_KEYSTONE_PORT}")
    run.add_argument("--glance-port", type=int, default=None,
                     help=f"default $STACK_GLANCE_PORT or {config.DEFAULT_GLANCE_PORT}")
    run.add_argument("--import-port", type=int, action="append", default=[],
                     help="a loopback port Glance's web-download may fetch from (repeatable)")
    run.add_argument("--plain-glance-port", type=int, default=None,
                     help="also run a Glance without schema-image.json, in region "
                          f"{config.PLAIN_REGION} (for the tests)")
    run.add_argument("--cors-origin", action="append", default=[],
                     help="a browser origin Glance accepts cross-origin calls from "
                          "(repeatable; --api-port adds the API's own)")
    run.add_argument("--ready-file", help="write the stack's URLs here (JSON) once it answers")
    run.add_argument("--api-port", type=int, help="print how to use the API on this port")
    run.add_argument("command", nargs="*", help="run this once ready (after --)")
    token = sub.add_parser("token", help="print a project-scoped token for a stack user")
    token.add_argument("user", choices=[user for user, _, _ in config.ACCOUNTS])
    token.add_argument("--data-dir", default=os.environ.get("STACK_DATA_DIR", ".stack"))
    token.add_argument("--keystone-port", type=int, default=None)
    return parser.parse_args(argv)


def print_token(args):
    """A token for curl: ``TOKEN=$(python -m stack token demo)``."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    layout = config.Layout(Path(args.data_dir).resolve(), keystone_port=args.keystone_port
                           or config.env_port("STACK_KEYSTONE_PORT", config.DEFAULT_KEYSTONE_PORT))
    passwords = config.load_or_create_secrets(layout)
    project = {user: project for user, project, _ in config.ACCOUNTS}[args.user]
    auth = v3.Password(auth_url=layout.keystone_url, username=args.user,
                       password=passwords[args.user], project_name=project,
                       user_domain_id="default", project_domain_id="default")
    print(session.Session(auth=auth).get_token())
    return 0


def banner(stack, api_port):
    info = stack.describe()
    api = f"http://{config.HOST}:{api_port}"
    names = ", ".join(f"{user} ({config.CLOUD_NAMES[user]})" for user, _, _ in config.ACCOUNTS)
    return f"""
glance-rest is starting on {api}/api/glance/
  Images panel: {api}/ (log in as demo; passwords in {info['secrets_file']})
  Keystone {info['keystone_url']}   Glance {info['glance_url']}   logs {info['log_dir']}
  Users and their clouds.yaml entries: {names}
  Passwords: {info['clouds_yaml']}
    (OS_CLIENT_CONFIG_FILE={info['clouds_yaml']} OS_CLOUD=devstack openstack image list)
Try:
  TOKEN=$(.venv-stack/bin/python -m stack token demo)
  curl -s -H "X-Auth-Token: $TOKEN" {api}/api/glance/images/
  curl -s -H "X-Auth-Token: $TOKEN" -X PUT -H 'Content-Type: application/json' \\
       -d '{{"name": "hello", "disk_format": "raw"}}' {api}/api/glance/images/
"""


def stack_environment(stack):
    """The settings the API (and tools) need to use this stack."""
    info = stack.describe()
    return {
        "OPENSTACK_KEYSTONE_URL": info["keystone_url"],
        "OS_CLIENT_CONFIG_FILE": info["clouds_yaml"],
        "STACK_GLANCE_URL": info["glance_url"],
    }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.action == "token":
        return print_token(args)
    try:
        layout = config.Layout(
            data_dir=Path(args.data_dir).resolve(),
            keystone_port=args.keystone_port or config.env_port(
                "STACK_KEYSTONE_PORT", config.DEFAULT_KEYSTONE_PORT),
            glance_port=args.glance_port or config.env_port(
                "STACK_GLANCE_PORT", config.DEFAULT_GLANCE_PORT),
            import_ports=tuple(args.import_port),
            plain_glance_port=args.plain_glance_port,
            cors_origins=tuple(args.cors_origin) + (
                (f"http://{config.HOST}:{args.api_port}", f"http://localhost:{args.api_port}")
                if args.api_port else ()),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    # Ctrl-C must stop the stack even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    stack = Stack(layout, out=lambda line: print(line, flush=True))
    print(f"Starting the embedded stack in {layout.data_dir}", flush=True)
    try:
        stack.start()
        if args.ready_file:
            tmp = Path(args.ready_file + ".tmp")
            tmp.write_text(json.dumps(stack.describe(), indent=2))
            tmp.replace(args.ready_file)
        if args.api_port:
            print(banner(stack, args.api_port), flush=True)
        if args.command:
            child = subprocess.Popen(args.command, env={**os.environ, **stack_environment(stack)},
                                     start_new_session=True, preexec_fn=_die_with_parent)
            try:
                return child.wait()
            finally:
                stop_process(child)
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            signal.pause()
    except StackError as exc:
        print(f"error: {exc.step} failed: {exc.message}", file=sys.stderr)
        if exc.detail:
            print(f"--- last lines of the log ---\n{exc.detail}\n---", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping the embedded stack ...", flush=True)
        stack.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
