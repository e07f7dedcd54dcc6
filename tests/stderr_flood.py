"""Python source that floods file descriptor 2 as TensorFlow's native code does: the same
record written with os.write from two threads at once, 1 MiB in all (a pipe holds 64 KiB).
Shared by the tests of the stderr filter in a process and in a real kernel."""

MIB = 1024 * 1024


def flood_source(record: bytes) -> str:
    """Code that writes ``record`` to fd 2 from two threads until 1 MiB has been written."""
    return (
        "import os, threading\n"
        f"record = {record!r}\n"
        "def flood():\n"
        f"    for _ in range({MIB} // len(record) // 2 + 1):\n"
        "        os.write(2, record)\n"
        "writer = threading.Thread(target=flood)\n"
        "writer.start()\n"
        "flood()\n"
        "writer.join()\n"
    )
