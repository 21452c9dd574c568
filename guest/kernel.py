# The codecell kernel: one stateful Python process per sandbox, speaking newline-delimited JSON
# (guest/PROTOCOL.md) over the container's original stdin/stdout. Python 3.11+ stdlib only.
import base64
import codecs
import fcntl
import hashlib
import hmac
import io
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
import traceback
import types

VERSION = "1"
DATA_DIR = os.environ.get("CODECELL_DATA_DIR", "/mnt/data")
# File bytes per `file_chunk` line. 1 MiB: a quarter of the lines (and signatures, parses, events)
# of 256 KiB, and 1.4 MB of base64 stays far below the host's 32 MiB line cap.
CHUNK = 1024 * 1024
MAX_IN_LINE = 64 * 1024 * 1024
MAX_WALK = 10000
MAX_DISPLAY_BYTES = 16 * 1024 * 1024  # one display line must stay under the host's line cap
KERNEL_FILE = os.path.abspath(__file__)
# Warmed in the background after `ready`, in this order; "IPython" builds the shell cells run in.
# numpy goes first: a first cell that imports it then waits only for numpy, as before IPython came,
# and plain early cells (see run_early) do not need the shell at all.
HEAVY = ("numpy", "IPython", "matplotlib.pyplot", "pandas")


def env_int(name, default):
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return default


MAX_FILES = env_int("CODECELL_MAX_FILES", 50)
MAX_FILE_BYTES = env_int("CODECELL_MAX_FILE_BYTES", 100 * 1024 * 1024)


# ---------------------------------------------------------------------------------------------
# The protocol channel. Taken away from fd 0/1 before any user code runs, close-on-exec, so only
# the kernel (and code that goes looking for it in /proc, which the host treats as hostile) uses it.
# ---------------------------------------------------------------------------------------------
PROTO_OUT = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 100)
PROTO_IN = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 100)
# The container's stdout while the protocol runs on the kernel's socket (see open_channel), else None.
CONTAINER_STDOUT = None
try:
    # A 1 MiB pipe to the engine (the unprivileged maximum) instead of 64 KiB: a file chunk or a
    # burst of output goes out in one write instead of sixteen wake-ups of the engine's reader.
    fcntl.fcntl(PROTO_OUT, 1031, 1 << 20)  # F_SETPIPE_SZ
except OSError:
    pass  # not a pipe (a test harness) or over the limit: the default size works, only slower
_send_lock = threading.Lock()
# Every line is signed with the host's per-container key (the `hello` line, read before any user code
# runs) and numbered: `\x1e<json>\x1f<seq>.<hmac>\n`. The container's stdout can be opened by any
# process in the sandbox (/proc/1/fd/1 of the init), for writing and for reading, so a plain token
# would leak; a MAC over each numbered line cannot be forged or replayed by one who only sees lines.
_KEY = b""
_SEQ = 0
# A process forked from the kernel (os.fork, multiprocessing) inherits the channel; it must never speak.
_FORKED = False
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
# For the ids in `stream` heads (built as bytes, see OutputReader.forward): the ASCII-only C escaper.
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False).encode


def _mark_forked():
    global _FORKED
    _FORKED = True


os.register_at_fork(after_in_child=_mark_forked)


def not_dumpable():
    """PR_SET_DUMPABLE 0: other processes of the same user (every cell's subprocesses) can no longer
    open /proc/<kernel>/fd, mem or environ, nor ptrace the kernel, so they cannot reach the channel."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
            log(f"prctl(PR_SET_DUMPABLE): errno {ctypes.get_errno()}")
    except Exception as exc:
        log(f"prctl(PR_SET_DUMPABLE): {exc!r}")


def send(msg):
    if _FORKED:
        return
    send_body(_dumps(msg).encode("utf-8", "replace"))


def send_body(body, payload=None):
    """Signs and writes one message already encoded as JSON bytes (file chunks build theirs directly).

    With `payload` (the bytes of a `stream`), `body` is a head template with one `%s` for the payload's
    MAC and the raw bytes follow the line: no JSON escaping here, no JSON parsing on the host."""
    # plt.show() sends from inside a cell: a KeyboardInterrupt mid-write would leave half a line on
    # the channel, so SIGINT waits (blocked, not lost) until the whole line is out.
    # Only while the cell's code runs can SIGINT raise (on_sigint); the kernel's own lines after it
    # (the reply, files) skip the two syscalls.
    on_main = CELL.interruptible and threading.get_ident() == MAIN_THREAD
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if on_main else None
    try:
        with _send_lock:
            global _SEQ
            _SEQ += 1
            if payload is not None:
                # hmac.new + update, not hmac.digest over prefix + payload: no copy of a 1 MiB chunk.
                mac = hmac.new(_KEY, b"%d:" % _SEQ, "sha256")
                mac.update(payload)
                body = body % mac.digest()[:16].hex().encode()
            head = b"%d." % _SEQ
            tag = hmac.digest(_KEY, head + body, "sha256")[:16].hex().encode()
            # The line and its payload in one writev: a 1 MiB file chunk is not copied into a joined buffer.
            parts = [memoryview(b"".join((b"\x1e", body, b"\x1f", head, tag, b"\n")))]
            if payload:
                parts.append(memoryview(payload))
            while parts:
                try:
                    n = os.writev(PROTO_OUT, parts)
                except InterruptedError:
                    continue
                except BrokenPipeError:
                    os._exit(0)
                while parts and n >= len(parts[0]):
                    n -= len(parts.pop(0))
                if parts:
                    parts[0] = parts[0][n:]
    finally:
        if old_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def log(text):
    try:
        send({"type": "log", "text": str(text)[:4000]})
    except Exception:
        pass


# User code gets EOF on stdin (input() raises EOFError) and so do its children (fd 0 is /dev/null).
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)


class ClosedInput(io.TextIOBase):
    """sys.stdin for cells: always at end of file, so input() raises EOFError instead of hanging."""

    def readable(self):
        return True

    def read(self, size=-1):
        return ""

    def readline(self, size=-1):
        return ""

    def fileno(self):
        return 0

    def isatty(self):
        return False


def fresh_stdio():
    sys.stdin = ClosedInput()
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0, closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True, write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0, closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True, write_through=True)


# ---------------------------------------------------------------------------------------------
# Cell state shared between the main thread (runs cells) and the output reader threads.
# ---------------------------------------------------------------------------------------------
class Cell:
    def __init__(self):
        self.id = None
        self.max_output = 0
        self.sent = 0
        self.truncated = False
        self.interruptible = False
        self.delivered = True
        self.lock = threading.Condition()


CELL = Cell()
MAIN_THREAD = threading.main_thread().ident


def signal_children(sig):
    for pid in descendants():
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def interrupt_cell(kill_children_after=None):
    """KeyboardInterrupt in the running cell: SIGINT to its child processes and to the main thread.

    Python's os.system() ignores SIGINT in the kernel while its child runs, so a signal sent then is
    lost; a watcher re-sends it until the handler has run or the cell is over. With
    `kill_children_after` (seconds), children that ignore SIGINT are SIGKILLed after that long.
    """
    cell_id = CELL.id
    if cell_id is None:
        return
    CELL.delivered = False
    signal_children(signal.SIGINT)
    if CELL.interruptible:
        os.kill(os.getpid(), signal.SIGINT)

    def watch():
        started = time.monotonic()
        while CELL.id == cell_id and not CELL.delivered:
            time.sleep(0.05)
            if CELL.id != cell_id or CELL.delivered:
                return
            if kill_children_after is not None and time.monotonic() - started > kill_children_after:
                signal_children(signal.SIGKILL)
            else:
                signal_children(signal.SIGINT)
            if CELL.interruptible:
                os.kill(os.getpid(), signal.SIGINT)

    try:
        threading.Thread(target=watch, name="codecell-interrupt", daemon=True).start()
    except RuntimeError:
        # No thread to spare (a fork or thread bomb used every pid): no re-sending, so free pids now
        # when asked to; otherwise the host's grace period ends it.
        if kill_children_after is not None:
            signal_children(signal.SIGKILL)


def on_sigint(signum, frame):
    # Only a running cell is interrupted; between cells (or inside the kernel's own bookkeeping)
    # a stray SIGINT is ignored so the kernel never dies from it. A SIGINT that came from outside
    # (docker kill -s INT via the init) reaches only the kernel, so pass it on to the cell's children.
    if CELL.interruptible:
        CELL.delivered = True
        signal_children(signal.SIGINT)
        raise KeyboardInterrupt


def interruptible_system(command):
    """os.system without C system()'s habit of ignoring SIGINT in the caller, so a cell stuck in
    os.system("...") can be interrupted like any other. Returns the same wait status."""
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", os.fsdecode(command)], dict(os.environ))
    try:
        return os.waitpid(pid, 0)[1]
    except BaseException:
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            pass
        raise


class OutputReader(threading.Thread):
    """Reads one of the fd 1/2 pipes and forwards it live as `stream` messages for the running cell.

    The pipe is non-blocking and whoever holds `lock` reads it: this thread while output flows, the
    main thread when it drains at the end of a cell (see drain_output), so a cell that printed a line
    needs no hand-off to this thread and back before its reply."""

    def __init__(self, name, fd):
        super().__init__(name="codecell-" + name, daemon=True)
        self.stream = name
        self.fd = fd
        self.lock = threading.Lock()
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        os.set_blocking(fd, False)

    def run(self):
        import select
        while True:
            try:
                select.select([self.fd], [], [])
                with self.lock:
                    try:
                        data = os.read(self.fd, READ_SIZE)
                    except BlockingIOError:
                        continue  # the main thread drained it first
                    if not data:
                        return
                    self.forward(data)
            except Exception as exc:  # never let a reader die: output would block the cell forever
                log(f"output reader {self.stream}: {exc!r}")
                time.sleep(0.01)

    def drain(self, deadline):
        """Reads and forwards what is in the pipe now, in the calling thread; False at the deadline."""
        if not self.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return False
        try:
            while True:
                try:
                    data = os.read(self.fd, READ_SIZE)
                except BlockingIOError:
                    return True
                if not data:
                    return True
                self.forward(data)
                if time.monotonic() >= deadline:
                    return False
        finally:
            self.lock.release()

    def forward(self, data):
        first_truncation = False
        with CELL.lock:  # stdout and stderr readers share one per-cell byte budget
            cid = CELL.id
            if cid is None or CELL.truncated:
                return  # between cells (a leftover background thread) or past the cap: drop
            room = CELL.max_output - CELL.sent if CELL.max_output > 0 else len(data)
            if len(data) > room:
                CELL.truncated = first_truncation = True
                data = data[:max(room, 0)]
            CELL.sent += len(data)
        if data.isascii() and not self.decoder.getstate()[0]:
            raw = data  # already valid UTF-8, and no character is split across reads: as it is
        else:
            # Decoded and encoded again so it is always valid UTF-8, split only between characters.
            raw = self.decoder.decode(data).encode("utf-8")
        if raw and not _FORKED:
            # The text goes raw after a signed head (PROTOCOL.md, Raw payloads).
            head = b'{"type":"stream","id":%s,"name":"%s","size":%d,"mac":"%%s"}' % (
                _dumps_ascii(cid).encode("ascii").replace(b"%", b"%%"), self.stream.encode(), len(raw))
            send_body(head, raw)
        if first_truncation:
            send({"type": "truncated", "id": cid, "bytes": CELL.max_output})
            interrupt_cell(kill_children_after=1.0)


READERS = []


# 64 KiB reads from a 64 KiB pipe were faster than 1 MiB reads (large allocations, slower parsing
# on the host), but a 1 MiB pipe read 256 KiB at a time beat both: a cell printing in a loop blocks
# less often on a full pipe, and there are a quarter of the signed lines (50 MB printed in three
# alternated rounds: 38/55/77 MB/s → 69/71/97 MB/s; 1 MiB reads 53/64/62).
READ_SIZE = 256 * 1024
OUTPUT_PIPE_SIZE = 1 << 20


def capture_output():
    for fd, name in ((1, "stdout"), (2, "stderr")):
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, 1031, OUTPUT_PIPE_SIZE)  # F_SETPIPE_SZ; the unprivileged maximum by default
        except OSError:
            pass  # a lower pipe-max-size: the default 64 KiB works, only slower
        os.dup2(w, fd)
        os.close(w)
        reader = OutputReader(name, r)
        reader.start()
        READERS.append(reader)


def drain_output(timeout=2.0):
    """Sends everything written to fd 1/2 so far (read here, in the caller's thread), within `timeout`."""
    if _FORKED:
        return  # a forked child shares the pipes: reading them would take the kernel's output away
    deadline = time.monotonic() + timeout
    for reader in READERS:
        reader.drain(deadline)


def settle_output():
    """Flushes Python's buffers and sends what the cell printed so far, so it arrives before the next message."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    drain_output(0.5)


# ---------------------------------------------------------------------------------------------
# Processes: everything in the container other than init and the kernel belongs to some cell.
# ---------------------------------------------------------------------------------------------
def all_processes():
    """(pid, ppid) for every process visible in /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                raw = f.read()
            rest = raw[raw.rindex(b")") + 2:].split()
            out.append((int(entry), int(rest[1])))
        except (OSError, ValueError, IndexError):
            pass
    return out


def descendants():
    procs = all_processes()
    children = {}
    for pid, ppid in procs:
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_leftovers():
    """SIGKILL every process but init and the kernel: daemons and fork leftovers do not outlive a cell."""
    me = os.getpid()
    killed = 0
    # Most cells start no process: when /proc lists only init and the kernel, there is nothing to read
    # or kill (a quarter of a print(1) cell's bookkeeping went to reading their stat files).
    # Cheaper still: the pid namespace's last allocated pid (/proc/loadavg) unchanged since /proc last
    # listed only those two means no process (or thread) was created since, so none can be left.
    newest = last_pid()
    if newest is not None and newest == _ALONE_AT[0]:
        reap_children()
        return 0
    alone = {"1", str(me)}
    if all(entry in alone for entry in os.listdir("/proc") if entry.isdigit()):
        _ALONE_AT[0] = newest  # read before the listing: a process made after it changes the figure
        reap_children()
        return 0
    for _ in range(50):
        victims = [pid for pid, _ in all_processes() if pid not in (1, me)]
        if not victims:
            break
        # kill(-1) signals every process we may signal but init and ourselves in one pass under the
        # kernel's task list lock, so a fork bomb cannot outrun it the way a pid-by-pid loop can be.
        try:
            os.kill(-1, signal.SIGKILL)
            killed += len(victims)
        except OSError:
            pass
        reap_children()
        time.sleep(0.002)
    reap_children()
    return killed


_ALONE_AT = [None]
_LOADAVG = []


def last_pid():
    """The last pid allocated in the kernel's pid namespace (5th field of /proc/loadavg), or None."""
    if not _LOADAVG:
        try:
            _LOADAVG.append(os.open("/proc/loadavg", os.O_RDONLY | os.O_CLOEXEC))
        except OSError:
            _LOADAVG.append(-1)
    if _LOADAVG[0] < 0:
        return None
    try:
        return int(os.pread(_LOADAVG[0], 128, 0).split()[4])
    except (OSError, ValueError, IndexError):
        return None


def reap_children():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


_OOM_FILE = []  # [(fd, key)] once found: re-read with pread, not opened each time (two opens a cell cost ~80 µs)


def oom_kills():
    """The container's OOM-kill counter (cgroup v2 or v1), or None when it cannot be read."""
    if not _OOM_FILE:
        for path, key in (("/sys/fs/cgroup/memory.events", b"oom_kill"),
                          ("/sys/fs/cgroup/memory/memory.oom_control", b"oom_kill")):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            _OOM_FILE.append((fd, key))
            break
        else:
            _OOM_FILE.append((-1, b""))
    fd, key = _OOM_FILE[0]
    if fd < 0:
        return None
    try:
        for line in os.pread(fd, 4096, 0).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key:
                return int(parts[1])
    except (OSError, ValueError):
        pass
    return None


# ---------------------------------------------------------------------------------------------
# matplotlib: Agg everywhere; in the kernel, plt.show() emits figures as `display` messages.
# ---------------------------------------------------------------------------------------------
os.environ.setdefault("MPLBACKEND", "Agg")


def prepare_mpl_config():
    # matplotlib rescans fonts (seconds) unless its cache is present in a writable config dir.
    cache, target = os.environ.get("CODECELL_MPL_CACHE"), os.environ.get("MPLCONFIGDIR")
    if not cache or not target or not os.path.isdir(cache):
        return
    try:
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(cache):
            if name.startswith("fontlist-") and not os.path.exists(os.path.join(target, name)):
                with open(os.path.join(cache, name), "rb") as src, open(os.path.join(target, name), "wb") as dst:
                    dst.write(src.read())
    except OSError as exc:
        log(f"matplotlib cache: {exc!r}")


MAX_FIGURE_PIXELS = 40_000_000  # the host's image limit; Agg needs 4 bytes per pixel to draw one


def figure_pixels(fig):
    import matplotlib
    dpi = matplotlib.rcParams.get("savefig.dpi", "figure")
    dpi = fig.dpi if dpi == "figure" else float(dpi)
    width, height = fig.get_size_inches()
    return int(width * dpi), int(height * dpi)


def emit_figures(cell_id):
    plt = sys.modules.get("matplotlib.pyplot")
    # Only a fully imported (patched) pyplot: the warming thread may be halfway through importing it.
    if plt is None or cell_id is None or not getattr(plt, "_codecell_patched", False) or not plt.get_fignums():
        return
    drain_output(0.5)  # text printed before the figure arrives before it
    for num in list(plt.get_fignums()):
        fig = plt.figure(num)
        try:
            width, height = figure_pixels(fig)
            if width * height > MAX_FIGURE_PIXELS:
                send({"type": "stream", "id": cell_id, "name": "stderr",
                      "text": f"figure {num} not shown: {width}×{height} pixels is over the "
                              f"{MAX_FIGURE_PIXELS // 1_000_000} megapixel limit (make it smaller or lower its dpi)\n"})
                continue
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            data = buf.getvalue()
            if len(data) > MAX_DISPLAY_BYTES:
                send({"type": "stream", "id": cell_id, "name": "stderr",
                      "text": f"figure {num} not shown: its PNG is {len(data)} bytes (limit {MAX_DISPLAY_BYTES})\n"})
                continue
            bundle = {"image/png": data, "text/plain": repr(fig)}
            if SHELL is not None:
                SHELL.display_pub.publish(data=bundle, metadata={})  # %%capture takes it, as in Jupyter
            else:
                send_display(bundle)
        except Exception as exc:
            send({"type": "stream", "id": cell_id, "name": "stderr", "text": f"could not render figure {num}: {exc!r}\n"})
        finally:
            plt.close(fig)


def patch_pyplot(plt):
    if getattr(plt, "_codecell_patched", False):
        return

    def show(*args, **kwargs):
        sys.stdout.flush()
        emit_figures(CELL.id)

    plt.show = show
    plt._codecell_patched = True
    if SHELL is not None:
        figure_formats(SHELL)


def patch_pandas(pd):
    """pandas picks its notebook layout (up to 20 columns, wrapped at 80 characters) only when it sees
    a Jupyter kernel at import time; in a terminal it cuts columns to the terminal's width. Cells are
    notebook cells, so wide frames print as they do in Jupyter."""
    if pd.get_option("display.max_columns") == 0:
        pd.set_option("display.max_columns", 20)


class ImportHook:
    """A meta-path finder that patches matplotlib.pyplot and pandas the moment they are first
    imported, by anyone (a cell, the warming thread, another library)."""

    PATCHES = {"matplotlib.pyplot": patch_pyplot, "pandas": patch_pandas}

    def find_spec(self, name, path=None, target=None):
        patch = self.PATCHES.get(name)
        if patch is None:
            return None
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            try:
                patch(module)
            except Exception as exc:
                log(f"{name} patch: {exc!r}")

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, ImportHook())


# ---------------------------------------------------------------------------------------------
# Warming heavy imports in the background so the first real cell does not pay for them.
# ---------------------------------------------------------------------------------------------
WARM_DONE = threading.Event()


class WarmGate:
    """Warming pauses between modules while a cell runs, so the two never import at the same time
    and a cell never waits for modules it does not use. A cell that prints 50 MB ran at a third of
    its speed next to warming; a first figure waited for pandas too. A cell that imports heavy
    modules waits only for the module being imported right now, then imports what it needs itself."""

    def __init__(self):
        self.cond = threading.Condition()
        self.paused = False
        self.importing = None

    def pause(self, wait_idle, ignore=None):
        with self.cond:
            self.paused = True
            while wait_idle and self.importing is not None and self.importing != ignore:
                self.cond.wait()

    def resume(self):
        with self.cond:
            self.paused = False
            self.cond.notify_all()

    def enter(self, name):
        with self.cond:
            while self.paused:
                self.cond.wait()
            self.importing = name

    def leave(self):
        with self.cond:
            self.importing = None
            self.cond.notify_all()

    def before_fork(self):
        """os.fork() from a cell waits (10 s at most) for the module being pre-imported right now: a child
        forked mid-import can hang for good, in a library's own fork handlers (a BLAS thread pool being
        set up) or on an import lock that no thread of the child will ever release. The cell has paused
        warming, so no other module starts meanwhile."""
        if threading.current_thread().name == "codecell-warm":
            return  # an import that forks: waiting for itself would never end
        deadline = time.monotonic() + 10.0
        with self.cond:
            while self.importing is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.cond.wait(left)


WARM_GATE = WarmGate()
os.register_at_fork(before=WARM_GATE.before_fork)
_warm_lock = threading.Lock()
_warm_started = False


def start_warming():
    """Starts the warming thread once: at `ready`, or with CODECELL_WARM=defer when the host sends
    `warm` (a batch pool hands the sandbox to a task), so idle pooled kernels do not import while
    other tasks' cells need the CPU."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True
    threading.Thread(target=warm, name="codecell-warm", daemon=True).start()


def warm():
    started = time.monotonic()
    done = []
    try:
        for name in HEAVY:
            WARM_GATE.enter(name)
            try:
                if name == "IPython":
                    build_shell()
                else:
                    __import__(name)
                done.append(name)
            except Exception as exc:
                if name == "IPython":
                    log(f"IPython: {exc!r}")
                # otherwise not installed in this image: fine, nothing to warm
            finally:
                WARM_GATE.leave()
    finally:
        WARM_DONE.set()
    send({"type": "warm", "modules": done, "ms": round((time.monotonic() - started) * 1000)})


# ---------------------------------------------------------------------------------------------
# Files in /mnt/data: snapshot before a cell, send what is new or changed after it.
# ---------------------------------------------------------------------------------------------
def snapshot():
    """{relative name: (kind, size, mtime_ns, ino, ctime_ns)} for everything under DATA_DIR (no links followed)."""
    seen = {}
    stack = [""]
    while stack and len(seen) < MAX_WALK:
        rel = stack.pop()
        try:
            entries = os.scandir(os.path.join(DATA_DIR, rel) if rel else DATA_DIR)
        except OSError:
            continue
        with entries:
            for entry in entries:
                name = f"{rel}/{entry.name}" if rel else entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    stack.append(name)
                    continue
                kind = "file" if stat.S_ISREG(st.st_mode) else "link" if stat.S_ISLNK(st.st_mode) else "special"
                seen[name] = (kind, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
                if len(seen) >= MAX_WALK:
                    break
    return seen


_fid = 0


def send_changed_files(cell_id, before, max_files, max_bytes, pull_min=0):
    global _fid
    after = snapshot()
    changed = sorted(name for name, sig in after.items() if before.get(name) != sig)
    sent = 0
    for name in changed:
        kind, size = after[name][0], after[name][1]
        if kind == "link":
            send({"type": "file_skipped", "id": cell_id, "name": name, "reason": "symbolic link (not followed)"})
            continue
        if kind != "file":
            send({"type": "file_skipped", "id": cell_id, "name": name, "reason": "not a regular file"})
            continue
        if sent >= max_files:
            send({"type": "file_skipped", "id": cell_id, "name": name, "reason": f"too many files (limit {max_files} per cell)"})
            continue
        if size > max_bytes:
            send({"type": "file_skipped", "id": cell_id, "name": name, "reason": f"too large ({size} bytes; limit {max_bytes})"})
            continue
        try:
            fd = os.open(os.path.join(DATA_DIR, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            send({"type": "file_skipped", "id": cell_id, "name": name, "reason": f"cannot open: {exc.strerror}"})
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                send({"type": "file_skipped", "id": cell_id, "name": name, "reason": "not a regular file"})
                continue
            if st.st_size > max_bytes:
                send({"type": "file_skipped", "id": cell_id, "name": name, "reason": f"too large ({st.st_size} bytes; limit {max_bytes})"})
                continue
            _fid += 1
            fid, size, left = _fid, st.st_size, st.st_size
            if pull_min and size >= pull_min and pull_name(name):
                send_for_pull(cell_id, fid, name, fd, size)
                sent += 1
                continue
            # No sha256 here: every chunk's bytes are MACed and numbered, so the host knows it got exactly
            # what was read here, in order, and hashes them itself (a second pass over the file on this
            # side cost as much as the rest of sending it: 100 MB, ~100 ms of 250).
            send({"type": "file_start", "id": cell_id, "fid": fid, "name": name, "size": size})
            while left > 0:
                data = os.read(fd, min(CHUNK, left))
                if not data:
                    break  # truncated while we read: pad so the promised size holds
                left -= len(data)
                send_chunk(fid, data)
            if left > 0:
                send_chunk(fid, b"\0" * left)
            send({"type": "file_end", "fid": fid})
            sent += 1
        finally:
            os.close(fd)


def pull_name(name):
    """Names the host may pass to `cat` as they are: printable, no backslash (others go as chunks)."""
    return name.isprintable() and "\\" not in name and not name.startswith("-")


def send_for_pull(cell_id, fid, name, fd, size):
    """A large file the host reads itself (`docker exec cat`, raw bytes, no base64 or JSON): only its
    signed size and sha256 travel here, so the host can check the bytes it pulls. `file_start` goes
    first, so the host's read overlaps the hashing here. Nothing runs in the container between
    cells, so the file cannot change before the host has read it (if it did, the check fails)."""
    send({"type": "file_start", "id": cell_id, "fid": fid, "name": name, "size": size, "pull": True})
    digest = hashlib.sha256()
    while True:
        data = os.read(fd, CHUNK)
        if not data:
            break
        digest.update(data)
    send({"type": "file_end", "fid": fid, "sha256": digest.hexdigest()})


def send_chunk(fid, data):
    """A `file_chunk` head and the chunk's bytes raw after it (PROTOCOL.md, Raw payloads): no base64 or
    JSON, so a file costs two HMACs and a copy per byte on each end."""
    if not _FORKED:
        send_body(b'{"type":"file_chunk","fid":%d,"size":%d,"mac":"%%s"}' % (fid, len(data)), data)


def split_name(name):
    """Validated components of an upload name relative to DATA_DIR, or raise ValueError."""
    if not isinstance(name, str) or not name or len(name) > 1024 or name.startswith("/"):
        raise ValueError("name must be a relative path")
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", "..") or len(part.encode()) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in part):
            raise ValueError(f"invalid path component {part!r}")
    return parts


class Uploads:
    """put_file chunks: the first creates the file (O_EXCL, no links followed), `last` closes it."""

    def __init__(self):
        self.open = {}

    def put(self, msg):
        name = msg.get("name")
        try:
            data = base64.b64decode(msg.get("data") or "", validate=True)
            entry = self.open.get(name)
            if entry is None:
                entry = self.open[name] = [self.create(name), 0]
            fd = entry[0]
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            entry[1] += len(data)
            if msg.get("last"):
                os.close(fd)
                del self.open[name]
                send({"type": "put_done", "name": name, "size": entry[1]})
        except Exception as exc:
            entry = self.open.pop(name, None)
            if entry:
                os.close(entry[0])
            text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, FileExistsError):
                text = "a file with that name already exists"
            send({"type": "put_error", "name": name, "message": text})

    @staticmethod
    def create(name):
        parts = split_name(name)
        dirfd = os.open(DATA_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for part in parts[:-1]:
                try:
                    os.mkdir(part, 0o755, dir_fd=dirfd)
                except FileExistsError:
                    pass
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
                os.close(dirfd)
                dirfd = nxt
            return os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dirfd)
        finally:
            os.close(dirfd)


# ---------------------------------------------------------------------------------------------
# IPython: cells run through IPython's InteractiveShell (input transformers for magics and `!cmd`,
# the display hook for `Out[n]`/`_`/trailing `;`, the display publisher for display()). Only the
# ends change: the hook and the publisher send protocol messages, errors go out as `error`.
# Built by the warming thread right after `ready` (the import costs more than the kernel's start).
# ---------------------------------------------------------------------------------------------
SHELL = None
_SHELL_LOCK = threading.Lock()
_ANSI = None
MAX_BUNDLE_TEXT = 4 * 1024 * 1024  # text forms of one display (HTML tables can be large)


def ansi_free(text):
    global _ANSI
    if _ANSI is None:
        import re
        _ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
    return _ANSI.sub("", text)


def clean_bundle(data, cell_id):
    """A display's mime bundle as JSON-safe strings: images base64, JSON as a value, text capped.
    Returns None when nothing is left to send (the reason goes to the cell's stderr)."""
    out = {}
    for mime, value in (data or {}).items():
        if not isinstance(mime, str) or len(mime) > 100:
            continue
        if mime.startswith("image/") and mime != "image/svg+xml":
            raw = value if isinstance(value, (bytes, bytearray)) else None
            if raw is None and isinstance(value, str):
                try:
                    raw = base64.b64decode(value, validate=False)
                except ValueError:
                    continue
            if raw is None:
                continue
            if len(raw) > MAX_DISPLAY_BYTES:
                send({"type": "stream", "id": cell_id, "name": "stderr",
                      "text": f"{mime} not shown: {len(raw)} bytes (limit {MAX_DISPLAY_BYTES})\n"})
                continue
            out[mime] = base64.b64encode(raw).decode("ascii")
        elif mime == "application/json" or mime.endswith("+json"):
            try:
                text = json.dumps(value)
            except (TypeError, ValueError):
                continue
            if len(text) <= MAX_BUNDLE_TEXT:
                out[mime] = value
        else:
            if isinstance(value, (bytes, bytearray)):
                value = bytes(value).decode("utf-8", "replace")
            if not isinstance(value, str):
                value = str(value)
            out[mime] = value[:MAX_BUNDLE_TEXT]
    return out or None


def send_display(data, metadata=None, transient=None, update=False):
    cell_id = CELL.id
    if cell_id is None:
        return
    settle_output()  # what was printed before the display arrives before it
    bundle = clean_bundle(data, cell_id)
    if bundle is None:
        return
    msg = {"type": "display", "id": cell_id, "data": bundle}
    display_id = (transient or {}).get("display_id") if isinstance(transient, dict) else None
    if display_id is not None:
        msg["display_id"] = str(display_id)[:200]
    if update:
        msg["update"] = True
    if metadata:
        try:
            json.dumps(metadata)
            msg["metadata"] = metadata
        except (TypeError, ValueError):
            pass
    send(msg)


PIP_INSTALL_RE = r"^\s*(\S*/)?(pip3?|\S*python3?(\.\d+)?\s+-m\s+pip)\s+install\b"


def pip_install(command):
    """The match when `command` is a `pip install` (re is imported here: not before `ready`)."""
    import re
    return re.match(PIP_INSTALL_RE, command)


def pip_offline_message(command):
    """What `pip install` says in a sandbox without network: that, what is installed, how to get more."""
    import re
    from importlib import metadata
    lines = ["pip install cannot work here: this sandbox has no network (codecell starts it without one)."]
    for word in re.sub(PIP_INSTALL_RE, "", command).split():
        name = re.split(r"[<>=!~\[;]", word.strip("'\""), maxsplit=1)[0]
        if not name or word.startswith("-"):
            continue
        try:
            lines.append(f"{name} {metadata.version(name)} is already installed: import it.")
        except Exception:
            lines.append(f"{name} is not installed.")
    shown = []
    for name in ("numpy", "pandas", "matplotlib", "scipy", "scikit-learn", "seaborn", "statsmodels", "openpyxl",
                 "pillow", "sympy", "tabulate", "python-docx", "reportlab", "xlsxwriter", "ipython"):
        try:
            shown.append(f"{name} {metadata.version(name)}")
        except Exception:
            pass
    lines.append("Installed: " + ", ".join(shown) + ", and the Python standard library.")
    lines.append("To get more: run codecell with --network (pip then installs into /tmp for this session), "
                 "or bake the package into the sandbox image (guest/Dockerfile).")
    return "\n".join(lines) + "\n"


def local_targets(command):
    """True when every package `pip install` names is a file or folder here (a wheel, an sdist, a
    project): pip needs no network for those, so they install even in a sandbox without one."""
    import re
    import shlex
    try:
        words = shlex.split(re.sub(PIP_INSTALL_RE, "", command))
    except ValueError:
        return False
    targets = [w for w in words if not w.startswith("-")]
    return bool(targets) and all(os.path.exists(os.path.expanduser(t)) for t in targets)


def has_network():
    try:
        return any(name != "lo" for name in os.listdir("/sys/class/net"))
    except OSError:
        return False


def pip_with_network(command):
    """`pip install` with a network: into the user site under /tmp (the root is read-only), put on
    sys.path so the package imports in the same session."""
    import site
    user_site = site.getusersitepackages()
    if user_site not in sys.path:
        sys.path.append(user_site)
    import re
    offline = "" if has_network() else " --no-index"
    return re.sub(PIP_INSTALL_RE, f"{sys.executable} -m pip install --user --break-system-packages{offline}", command, count=1)


def build_shell():
    """The InteractiveShell, built once (by the warming thread, or by the first cell if it comes first)."""
    global SHELL
    with _SHELL_LOCK:
        if SHELL is not None:
            return SHELL
        os.environ.setdefault("IPYTHONDIR", "/tmp/.ipython")
        # Half of `import IPython` is the terminal front end (prompt_toolkit) and jedi's completer,
        # neither of which a kernel uses: both are kept out while IPython loads, then made
        # importable again for cells that want them.
        embed = types.ModuleType("IPython.terminal.embed")
        embed.embed = no_terminal
        saved = {name: sys.modules.get(name) for name in ("IPython.terminal.embed", "jedi")}
        sys.modules["IPython.terminal.embed"], sys.modules["jedi"] = embed, None
        try:
            import IPython
            from IPython.core.interactiveshell import InteractiveShell
        finally:
            for name, module in saved.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
        IPython.embed = no_terminal
        from traitlets.config import Config
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import DisplayPublisher

        class ProtocolDisplayPublisher(DisplayPublisher):
            def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
                send_display(data, metadata, transient, update)

            def clear_output(self, wait=False):
                if CELL.id is None:
                    return
                settle_output()
                send({"type": "clear", "id": CELL.id, "wait": bool(wait)})

        from IPython.core.history import HistoryManager

        # Attributes IPython sets on every cell, kept as plain attributes instead of traits: nothing
        # observes them, and validating and notifying nine trait assignments was about a third of
        # what run_cell adds to a small cell (profiled).
        class CellHistory(HistoryManager):
            _i00 = _i = _ii = _iii = ""

        class ProtocolDisplayHook(DisplayHook):
            """The value of a cell's last expression: `result` with its mime bundle (Out[n] and `_`
            are kept by IPython's own hook)."""

            exec_result = None

            def start_displayhook(self):
                pass

            def write_output_prompt(self):
                pass

            def write_format_data(self, format_dict, md_dict=None):
                cell_id = CELL.id
                if cell_id is None:
                    return
                settle_output()
                bundle = clean_bundle(format_dict, cell_id) or {}
                text = bundle.pop("text/plain", "")
                if CELL.max_output and len(text) > CELL.max_output:
                    text = text[:CELL.max_output] + "…"
                msg = {"type": "result", "id": cell_id, "text": text, "count": self.prompt_count}
                if bundle:
                    msg["data"] = bundle
                send(msg)

            def finish_displayhook(self):
                pass

        class CodecellShell(InteractiveShell):
            execution_count = 1
            last_execution_succeeded = True
            last_execution_result = None

            def init_history(self):
                self.history_manager = CellHistory(shell=self, parent=self)
                self.configurables.append(self.history_manager)

            def showtraceback(self, *args, **kwargs):
                if _FORKED:
                    # A child forked by the cell has no channel to report on, and formatting a traceback
                    # imports and takes locks that a thread of the parent may have held at the fork: it
                    # could hang there, and the parent waiting for it with it. It ends at once instead.
                    os._exit(1)
                return super().showtraceback(*args, **kwargs)

            def _showtraceback(self, etype, evalue, stb):
                # The SIGINT handler's frame is the kernel's, not the cell's.
                stb = [s for s in stb if KERNEL_FILE not in s]
                report_error(etype, evalue, ansi_free("\n".join(stb)).split("\n"))

            def show_usage_error(self, exc):
                report_error(type(exc), exc, [f"UsageError: {exc}"])

            def system(self, cmd):
                # `!cmd`, %pip, %sx: a plain subprocess on fd 1/2 (captured live like any output and
                # interruptible), not a pseudo-terminal. pip fails fast when there is no network.
                if pip_install(cmd):
                    if not has_network() and not local_targets(cmd):
                        sys.stdout.flush()
                        sys.stderr.write(pip_offline_message(cmd))
                        sys.stderr.flush()
                        self.user_ns["_exit_code"] = 1
                        return
                    self.system_raw(pip_with_network(cmd))
                    __import__("importlib").invalidate_caches()  # so the new package imports now
                    return
                return self.system_raw(cmd)

            def should_run_async(self, raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
                # IPython compiles every cell an extra time to look for top-level await; a cell
                # without the word cannot have one, and skipping that compile is most of what
                # IPython adds to a small cell.
                cell = transformed_cell if transformed_cell is not None else raw_cell
                if "await" not in cell and "async" not in cell:
                    return False
                return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                                preprocessing_exc_tuple=preprocessing_exc_tuple)

            def enable_matplotlib(self, gui=None):
                # Figures are always drawn inline (Agg, sent after show() and at the end of a cell);
                # other GUIs cannot exist in the sandbox.
                if gui not in (None, "inline", "agg", "auto"):
                    print(f"codecell: there is no GUI in the sandbox; figures are shown inline (%matplotlib {gui} ignored)",
                          file=sys.stderr)
                import matplotlib
                return gui or "inline", matplotlib.get_backend()

        # pandas lays wide frames out as in Jupyter (wrapped at 80 columns, up to 20 columns shown)
        # only when the shell's type names zmq (ipykernel's ZMQInteractiveShell); otherwise it cuts
        # columns to a terminal's width. Cells here are notebook cells, so the type says so.
        CodecellShell.__module__ = "codecell_kernel.zmq_compatible"

        cfg = Config()
        cfg.HistoryManager.hist_file = ":memory:"
        cfg.InteractiveShell.colors = "NoColor"
        # Other libraries (tqdm.auto) ask whether they run under a notebook kernel by looking for
        # IPKernelApp in the shell's config; they then behave as in Jupyter.
        cfg.IPKernelApp.codecell = True
        shell = CodecellShell.instance(config=cfg, user_ns=USER_NS,
                                       displayhook_class=ProtocolDisplayHook,
                                       display_pub_class=ProtocolDisplayPublisher)
        shell.display_page = True  # %magic? help goes out as a display, not a pager
        # Without pickleshare (not in Debian) %cd warns on every use that its directory history is
        # not saved; nothing is saved between sessions here anyway.
        import warnings
        warnings.filterwarnings("ignore", message="This is now an optional IPython functionality")
        if "matplotlib.pyplot" in sys.modules:
            figure_formats(shell)
        # Cells that ran before the shell existed (see run_early) keep their numbers and In[n].
        for number, source in EARLY_CELLS:
            shell.history_manager.store_inputs(number, source)
        for number, value in EARLY_VALUES:
            shell.execution_count = number
            shell.displayhook.update_user_ns(value)
        shell.execution_count = len(EARLY_CELLS) + 1
        SHELL = shell
        return shell


def no_terminal(*args, **kwargs):
    raise RuntimeError("IPython.embed() needs a terminal; codecell cells already run in IPython")


# ---------------------------------------------------------------------------------------------
# Early cells: a cell that arrives while IPython is still loading (the first `exec` cell, right
# after `ready`) and is plain Python with nothing IPython-specific in it runs without the shell,
# as IPython would run it, so it never waits for IPython's import. Its value, an error, or any
# IPython name sends it to the shell after all.
# ---------------------------------------------------------------------------------------------
EARLY_CELLS = []
EARLY_VALUES = []  # (n, value) shown before the shell existed; it puts them into Out, _, _n
SCALARS = (int, float, complex, bool, str, bytes)


def plain_repr(value):
    """repr() of a scalar whose IPython display is that repr, or None (the shell must show it)."""
    if type(value) not in SCALARS and type(value).__module__ != "numpy" or hasattr(value, "_repr_pretty_"):
        return None
    try:
        text = repr(value)
    except Exception:
        return None
    if len(text) > 79 or "\n" in text or text.startswith("<"):
        return None
    return text if not CELL.max_output or len(text) <= CELL.max_output else None
IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "_ih", "_oh", "_dh", "_", "__", "___", "_i", "_ii",
                 "_iii", "exit", "quit", "_exit_code"}


def early_plan(code):
    """(body, last expression) compiled, when the cell can run before the shell exists; else None."""
    import ast
    if SHELL is not None:
        return None
    try:
        tree = ast.parse(code, "<cell>")
    except SyntaxError:  # magics, `!cmd`, or a real syntax error: IPython's transformers and messages
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (node.id in IPYTHON_NAMES or node.id[:2] in ("_i", "_o")
                                           or node.id[:1] == "_" and node.id[1:].isdigit()):
            return None
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] in ("IPython", "tqdm", "ipywidgets") for n in names):
                return None  # they look for a running IPython
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)) and not isinstance(node, ast.AsyncFunctionDef):
            return None
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    number = len(EARLY_CELLS) + 1
    filename = f"<cell {number}>"
    __import__("linecache").cache[filename] = (len(code), None, code.splitlines(True), filename)
    return compile(tree, filename, "exec"), compile(last, filename, "eval") if last is not None else None


def run_early(code, plan):
    """Runs a planned early cell; False when its value needs the shell (it is shown by IPython's hook)."""
    body, last = plan
    number = len(EARLY_CELLS) + 1
    EARLY_CELLS.append((number, code))
    try:
        exec(body, USER_NS)
        value = eval(last, USER_NS) if last is not None else None
        if value is None:
            return None
        text = plain_repr(value)
        if text is not None:
            # IPython's pretty printer shows these exactly as repr() does.
            drain_output(0.5)
            send({"type": "result", "id": CELL.id, "text": text, "count": number})
            EARLY_VALUES.append((number, value))
            return None
    except BaseException as exc:
        failure = exc
    else:
        failure = None
    # IPython shows the value (Out[n], `_`, pretty printing, a trailing `;`) or the traceback.
    shell = build_shell()
    shell.execution_count = number
    try:
        if failure is None:
            shell.displayhook(value)
        else:
            try:  # so the traceback names the cell "Cell In[n]", as for the shell's own cells
                shell.compile._filename_map[f"<cell {number}>"] = number
            except Exception:
                pass
            # IPython skips one frame (its run_code; here run_early), so the cell's frames stay.
            shell.showtraceback((type(failure), failure, failure.__traceback__))
    finally:
        shell.execution_count = number + 1
    return failure


def figure_formats(shell):
    """display(fig) and a figure as a cell's value give a PNG, as Jupyter's inline backend does."""
    try:
        from IPython.core.pylabtools import select_figure_formats
        select_figure_formats(shell, {"png"})
    except Exception as exc:
        log(f"figure formats: {exc!r}")


# ---------------------------------------------------------------------------------------------
# Running a cell.
# ---------------------------------------------------------------------------------------------
USER_NS = {"__name__": "__main__", "__builtins__": __builtins__}


def report_error(etype, evalue, traceback_lines):
    """Sends the cell's `error` (IPython's formatted traceback, no colours)."""
    cell_id = CELL.id
    if cell_id is None:
        return
    settle_output()
    try:
        evalue = str(evalue)
    except Exception:  # a hostile __str__ must not take the kernel down
        evalue = "<unprintable>"
    name = getattr(etype, "__name__", str(etype))
    if name == "UsageError":
        CELL.usage_error = True
    send({"type": "error", "id": cell_id, "ename": name, "evalue": evalue[:10000],
          "traceback": traceback_lines[-400:]})


def imports_heavy(code):
    """True when the cell imports something outside the stdlib, which may race the warming thread."""
    import re
    stdlib = getattr(sys, "stdlib_module_names", ())
    for match in re.finditer(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", code, re.M):
        names = match.group(1) or match.group(2)
        for name in names.split(","):
            top = name.strip().split(" ")[0].split(".")[0]
            if top and top not in stdlib:
                return True
    return False


def execute(msg):
    cell_id = str(msg.get("id"))
    code = msg.get("code")
    if not isinstance(code, str):
        code = ""
    max_output = int(msg.get("max_output") or 0)
    max_files = int(msg.get("max_files") or MAX_FILES)
    max_bytes = int(msg.get("max_file_bytes") or MAX_FILE_BYTES)
    pull_min = int(msg.get("pull_min") or 0)
    started = time.monotonic()
    before = snapshot()
    ooms = oom_kills()
    drain_output(0.05)  # leftovers of the previous cell's background writers are not this cell's
    with CELL.lock:
        CELL.id, CELL.max_output, CELL.sent, CELL.truncated = cell_id, max_output, 0, False
    CELL.usage_error = False
    status = "ok"
    try:
        plan = None
        if not WARM_DONE.is_set():
            # Warming pauses after its current step. A cell that needs the shell waits for that step
            # (it may be the shell); an early cell waits only when it imports a module outside the
            # stdlib, and then for any step, the shell's too: pyplot (and others) look IPython up in
            # sys.modules and call it, and a half-imported IPython there failed such a first cell
            # with "partially initialized module 'IPython'".
            plan = early_plan(code)
            heavy = imports_heavy(code)
            WARM_GATE.pause(wait_idle=plan is None or heavy, ignore="IPython" if plan and not heavy else None)
            if plan is not None and SHELL is not None:
                plan = None  # the shell was built while this cell waited: it runs the cell and numbers it
        try:
            CELL.interruptible = True
            if plan is not None:
                failure = run_early(code, plan)
            else:
                shell = build_shell()
                result = shell.run_cell(code, store_history=True)
                failure = result.error_before_exec or result.error_in_exec
        finally:
            CELL.interruptible = False
        if isinstance(failure, KeyboardInterrupt):
            status = "interrupted"
        elif failure is not None or CELL.usage_error:
            status = "error"
    except KeyboardInterrupt:
        # Arrived between IPython's own steps, outside the cell's code.
        status = "interrupted"
        report_error(KeyboardInterrupt, "", ["KeyboardInterrupt"])
    except BaseException as exc:
        status = "error"
        report_error(type(exc), exc, traceback.format_exception(exc))
    WARM_GATE.resume()
    if _FORKED:
        # A child forked by the cell (os.fork without exec) finished the cell's code: it is not the
        # kernel and must not run the bookkeeping or send a reply for the cell.
        os._exit(0 if status == "ok" else 1)
    # Kernel bookkeeping from here on: a late SIGINT is ignored (interruptible is False). Each step
    # runs even when an earlier one failed, so leftovers are always killed and output always drained.
    def restore_stdio():
        if sys.stdout is None or sys.stdout.closed or sys.stderr is None or sys.stderr.closed or not isinstance(sys.stdin, ClosedInput):
            fresh_stdio()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            fresh_stdio()

    def report_oom():
        after_ooms = oom_kills()
        if ooms is not None and after_ooms is not None and after_ooms > ooms:
            send({"type": "oom_kill", "id": cell_id, "count": after_ooms - ooms})

    def end_output():
        drain_output()
        with CELL.lock:
            CELL.id = None

    for step in (restore_stdio, lambda: emit_figures(cell_id), kill_leftovers, end_output, report_oom,
                 lambda: send_changed_files(cell_id, before, max_files, max_bytes, pull_min)):
        try:
            step()
        except Exception as exc:
            log(f"after a cell: {exc!r}")
    CELL.id = None
    truncated = CELL.truncated
    count = SHELL.execution_count - 1 if SHELL is not None else len(EARLY_CELLS)
    reply = {"type": "reply", "id": cell_id, "status": status, "count": count,
             "ms": round((time.monotonic() - started) * 1000)}
    if truncated:
        reply["truncated"] = True
    send(reply)


# ---------------------------------------------------------------------------------------------
# Reset (a batch pool's recycling, PROTOCOL.md "Reset"): the same container, handed to the next task
# as if new. The old process restores what execve keeps (limits, priority, signal state, ...) and
# re-executes itself; the new one, before it reads its hello and before any user code exists, kills
# every other process, removes SysV IPC objects and empties every writable mount. Whatever cannot be
# put back as it was fails the reset: the kernel exits and the host removes the container instead.
# ---------------------------------------------------------------------------------------------
import resource  # noqa: E402

# Set by the old process for the new one; popped before anything (a cell, a subprocess) can see it.
_RESETTING = os.environ.pop("CODECELL_RESET", None) == "1"
_BOOT_ENV = dict(os.environb)
_BOOT_EXE = sys.executable
_BOOT_ARGV = list(sys.orig_argv)
try:
    _BOOT_STDERR = fcntl.fcntl(2, fcntl.F_DUPFD_CLOEXEC, 100)  # the container's stderr, before capture_output
except OSError:
    _BOOT_STDERR = None
_RLIMITS = {getattr(resource, n): n for n in dir(resource) if n.startswith("RLIMIT_")}


def _libc():
    import ctypes
    return ctypes.CDLL(None, use_errno=True)


def seccomp_filters():
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Seccomp_filters:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def read_oom_score_adj():
    with open("/proc/self/oom_score_adj") as f:
        return int(f.read())


def read_personality():
    # Not personality(0xffffffff): Docker's default seccomp profile refuses that query. Readable only
    # while the kernel is dumpable (at its start), so the reset puts it back without reading it.
    with open("/proc/self/personality") as f:
        return int(f.read(), 16)


def process_attributes():
    """What execve passes on to the next kernel and a cell may change in the kernel process."""
    mask = os.umask(0o022)
    os.umask(mask)
    return {
        "umask": mask,
        "rlimits": {r: resource.getrlimit(r) for r in _RLIMITS},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "sched": os.sched_getscheduler(0),
        "affinity": os.sched_getaffinity(0),
        "oom_score_adj": read_oom_score_adj(),
        "seccomp": seccomp_filters(),
        "ooms": oom_kills(),
    }


try:
    _BOOT_STATE = process_attributes()
    _BOOT_STATE["personality"] = read_personality()
except Exception as _exc:  # the reset then fails (a fresh container instead); the kernel itself works
    _BOOT_STATE = None
    _BOOT_PROBLEM = repr(_exc)


def restore_process_attributes():
    """Puts back what a task may have changed in the kernel process and execve would keep; returns
    what could not be put back (the reset then fails), or None."""
    boot = _BOOT_STATE
    if boot is None:
        return f"the kernel could not record its start state ({_BOOT_PROBLEM})"
    now = process_attributes()
    if boot["ooms"] is not None and (now["ooms"] is None or now["ooms"] > boot["ooms"]):
        return "a process in the sandbox was killed for memory during the task"
    if boot["seccomp"] is not None and now["seccomp"] != boot["seccomp"]:
        return "the task installed a seccomp filter"
    os.umask(boot["umask"])
    for r, (soft, hard) in boot["rlimits"].items():
        if now["rlimits"][r] == (soft, hard):
            continue
        if now["rlimits"][r][1] != hard:
            return f"the task lowered the hard limit {_RLIMITS[r]}"
        resource.setrlimit(r, (soft, hard))
    if now["nice"] != boot["nice"]:
        os.setpriority(os.PRIO_PROCESS, 0, boot["nice"])
    if now["sched"] != boot["sched"]:
        os.sched_setscheduler(0, boot["sched"], os.sched_param(0))
    if now["affinity"] != boot["affinity"]:
        os.sched_setaffinity(0, boot["affinity"])
    if now["oom_score_adj"] != boot["oom_score_adj"]:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(boot["oom_score_adj"]))
    libc = _libc()
    # personality(x) answers the one before: the second call shows whether the first one took.
    if libc.personality(boot["personality"]) == -1 or libc.personality(boot["personality"]) != boot["personality"]:
        return "the task changed the kernel's personality and it could not be put back"
    for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
        signal.setitimer(timer, 0)
    again = process_attributes()
    for key in ("umask", "rlimits", "nice", "sched", "affinity", "oom_score_adj"):
        if again[key] != boot[key]:
            return f"the task changed the kernel's {key} and it could not be put back"
    return None


def reset_kernel():
    """`reset`, between cells: the next kernel is this process re-executed with its start environment.
    The protocol reader has stopped reading (the host's next line is the new process's hello)."""
    try:
        problem = restore_process_attributes()
    except Exception as exc:
        problem = f"restoring the kernel's process state failed: {exc!r}"
    if problem is not None:
        send({"type": "reset_failed", "message": problem})
        os._exit(3)
    send({"type": "resetting"})
    env = dict(_BOOT_ENV)
    env[b"CODECELL_RESET"] = b"1"
    if CONTAINER_STDOUT is None:
        # This kernel could not use the channel's socket (the host has removed its folder): neither can the next.
        env.pop(b"CODECELL_CHANNEL", None)
    # Otherwise the host listens again in the same folder once it has `resetting`, and the next kernel,
    # which gets its hello on stdin, connects as the first one did.
    _send_lock.acquire()  # held through execve: no thread of this process writes to the channel again
    try:
        for sig in signal.valid_signals():
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                try:
                    signal.signal(sig, signal.SIG_DFL)  # an ignored signal would stay ignored after execve
                except (OSError, ValueError):
                    pass
        os.dup2(PROTO_IN, 0)
        os.dup2(PROTO_OUT if CONTAINER_STDOUT is None else CONTAINER_STDOUT, 1)
        if _BOOT_STDERR is not None:
            os.dup2(_BOOT_STDERR, 2)
        os.closerange(3, 1 << 20)
        os.chdir("/")  # the cell may have left it in a folder the new kernel's sweep removes
        signal.pthread_sigmask(signal.SIG_SETMASK, ())
        os.execve(_BOOT_EXE, _BOOT_ARGV, env)
    finally:
        os._exit(3)


def writable_mounts():
    """Mount points of every read-write tmpfs or mqueue in the container (/mnt/data, /tmp, /dev/shm,
    /dev/mqueue, and any other an engine adds), with the mode its folder is created with."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, extra = left.split(), right.split()
            if len(fields) < 6 or len(extra) < 3 or "rw" not in fields[5].split(","):
                continue
            if extra[0] not in ("tmpfs", "mqueue") or "rw" not in extra[2].split(","):
                continue
            point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
            mode = 0o1777
            for option in extra[2].split(","):
                if option.startswith("mode="):
                    mode = int(option[5:], 8)
            found.append((point, mode))
    return found


def _empty(dfd):
    for name in os.listdir(dfd):
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            if st.st_mode & 0o700 != 0o700:
                os.chmod(name, 0o700, dir_fd=dfd)  # a folder the task made unreadable or read-only
            sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
            try:
                _empty(sub)
            finally:
                os.close(sub)
            os.rmdir(name, dir_fd=dfd)
        else:
            os.unlink(name, dir_fd=dfd)


def empty_mount(point, mode):
    """Removes everything in a writable mount (never following links) and gives its folder back its
    mode and no extended attributes; a mount this user cannot write is left alone (/dev, cgroups)."""
    st = os.lstat(point)
    if not stat.S_ISDIR(st.st_mode):
        return
    mine = st.st_uid == os.getuid()
    if not mine and not os.access(point, os.W_OK):
        return
    if mine and stat.S_IMODE(st.st_mode) != mode:
        os.chmod(point, mode)
    fd = os.open(point, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        _empty(fd)
        for attr in os.listxattr(fd) if mine else ():
            os.removexattr(fd, attr)
        if os.listdir(fd):
            raise OSError(f"{point} is not empty")
    finally:
        os.close(fd)


def remove_sysv_ipc():
    """Removes the shared memory segments, semaphore sets and message queues a task made: they live in
    the container's IPC namespace, not in a process or a file."""
    libc = _libc()
    for kind, column, remove in (("shm", "shmid", lambda i: libc.shmctl(i, 0, None)),
                                 ("sem", "semid", lambda i: libc.semctl(i, 0, 0)),
                                 ("msg", "msqid", lambda i: libc.msgctl(i, 0, None))):
        path = f"/proc/sysvipc/{kind}"
        if not os.path.exists(path):
            continue
        for _ in range(2):
            with open(path) as f:
                rows = [line.split() for line in f]
            at = rows[0].index(column) if rows else 0
            ids = [int(row[at]) for row in rows[1:] if len(row) > at]
            if not ids:
                break
            for i in ids:
                remove(i)  # IPC_RMID; one that is not ours stays and is reported below
        else:
            raise OSError(f"SysV IPC objects ({kind}) are left that this user cannot remove")


def init_untouched():
    """No code was injected into the init (pid 1, same user: a task could ptrace it): none of its
    executable mappings holds a written page, and it has no executable memory but its program's."""
    try:
        with open("/proc/1/smaps") as f:
            lines = f.read().splitlines()
    except OSError:
        return  # not readable here (another runtime): nothing to check with
    executable = False
    for line in lines:
        parts = line.split()
        if parts and "-" in parts[0] and len(parts) >= 5 and len(parts[1]) == 4:
            executable = "x" in parts[1]
            if executable and len(parts) < 6 and parts[-1] not in ("[vdso]", "[vsyscall]"):
                raise OSError("the init has executable memory it did not start with")
            if executable and len(parts) >= 6 and parts[5] in ("[heap]", "[stack]"):
                raise OSError("the init has an executable heap or stack")
        elif executable and parts and parts[0] == "Anonymous:" and parts[1] != "0":
            raise OSError("the init's program code was written to")
    with open("/proc/1/status") as f:
        for line in f:
            if line.startswith("TracerPid:") and line.split()[1] != "0":
                raise OSError("the init is being traced")


def finish_reset():
    """In the re-executed kernel, before its hello: one process of the sandbox user (this one) and the
    init, no IPC objects, empty writable mounts. Any failure ends the kernel (exit status 3) with the
    reason on stderr; the host then removes the container."""
    me = os.getpid()
    try:
        deadline = time.monotonic() + 2.0
        while True:
            others = [pid for pid, _ in all_processes() if pid not in (1, me)]
            if not others:
                break
            if time.monotonic() > deadline:
                raise OSError(f"{len(others)} process(es) of the task outlived SIGKILL")
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            reap_children()
            time.sleep(0.005)
        init_untouched()
        remove_sysv_ipc()
        for point, mode in writable_mounts():
            empty_mount(point, mode)
    except Exception as exc:
        os.write(2, f"codecell kernel: reset failed: {exc}\n".encode("utf-8", "replace"))
        os._exit(3)


if _RESETTING:
    finish_reset()


# ---------------------------------------------------------------------------------------------
# The protocol loop: a reader thread parses lines (answering ping and interrupt at once);
# the main thread runs execute and put_file in order.
# ---------------------------------------------------------------------------------------------
import queue  # noqa: E402

WORK = queue.Queue()


def read_hello(stream):
    """The host's first line, `{"type":"hello","token":...}`, read before any user code exists."""
    global _KEY
    line = stream.readline(4096)
    # Podman passes the attach request's own JSON body (the attach options, no "type") into stdin ahead
    # of the host's first line; the host ends it with a newline. Only such lines and blank ones are skipped.
    for _ in range(4):
        try:
            skip = not line.strip() or "type" not in json.loads(line)
        except ValueError:
            skip = False
        if not skip:
            break
        line = stream.readline(4096)
    try:
        msg = json.loads(line)
        token = msg["token"]
        if msg.get("type") != "hello" or not isinstance(token, str) or not 16 <= len(token) <= 128 or not token.isalnum():
            raise ValueError("bad hello")
    except (ValueError, KeyError, TypeError):
        os.write(2, b"codecell kernel: the first input line must be a hello with a token\n")
        os._exit(2)
    _KEY = token.encode()


def open_channel(stdin):
    """Moves the protocol onto the unix socket the host listens on (`CODECELL_CHANNEL`, a read-only
    bind mount), when it set one up: the engine's stdio copies are then out of the way. Called right
    after the hello, before any user code exists. Returns the stream to read host messages from: the
    socket, or stdin when there is no socket (then everything stays on stdin/stdout, as before)."""
    global PROTO_OUT, CONTAINER_STDOUT
    path = os.environ.pop("CODECELL_CHANNEL", "")
    if not path:
        return stdin
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    sock.settimeout(5)
    try:
        sock.connect(path)
    except OSError as exc:
        sock.close()
        log(f"channel {path}: {exc.strerror or exc}; staying on stdin/stdout")
        return stdin
    sock.settimeout(None)
    fd = fcntl.fcntl(sock.fileno(), fcntl.F_DUPFD_CLOEXEC, 100)
    sock.close()
    # Nothing of the protocol goes to the container's stdout any more; it is kept only for a reset,
    # whose next kernel starts on stdin/stdout again.
    CONTAINER_STDOUT, PROTO_OUT = PROTO_OUT, fd
    # The socket is the lifeline too: only the host's process holds its other end, so when the host
    # goes away (even killed) the protocol reader sees end of file and the kernel exits. stdin is not
    # read: what the host writes there (a reset's hello) is for the next kernel.
    return os.fdopen(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100), "rb", buffering=1 << 20)


def read_protocol(stream):
    while True:
        try:
            line = stream.readline(MAX_IN_LINE)
        except Exception as exc:
            log(f"stdin: {exc!r}")
            line = b""
        if not line:
            WORK.put(None)
            return
        if not line.endswith(b"\n") and len(line) >= MAX_IN_LINE:
            log(f"dropped an input line longer than {MAX_IN_LINE} bytes")
            while True:  # skip the rest of that line
                more = stream.readline(MAX_IN_LINE)
                if not more or more.endswith(b"\n"):
                    break
            continue
        try:
            msg = json.loads(line)
            if not isinstance(msg, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            log(f"ignored a malformed message: {exc}")
            continue
        kind = msg.get("type")
        try:
            if kind == "ping":
                send({"type": "pong", "id": msg.get("id")})
            elif kind == "interrupt":
                if CELL.id is not None:
                    interrupt_cell()
            elif kind == "warm":
                if os.environ.get("CODECELL_WARM") == "defer":
                    start_warming()
            elif kind in ("execute", "put_file"):
                WORK.put(msg)
            elif kind == "reset":
                WORK.put(msg)
                return  # the next line is the re-executed kernel's hello: this process must not read it
            else:
                log(f"ignored an unknown message type {kind!r}")
        except Exception as exc:  # this thread must never die: the kernel would stop hearing the host
            log(f"handling {kind!r}: {exc!r}")


def main():
    # IPython makes the cells' namespace `__main__` (pickle and multiprocessing find the cells'
    # classes there, as in Jupyter); the kernel module stays reachable under its own name.
    sys.modules["codecell_kernel"] = sys.modules[__name__]
    # Cells import modules they wrote to the working directory (`%%writefile helper.py`, then
    # `import helper`), as in Jupyter, whose sys.path starts with '' rather than the kernel's folder.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(KERNEL_FILE):
        sys.path[0] = ""
    # closefd=False: once the protocol moves to the socket this reader is dropped, but the fd must stay
    # open (a reset hands it to the next kernel as its stdin).
    stream = os.fdopen(PROTO_IN, "rb", buffering=1 << 20, closefd=False)
    read_hello(stream)
    stream = open_channel(stream)
    not_dumpable()
    signal.signal(signal.SIGINT, on_sigint)
    os.system = interruptible_system
    prepare_mpl_config()  # a millisecond; without it the first pyplot import rescans fonts for seconds
    capture_output()
    fresh_stdio()
    try:
        os.chdir(DATA_DIR)
    except OSError:
        pass
    threading.Thread(target=read_protocol, args=(stream,), name="codecell-protocol", daemon=True).start()
    send({"type": "ready", "version": VERSION, "python": sys.version.split()[0], "pid": os.getpid()})
    warm_mode = os.environ.get("CODECELL_WARM", "1")
    if warm_mode == "0":
        WARM_DONE.set()
    elif warm_mode != "defer":
        start_warming()
    uploads = Uploads()
    while True:
        msg = None
        try:
            msg = WORK.get()
            if msg is None:
                os._exit(0)  # the host went away: stdin closed
            if msg.get("type") == "execute":
                execute(msg)
            elif msg.get("type") == "reset":
                reset_kernel()
            else:
                uploads.put(msg)
        except KeyboardInterrupt:
            continue
        except Exception as exc:
            log(f"kernel error: {exc!r}")
            if isinstance(msg, dict) and msg.get("type") == "execute":
                send({"type": "reply", "id": str(msg.get("id")), "status": "error", "count": SHELL.execution_count - 1 if SHELL else 0, "ms": 0})


if __name__ == "__main__":
    main()
