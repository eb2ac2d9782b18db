"""The shell examples of the README and docs/*.md, and how they are run.

Each shell block carries a marker on the line right before its fence, an
HTML comment GitHub does not render:

    <!-- doc-test: run 201 204 200+ -->     run it; its curl calls answer these
                                            statuses in order (N+: once or more,
                                            for a loop that waits); none listed:
                                            the block calls curl not at all
    <!-- doc-test: skip: <why> -->          not run here, and why

A document's run blocks run in order in one bash (``set -euo pipefail``), so
what one block defines the next uses, as in the reader's shell. ``curl`` is
wrapped to append each answer's status to ``$DOC_STATUSES``, under a line
``== <block index>`` written before each block.
"""

import dataclasses
import os
import re
import signal
import subprocess
from pathlib import Path

SHELL_INFOS = {"sh", "bash", "shell", "console"}
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!-- doc-test: (?:run(?P<statuses>(?: \d{3}\+?)*)"
                     r"|skip: (?P<reason>\S.*?)) -->\s*$")
_STATUS_LINE = re.compile(r"^\d{3}$")

# Every curl's status goes to $DOC_STATUSES (curl's own stderr too): the
# reader's output stays as the reader sees it.
PRELUDE = """set -euo pipefail
curl() { command curl -w '%{stderr}%{http_code}\\n' "$@" 2>>"$DOC_STATUSES"; }
"""


@dataclasses.dataclass(frozen=True)
class Block:
    path: str
    line: int  # of the opening fence, from 1
    text: str
    marked: bool
    run: bool = False
    statuses: tuple = ()
    reason: str = ""

    def where(self):
        return f"{self.path}:{self.line}"


def blocks(markdown, path="<text>"):
    """The shell blocks of a markdown text, in order, with their markers.

    A marker that does not parse is an error, not an unmarked block."""
    lines = markdown.splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        info = opening["info"].split()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if info and info[0] in SHELL_INFOS:
            # A block in a list item is indented as its fence is.
            body = "".join(_dedent(line, indent) + "\n" for line in lines[i + 1:end])
            found.append(_marked(Block(path, i + 1, body, marked=False),
                                 lines[i - 1] if i else ""))
        i = end + 1
    return found


def _dedent(line, indent):
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent):]


def _marked(block, previous):
    if "doc-test" not in previous:
        return block
    marker = _MARKER.match(previous)
    if not marker:
        raise ValueError(f"{block.where()}: unreadable marker {previous.strip()!r}")
    if marker["reason"] is not None:
        return dataclasses.replace(block, marked=True, reason=marker["reason"])
    return dataclasses.replace(block, marked=True, run=True,
                               statuses=tuple(marker["statuses"].split()))


def statuses_match(expected, got):
    """Whether the statuses ``got`` (in order) are the ``expected`` ones, where
    ``N+`` stands for one or more N."""
    pattern = "".join(f"(?:{s[:-1]} )+" if s.endswith("+") else f"{s} " for s in expected)
    return re.fullmatch(pattern, "".join(f"{s} " for s in got)) is not None


def substitute(text, replacements):
    """``text`` with each whole-word key of ``replacements`` replaced: the
    docs' addresses and ports, as a test run's."""
    for old, new in replacements.items():
        text = re.sub(rf"\b{re.escape(old)}\b", lambda _: new, text)
    return text


def script(run_blocks, replacements):
    """One bash script running ``run_blocks`` in order, each after its ``==`` line."""
    parts = [PRELUDE]
    for index, block in enumerate(run_blocks):
        parts.append(f'echo "== {index}" >>"$DOC_STATUSES"\n')
        parts.append(substitute(block.text, replacements))
    return "".join(parts)


def recorded(text):
    """{block index: [statuses]} from a $DOC_STATUSES file; anything else curl
    wrote there (its errors) is kept as it is, so a mismatch shows it."""
    seen = {}
    current = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = seen.setdefault(int(line[3:]), [])
        elif line.strip() and current is not None:
            current.append(line.strip())
    return seen


@dataclasses.dataclass
class Outcome:
    returncode: int
    output: str
    statuses: dict  # block index -> [statuses]


def run(run_blocks, replacements, cwd, env, folder, timeout=600):
    """Run the blocks in one bash in ``cwd``; what it printed and the statuses.

    bash gets a session of its own: whatever a block left running in the
    background (a file server the reader would stop) is ended with it."""
    folder = Path(folder)
    statuses = folder / "statuses"
    statuses.write_text("")
    output = folder / "output"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", script(run_blocks, replacements)], cwd=cwd,
            env={**env, "DOC_STATUSES": str(statuses)}, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    return Outcome(returncode, output.read_text(errors="replace"),
                   recorded(statuses.read_text(errors="replace")))


def problems(run_blocks, outcome):
    """What went wrong, one line per block, empty when every block ran and
    answered what its marker says."""
    found = []
    for index, block in enumerate(run_blocks):
        got = outcome.statuses.get(index)
        if got is None:
            found.append(f"{block.where()}: never reached")
        elif not all(_STATUS_LINE.match(s) for s in got) or not statuses_match(
                block.statuses, got):
            found.append(f"{block.where()}: statuses {' '.join(got) or 'none'}, "
                         f"the marker says {' '.join(block.statuses) or 'none'}")
    if outcome.returncode != 0:
        last = max(outcome.statuses, default=None)
        at = run_blocks[last].where() if last is not None else "before the first block"
        how = "timed out" if outcome.returncode is None else f"ended with {outcome.returncode}"
        found.append(f"bash {how} in the block at {at}")
    return found
