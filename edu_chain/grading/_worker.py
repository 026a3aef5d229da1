"""The sandboxed worker: runs ONE student submission and reports what its functions return.

This file is run as a script (``python -I -S -B _worker.py --zygote FD SCRATCH``), never
imported, and uses only the standard library, so that nothing of ``edu_chain`` is loaded in
the student's process.  The script starts as a *zygote* (one per student sandbox, see
:func:`zygote`) that forks a worker per exercise; everything below happens in that fork.
The trusted parent (:mod:`edu_chain.grading.sandbox`) sends one JSON request line on stdin
(code, function names, limits, the first batch of calls) and reads JSON lines from a *report
pipe* whose descriptor it passed in; in interactive mode it may then send more batches of
calls, one JSON line each (the candidates of Hypothesis shrinking).  stdout and stderr belong
to the student (``print("PASSED")`` lands there and is never parsed).

Order of events, and why:

1. Read the whole request while nothing untrusted has run yet.
2. Set resource limits (CPU seconds, address space, file size, open files, processes, no
   core dumps).  The parent puts the worker in its own session, so it can kill the whole
   process group at the end.
3. Install an audit hook (PEP 578) *before* student code loads.  Audit hooks cannot be removed
   from Python.  The hook refuses: imports of ``edu_chain`` and of the exercise's banned modules
   (including private ones such as ``_sha256``, under any dotted name), native extensions
   from anywhere but the standard library (machine code runs outside the hook), hand-made
   code objects, ``open``/``listdir`` outside the scratch directory and the standard
   library, more than ``MAX_SCRATCH_WRITES`` files written, process creation (fork, exec,
   spawn, subprocess, ``os.system``), signals to other processes, changing resource limits
   (``prlimit`` can reach other processes), sockets, ctypes, and the ``gc`` introspection
   calls that could reach the hook itself.  A refusal raises and is also *reported at once* on
   the report fd with a write function captured before student code ran, so catching the
   exception does not hide it.  Audit hooks are not an OS sandbox: ``pidfd_send_signal``
   and ``marshal.loads`` raise no event that could be refused (see the grading README).
4. Load the submission, then call each requested function and report each value, then answer
   further batches until stdin ends.

Nothing here decides a grade.  The worker only computes; the parent compares every value
with the reference.  Anything the student does to this process (patching builtins or ``json``,
writing fake reports to the fd) can only change the *values* reported, which is what the
student controls anyway, and a wrong value is still wrong.
"""

import _json  # json's C half: the json package would import re, enum and more (see _JSON)
import _socket
import fcntl
import os
import resource
import sys

VIOLATION_EXIT = 86  # exit status when a refused action could not be reported
# Larger ints are reported by size only: Python refuses to print an int of more than 4300
# digits (about 14,000 bits), which would end the worker, and no exercise returns one.
MAX_INT_BITS = 10_000
# RLIMIT_FSIZE caps each file, not their number: without a budget, a loop writing 16 MB files
# fills the grading machine's disk in seconds, and every other student's grading with it.
MAX_SCRATCH_WRITES = 64
WRITES_REFUSED = (
    f"more than {MAX_SCRATCH_WRITES} files written: the scratch directory is not storage"
)
REPORT_CHUNK = 256 * 1024  # results are written in pieces of about this size (see main)


def _set_limits(limits):
    def cap(which, value, grace=0):
        try:
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value + grace))
        except (ValueError, OSError):
            pass  # a limit the platform refuses is enforced by the parent's wall clock

    # At the soft CPU limit the kernel sends SIGXCPU (reported as "CPU time limit"), at the
    # hard limit one second later SIGKILL.
    cap(resource.RLIMIT_CPU, int(limits["cpu_s"]), grace=1)
    cap(resource.RLIMIT_AS, int(limits["memory_mb"]) * 1024 * 1024)
    cap(resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * 1024 * 1024)
    cap(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    cap(resource.RLIMIT_CORE, 0)
    # RLIMIT_NPROC counts all processes of the user: it binds under the worker's own sandbox
    # uid (sandbox.py, when the grader is root), not for root; the audit hook refusing
    # fork/spawn and the parent's killpg are what stop child processes in every case.
    cap(resource.RLIMIT_NPROC, int(limits["processes"]))


def _make_hook(request, report):
    """Build the audit hook.  Everything it uses is bound now, before student code runs.

    Long because it is one closure on purpose: every name the hook calls must be captured
    here, in this frame, before any student code exists; helpers at module level could be
    replaced by the student's code through the module's globals.

    Student code may later replace builtins (``any``, ``isinstance``...) or functions in
    ``os``/``posixpath``; the hook only calls the references captured here, and normalises
    paths lexically without calling any patchable Python function.  Paths must be absolute
    ``str``/``bytes`` (the working directory cannot change, and ``dir_fd`` tricks need a
    relative path), and symbolic links cannot be created, so lexical normalisation sees the
    same file the kernel opens.
    """
    _type, _str, _bytes, _int, _repr = type, str, bytes, int, repr
    _decode_bytes = bytes.decode
    _permission_error, _import_error = PermissionError, ImportError
    _exit = os._exit
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    scratch = os.path.realpath(request["scratch"]) + "/"
    readable = tuple(os.path.realpath(p) + "/" for p in request["readable"])
    unreadable = tuple(os.path.realpath(p) + "/" for p in request["unreadable"])
    devices = ("/dev/null/", "/dev/urandom/")
    banned = frozenset(request["banned"])
    lenient = frozenset(request.get("lenient_at_load", ()))
    phase = ["load"]
    writes = [0]  # opens for writing (and other changes) in the scratch directory so far
    refused_events = {
        "os.system": "running a shell command",
        "os.exec": "replacing the process",
        "os.posix_spawn": "starting a process",
        "os.spawn": "starting a process",
        "os.fork": "forking a child process",
        "os.forkpty": "forking a child process",
        "subprocess.Popen": "starting a subprocess",
        "os.kill": "sending a signal",
        "os.killpg": "sending a signal",
        "signal.pthread_kill": "sending a signal",
        "socket.__new__": "opening a network socket",
        "ctypes.dlopen": "loading a native library",
        "ctypes.dlsym": "loading a native library",
        "ctypes.addressof": "raw memory access",
        "gc.get_objects": "inspecting the grader's objects",
        "gc.get_referrers": "inspecting the grader's objects",
        "gc.get_referents": "inspecting the grader's objects",
        "sys._current_frames": "inspecting the grader's frames",
        "os.symlink": "creating a symbolic link",
        "os.link": "creating a hard link",
        "os.chdir": "changing directory",
        "os.chroot": "changing the root directory",
        "os.setuid": "changing user",
        "os.mknod": "creating a device",
        # prlimit reaches other processes of the same user: the grader, or another student's
        # worker (RLIMIT_CPU of 1 s would kill it).  Nothing in an exercise needs either call.
        "resource.prlimit": "changing the resource limits of a process",
        "resource.setrlimit": "changing the resource limits of a process",
        "sys.unraisablehook": "replacing the error hook",
        # Hand-made bytecode is not verified by CPython and can corrupt memory.
        "code.__new__": "building a code object",
    }
    path_events = (
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.chflags",
        "os.truncate",
        "os.utime",
        "os.setxattr",
        "os.removexattr",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.move",
    )

    def refuse(kind, detail, exc_type=_permission_error):
        record = {"t": "violation", "kind": kind, "detail": detail, "phase": phase[0]}
        if not (kind == "banned-import" and detail in lenient and phase[0] == "load"):
            try:
                report(record)
            except BaseException:
                _exit(VIOLATION_EXIT)
        raise exc_type("refused by the grader: " + kind + " (" + detail + ")")

    def normalise(path):
        """An absolute, lexically normalised path with a trailing "/", or None."""
        if _type(path) is _bytes:
            path = _decode_bytes(path, "utf-8", "surrogateescape")
        if _type(path) is not _str or not path.startswith("/"):
            return None
        parts = []
        for part in path.split("/"):
            if part == "" or part == ".":
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return "/" + "/".join(parts) + "/"

    def starts_with_any(path, prefixes):
        return path.startswith(prefixes)  # str.startswith takes a tuple of prefixes

    def check_path(path, writing):
        if _type(path) is _int:
            return  # an already-open descriptor, itself obtained through a checked open
        full = normalise(path)
        if full is None:
            shown = path if _type(path) in (_str, _bytes) else _type(path).__name__
            refuse("file-access", "only absolute str paths are allowed, got " + _repr(shown))
        if full in devices:
            return
        if full.startswith(scratch):
            if writing:
                writes[0] += 1
                if writes[0] > MAX_SCRATCH_WRITES:
                    refuse("forbidden-call", WRITES_REFUSED)
            return
        allowed = starts_with_any(full, readable) and not starts_with_any(full, unreadable)
        if allowed and not writing:
            return
        refuse("file-access", ("write " if writing else "read ") + full[:-1])

    def hook(event, args):
        if event == "import":
            name = args[0]
            if _type(name) is not _str:
                return
            parts = name.split(".")
            if parts[0] == "edu_chain":
                refuse("reference-import", name, _import_error)
            # Every part, not just the first: importlib.util.spec_from_file_location loads a
            # file under any dotted name, and an extension's init function is named after
            # the LAST part ("student._sha256" runs PyInit__sha256).
            if name in banned or any(part in banned for part in parts):
                refuse("banned-import", name, _import_error)
            filename = args[1]  # set only when an extension module (native code) is loaded
            if _type(filename) is _str:
                full = normalise(filename)
                if full is None or not (
                    starts_with_any(full, readable) and not starts_with_any(full, unreadable)
                ):
                    refuse("forbidden-call", "loading native code from " + _repr(filename))
        elif event == "open":
            mode = args[1] if _type(args[1]) is _str else "r"
            flags = args[2] if _type(args[2]) is _int else 0
            writing = "w" in mode or "a" in mode or "x" in mode or "+" in mode
            check_path(args[0], writing or (flags & write_flags) != 0)
        elif event == "os.listdir" or event == "os.scandir":
            check_path(args[0] if args[0] is not None else scratch, False)
        elif event in path_events:
            check_path(args[0], True)
            if event in ("os.rename", "shutil.copyfile", "shutil.move", "shutil.copymode"):
                check_path(args[1], True)
        elif event in refused_events:
            refuse("forbidden-call", event + ": " + refused_events[event])
        elif event.startswith("os.exec") or event.startswith("os.spawn"):
            refuse("forbidden-call", event + ": starting a process")

    return hook, phase


def _encoder():
    """Turn a returned value into plain JSON data, reading only its real contents.

    A bytes or int *subclass* with a lying ``__eq__`` is encoded by its actual bytes / value,
    so it cannot pass for anything else in the parent's comparison.
    """
    _isinstance, _type, _len = isinstance, type, len
    _bytes_hex, _int_add, _bit_length, _int_repr = (
        bytes.hex,
        int.__add__,
        int.bit_length,
        int.__repr__,
    )
    _tuple, _list, _bytes = tuple, list, bytes

    def encode(value, depth=0):
        if depth > 8:
            return {"$repr": "nested too deeply"}
        if value is None or value is True or value is False:
            return value
        if _isinstance(value, bytes | bytearray):
            return {"$b": _bytes_hex(_bytes(value) if _type(value) is bytearray else value)}
        if _isinstance(value, int):
            number = _int_add(value, 0)
            if _bit_length(number) > MAX_INT_BITS:
                return {"$repr": "int of " + _int_repr(_bit_length(number)) + " bits"}
            return number
        if _type(value) is str:
            return value
        if _isinstance(value, _tuple | _list):
            items = _tuple.__iter__(value) if _isinstance(value, _tuple) else _list.__iter__(value)
            out = []
            for item in items:
                if _len(out) >= 10000:
                    return {"$repr": "list too long"}
                out.append(encode(item, depth + 1))
            return out
        return {"$repr": _type(value).__name__}

    return encode


class _JSON:
    """The settings json's C scanner reads from a ``json.JSONDecoder`` (its defaults).

    The zygote starts once per student; importing the ``json`` package (and with it ``re``,
    ``enum`` and ``collections``), ``socket`` and ``traceback`` cost it more CPU than forking
    all of that student's workers, so this script uses their C halves and the few lines it
    needs instead.
    """

    def __init__(self):
        self.strict = True
        self.object_hook = self.object_pairs_hook = None
        self.parse_float, self.parse_int = float, int
        constants = {"-Infinity": -float("inf"), "Infinity": float("inf"), "NaN": float("nan")}
        self.parse_constant = constants.__getitem__


def _json_reader():
    """``bytes -> value`` with the C scanner and ``bytes.decode`` bound now."""
    scan, to_text = _json.make_scanner(_JSON()), bytes.decode

    def loads(line):
        return scan(to_text(line, "utf-8").strip(), 0)[0]

    return loads


def _json_writer():
    """A JSON serializer for reports that uses nothing student code can patch afterwards.

    ``json.dumps`` looks up builtins such as ``isinstance`` at call time, so a submission that
    replaces ``builtins.isinstance`` would break it; this one binds everything now.
    """
    quote = _json.encode_basestring_ascii

    _type, _int_repr, _join = type, int.__repr__, ", ".join
    _str, _int, _list, _dict = str, int, list, dict

    def dumps(value):
        kind = _type(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if kind is _str:
            return quote(value)
        if kind is _int:
            return _int_repr(value)
        if kind is _list:
            return "[" + _join([dumps(v) for v in value]) + "]"
        if kind is _dict:
            return "{" + _join([quote(k) + ": " + dumps(v) for k, v in _dict.items(value)]) + "}"
        return quote("<unserializable>")

    return dumps


def main():
    """Serve one student: read requests, run the calls, report, until told to stop.

    Long because the order of its steps is the sandbox's guarantee (limits, then the hook,
    then student code; every reference bound before the first call) and reads best in one
    place, top to bottom.
    """
    read_line = sys.stdin.buffer.readline
    # The C scanner and bytes.decode, bound now: json.loads looks up builtins and module
    # globals at call time, which student code could have replaced by the next batch.
    loads = _json_reader()

    request = loads(read_line())
    report_fd = request["report_fd"]
    write = os.write
    dumps = _json_writer()

    def send(lines):
        data = ("\n".join(lines) + "\n").encode()
        while data:
            data = data[write(report_fd, data) :]

    def report(record):
        send([dumps(record)])

    _set_limits(request["limits"])
    sys.dont_write_bytecode = True
    sys.setrecursionlimit(3000)
    encode = _encoder()
    decode = _decoder()
    calls = [(c["id"], c["function"], [decode(a) for a in c["args"]]) for c in request["calls"]]
    hook, phase = _make_hook(request, report)
    sys.addaudithook(hook)
    del hook

    # From here on, untrusted code runs.
    namespace = {"__name__": request["module_name"], "__builtins__": __builtins__}
    sys.path[:] = [p for p in sys.path if p and not p.endswith(".zip")]
    for number, cell in enumerate(request["cells"]):
        try:
            code = compile(cell, request["source_path"], "exec")
            exec(code, namespace)
        except BaseException as exc:  # SystemExit at import is a student error
            detail = _describe(exc, request["source_path"])
            if request["tolerate_cell_errors"] and not isinstance(exc, SystemExit):
                report({"t": "warning", "cell": number, **detail})
                continue
            report({"t": "load_error", "cell": number, **detail})
            return
    missing = [n for n in request["functions"] if not callable(namespace.get(n))]
    if missing:
        report({"t": "load_error", "type": "MissingFunction", "message": ", ".join(missing)})
        return
    phase[0] = "call"
    report({"t": "ready"})
    functions = {name: namespace[name] for name in request["functions"]}
    for name in request.get("optional", ()):  # step functions the student chose to write
        if callable(namespace.get(name)):
            functions[name] = namespace[name]

    def run_batch(batch, number):
        # A batch's results go out together, in writes of about REPORT_CHUNK bytes: one write
        # per call cost the worker a system call and the grader a wake-up for each of a
        # thousand calls.  Nothing is lost by waiting: the grader uses a batch's results only
        # once its batch_done has arrived (violations are still reported at once, by the hook).
        lines, size = [], 0
        for call_id, name, args in batch:
            if name not in functions:  # a step function the submission does not define
                record = {"t": "result", "id": call_id, "absent": True}
            else:
                try:
                    value = functions[name](*args)
                    record = {"t": "result", "id": call_id, "value": encode(value)}
                except BaseException as exc:  # every student error is data
                    described = _describe(exc, request["source_path"])
                    record = {"t": "result", "id": call_id, **described}
            lines.append(dumps(record))
            size += len(lines[-1])
            if size > REPORT_CHUNK:
                send(lines)
                lines, size = [], 0
        lines.append(dumps({"t": "batch_done", "batch": number}))
        send(lines)

    run_batch(calls, 0)
    # Interactive mode: the parent may send more batches (one JSON line each), for example
    # the candidate inputs of Hypothesis shrinking; an empty line or EOF ends the session.
    number = 0
    while request.get("interactive"):
        line = read_line()
        if not line.strip():
            break
        number += 1
        try:
            message = loads(line)
            batch = [(c["id"], c["function"], [decode(a) for a in c["args"]]) for c in message]
        except BaseException:  # the student broke something this process needs: stop here
            break
        run_batch(batch, number)
    report({"t": "done"})


def _decoder():
    """JSON data -> arguments (``{"$b": hex}`` -> bytes), bound before student code runs."""
    _isinstance, _dict, _list, _fromhex = isinstance, dict, list, bytes.fromhex

    def decode(value):
        if _isinstance(value, _dict):
            return _fromhex(value["$b"])
        if _isinstance(value, _list):
            return [decode(v) for v in value]
        return value

    return decode


def _describe(exc, source_path):
    names = [cls.__name__ for cls in type(exc).__mro__]
    try:
        message = str(exc)[:500]
    except BaseException:  # a hostile __str__
        message = "<unprintable>"
    try:
        # walk_tb reads no source files (extract_tb would, through linecache).
        where = [
            f"line {lineno}, in {frame.f_code.co_name}"
            for frame, lineno in _walk_tb(exc.__traceback__)
            if frame.f_code.co_filename == source_path
        ]
    except BaseException:
        where = []
    return {"raised": names, "message": message, "where": where[-3:]}


def _walk_tb(tb):
    """(frame, line number) of each traceback entry, as ``traceback.walk_tb`` gives them."""
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _recv_fds(control, size, most):
    """``socket.recv_fds`` on the C socket: (message, descriptors passed with it)."""
    message, ancillary, _, _ = control.recvmsg(size, _socket.CMSG_LEN(most * 4))
    fds = []
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds += [int.from_bytes(data[i : i + 4], sys.byteorder) for i in range(0, usable, 4)]
    return message, fds


REQUEST_FD, REPORT_FD, STDOUT_FD, STDERR_FD = 0, 3, 1, 2


def _child(fds, scratch):
    """In a freshly forked child: the exercise's own pipes on fixed numbers, nothing else open
    (the zygote's control socket included), its own scratch directory; then :func:`main`."""
    _exit = os._exit
    try:
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in fds]
        for fd, target in zip(high, (REQUEST_FD, REPORT_FD, STDOUT_FD, STDERR_FD), strict=True):
            os.dup2(fd, target)  # dup2 clears close-on-exec on the target
        os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        os.chdir(scratch)
        os.environ["HOME"] = os.environ["TMPDIR"] = scratch
        main()
        sys.stdout.flush()
    except BaseException:
        _exit(70)
    _exit(0)


# Loading hashlib's C half starts OpenSSL: about 3 ms of CPU, more than the rest of a small
# exercise's worker, in ten of the fifteen exercises.  The zygote loads these once and then
# forgets the modules (see _load_native_libraries).
PRELOADED = ("_hashlib", "_blake2")


def _load_native_libraries():
    """Load :data:`PRELOADED`'s shared libraries into the zygote, then drop the modules.

    Each worker still imports them itself, through the import system and the audit hook (an
    exercise that bans hashlib still refuses it); it only finds the C library loaded and
    initialised already.  No module object or type of theirs is left behind to reach.
    """
    import gc

    for name in PRELOADED:
        try:
            __import__(name)
        except ImportError:  # not built into this Python: nothing to load
            continue
        del sys.modules[name]
    gc.collect()
    # Everything the zygote holds now lives as long as its workers: keep it out of their
    # collections, which would otherwise touch (and so copy, page by page) every object.
    gc.freeze()


def zygote(control_fd, scratch_root):
    """One per student sandbox: forks a fresh worker for each exercise, never runs student code.

    The parent sends ``{"fork": id}`` with four descriptors (request pipe, report pipe, stdout,
    stderr) over a Unix socket, or ``{"kill": id}``; the zygote answers ``{"exit": id,
    "code": exit code or -signal, "cpu": seconds}`` when a worker ends.  Each worker is a fork
    of this clean process: its own memory, limits, audit hook and scratch ``scratch_root/<id>``,
    so one exercise's code cannot change what another's sees (start-up is a fork, not a new
    interpreter: the point of the zygote).  Ends when the parent closes the socket.
    """
    import select

    control = _socket.socket(fileno=control_fd)
    loads = _json_reader()
    # The first compile() of a process sets up the compiler (about 3 ms of CPU): once here,
    # not again in every worker forked from this one.
    exec(compile("def warm_up():\n    return 1\n", "<zygote>", "exec"), {})
    _load_native_libraries()
    children = {}  # pidfd -> (worker id, pid)
    by_id = {}
    while True:
        ready, _, _ = select.select([control, *children], [], [])
        for item in ready:
            if item is not control:
                worker, pid = children.pop(item)
                by_id.pop(worker, None)
                os.close(item)
                _, status, usage = os.wait4(pid, 0)
                code = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                answer = f'{{"exit": {worker}, "code": {code}, "cpu": {float(cpu)!r}}}'
                control.send(answer.encode())
                continue
            message, fds = _recv_fds(control, 4096, 4)
            if not message:
                return
            order = loads(message)
            if "kill" in order:
                if order["kill"] in by_id:
                    os.kill(by_id[order["kill"]], 9)
                continue
            worker = int(order["fork"])
            scratch = os.path.join(scratch_root, str(worker))
            os.mkdir(scratch, 0o700)
            pid = os.fork()
            if pid == 0:
                _child(fds, scratch)
            for fd in fds:
                os.close(fd)
            children[os.pidfd_open(pid)] = (worker, pid)
            by_id[worker] = pid


if __name__ == "__main__":
    # python -I -S -B _worker.py --zygote CONTROL_FD SCRATCH_ROOT (see zygote()).  Never let
    # the interpreter print a traceback: formatting it would read this file, which the audit
    # hook (rightly) refuses in a worker; the parent sees the missing reports.
    try:
        zygote(int(sys.argv[2]), sys.argv[3])
    except BaseException:
        os._exit(70)
    os._exit(0)
