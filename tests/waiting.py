"""Waiting on events in tests: a file exists, a port answers, a process printed a line.

A test that sleeps a fixed time and then acts depends on the speed of the
machine: too short where it is loaded, wasted where it is idle. `wait_for`
polls for the event itself instead. Its bound (`within`) only turns a wait
that never ends into a failure with a message; it never decides what the
test goes on to check.
"""

import time

POLL = 0.02  # seconds between two looks: short next to what any test waits for


def wait_for(condition, within, what):
    """Returns the first truthy value of `condition()`, asked every `POLL`
    seconds; raises `TimeoutError` naming `what` if none came in `within`
    seconds.

    Example:

    >>> wait_for(lambda: path.exists(), within=240, what="the first checkpoint")
    """
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {within} s")
        time.sleep(POLL)
