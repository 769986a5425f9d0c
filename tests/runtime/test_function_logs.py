"""Function output is routed per thread: a handler's writes go to its log, everything else passes through."""

import io
import threading

from storelink_local.function_logs import FunctionLogs


def test_writes_inside_a_handler_go_to_its_log_and_others_pass_through() -> None:
    # Given function logs in front of a terminal
    terminal = io.StringIO()
    logs = FunctionLogs(terminal)
    # When one thread writes while running a handler, another thread writes meanwhile, and the first
    # handler's invocation nests another function's
    in_handler, other_thread_done = threading.Event(), threading.Event()

    def other_thread() -> None:
        in_handler.wait()
        logs.write("runtime line\n")
        other_thread_done.set()

    threading.Thread(target=other_thread).start()
    with logs.capturing("IngressFunction"):
        logs.write("ingress line\n")
        in_handler.set()
        other_thread_done.wait()
        with logs.capturing("WorkerFunction"):
            logs.write("worker line\n")
        logs.write("ingress again\n")
    # Then each handler's lines are in its own log, and only the other thread's reached the terminal
    assert logs.of("IngressFunction") == "ingress line\ningress again\n"
    assert logs.of("WorkerFunction") == "worker line\n"
    assert terminal.getvalue() == "runtime line\n"
