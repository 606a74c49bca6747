"""Runs a command in a pseudo-terminal and bridges it to pipes.

Usage: python3 pty-bridge.py COMMAND [ARGS...]

The command sees a real terminal (120x40) on stdin, stdout and stderr, as a
person's shell would give it. Bytes written to this script's stdin are typed
into the terminal (so "\x03" is Ctrl-C); everything the command writes to
the terminal comes out on this script's stdout. The script exits with the
command's exit code (128 + N when killed by signal N).
"""

import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main() -> int:
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

    stdin = sys.stdin.fileno()
    stdout = sys.stdout.fileno()
    inputs = [master, stdin]
    while True:
        readable, _, _ = select.select(inputs, [], [])
        if master in readable:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                break
            try:
                os.write(stdout, data)
            except BrokenPipeError:
                # The test stopped listening: end the command with us.
                os.kill(pid, 9)
                break
        if stdin in readable:
            data = os.read(stdin, 65536)
            if data:
                os.write(master, data)
            else:
                # The test closed our stdin; the command keeps running.
                inputs.remove(stdin)

    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
