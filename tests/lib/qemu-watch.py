#!/usr/bin/env python3
"""Follows a guest's serial log and serves its requests over QMP.

The guest prints "VGPU-SCREENDUMP NAME" on its console when the screen shows
something worth keeping; this takes a PNG screendump into OUTDIR/NAME.png.

"VGPU-SCREENDUMP NAME crc=X w=W h=H hold_ms=MS test=TEST" asks for a check
instead: the zlib CRC-32 of the dump's top-left WxH pixels (R, G, B, row by
row) must be X. The guest keeps the picture for MS after the line; the
result goes into OUTDIR/screendump-checks.txt, one line per check:
  TEST NAME match|mismatch expected=X got=Y dump=WxH age=S hold=S
  TEST NAME error expected=X age=S hold=S error=TEXT
where age bounds how long after the guest's line the last dump was complete,
and run-guest.sh turns it into a result line. The dump is kept as NAME.png.
The guest does not wait for the host to show a frame (a flip completes at
the guest's own vblank), so a host busy elsewhere may show it late: a
mismatch is dumped again until the guest's hold is nearly over, and the
line's tries=N says how many dumps it took.
"VGPU-SCREENDUMP NAME colour=RRGGBB hold_ms=MS test=TEST" asks whether the
screen shows that solid colour (never black): the most common colour of the
dump other than black must be within a few steps of it, on at least a
twentieth of the pixels. Where QEMU cannot dump a GL scanout the Xvfb
screen is checked instead: there the guest's screen is the gtk window on a
black background, scaled, which a solid colour survives. Its line has the
same form, got= being that most common colour and share= the expected
colour's share of all pixels.
"VGPU-PANIC-CHECK grey=RRGGBB" starts drm_panic's check: a dump now (the
screen should be that flat colour), and another once the kernel has
panicked (it should show the panic screen instead). The verdict's numbers
go into OUTDIR/panic-check.txt, then QEMU is told to quit: the panicked
guest would otherwise wait for the runner's hard timeout.
The runner kills it when QEMU has exited.
"VGPU-WAKEUP" says the guest is about to suspend to RAM: once QEMU reports
the guest suspended, it is woken a second later with QMP system_wakeup (the
line "wakeup: after S s" goes to the watcher's log).
Usage: qemu-watch.py SERIAL_LOG QMP_SOCKET OUTDIR
"""
import json
import os
import re
import socket
import struct
import sys
import time
import zlib


def qmp_connect(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    cmd(f, "qmp_capabilities")
    return s, f


def cmd(f, name, **args):
    f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            raise EOFError("QMP closed")
        msg = json.loads(line)
        if "return" in msg or "error" in msg:
            return msg


def write_png(png_path, width, height, rows):
    """Writes ROWS (HEIGHT byte strings of WIDTH RGB pixels) as a PNG."""
    def chunk(tag, payload):
        return (struct.pack(">I", len(payload)) + tag + payload
                + struct.pack(">I", zlib.crc32(tag + payload) & 0xffffffff))
    raw = b"".join(b"\0" + row for row in rows)
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6))
           + chunk(b"IEND", b""))
    with open(png_path, "wb") as f:
        f.write(png)


def xwd_to_png(xwd_path, png_path):
    """Converts Xvfb's -fbdir screen (XWD, 24/32 bpp TrueColor) to PNG.

    Used when QEMU cannot screendump a GL scanout: the gtk window on the
    Xvfb screen shows the same picture.
    """
    write_png(png_path, *xwd_rows(xwd_path))


def read_ppm(path):
    """Returns (width, height, rows) of a binary PPM as QEMU writes it."""
    with open(path, "rb") as f:
        data = f.read()
    fields = data.split(maxsplit=4)
    if len(fields) < 5 or fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError("%s: not an 8-bit binary PPM" % path)
    width, height = int(fields[1]), int(fields[2])
    # One whitespace byte separates the header from the pixels.
    off = len(data) - width * height * 3
    if off <= 0 or not data[off - 1:off].isspace():
        raise ValueError("%s: %d bytes for %dx%d" % (path, len(data), width, height))
    stride = width * 3
    return width, height, [data[off + y * stride: off + (y + 1) * stride]
                           for y in range(height)]


def check_dump(f, outdir, name, want, since):
    """Screendumps head 0 and compares it with the guest's CRC.

    SINCE is when the serial log was last read without the request in it:
    the guest wrote the request after that, so the dump was complete at
    most AGE seconds after the guest started holding the picture.
    """
    ppm = os.path.join(outdir, name + ".ppm")
    test = want.get("test", name)
    expected = want.get("crc", "?").lower()
    hold = int(want.get("hold_ms", "0")) / 1000
    r = cmd(f, "screendump", filename=ppm, format="ppm")
    age = time.time() - since
    head = "%s %s" % (test, name)
    tail = "age=%.2f hold=%.2f" % (age, hold)
    if "error" in r:
        err = "%s: %s" % (r["error"].get("class", "?"), r["error"].get("desc", "?"))
        return "%s error expected=%s %s error=%s" % (head, expected, tail, err)
    try:
        w, h = int(want["w"]), int(want["h"])
        dw, dh, rows = read_ppm(ppm)
        write_png(os.path.join(outdir, name + ".png"), dw, dh, rows)
        os.unlink(ppm)
    except (OSError, ValueError, KeyError) as e:
        return "%s error expected=%s %s error=%s" % (head, expected, tail, e)
    if dw < w or dh < h:
        got = "none"
    else:
        crc = 0
        for row in rows[:h]:
            crc = zlib.crc32(row[:w * 3], crc)
        got = "%08x" % crc
    return "%s %s expected=%s got=%s dump=%dx%d %s" % (
        head, "match" if got == expected else "mismatch", expected, got, dw, dh, tail)


COLOUR_SHARE_MIN = 0.05   # of the dump's pixels, for a colour check
COLOUR_TOLERANCE = 8      # per channel: scaling and dithering blur edges


def xwd_rows(xwd_path):
    """Returns (width, height, rows of RGB bytes) of Xvfb's XWD screen."""
    with open(xwd_path, "rb") as f:
        data = f.read()
    hdr = struct.unpack(">25I", data[:100])
    header_size, width, height = hdr[0], hdr[4], hdr[5]
    byte_order, bpp, bpl, ncolors = hdr[7], hdr[11], hdr[12], hdr[19]
    if bpp != 32:
        raise ValueError("unsupported XWD bpp %d" % bpp)
    off = header_size + ncolors * 12
    # Pixels are 0x00RRGGBB words: bytes B, G, R, X in LSB-first order.
    r_at, g_at, b_at = (2, 1, 0) if byte_order == 0 else (1, 2, 3)
    rows = []
    for y in range(height):
        src = data[off + y * bpl: off + y * bpl + width * 4]
        out = bytearray(width * 3)
        out[0::3] = src[r_at::4]
        out[1::3] = src[g_at::4]
        out[2::3] = src[b_at::4]
        rows.append(bytes(out))
    return width, height, rows


def near(px, want):
    return all(abs(px[c] - want[c]) <= COLOUR_TOLERANCE for c in range(3))


def colour_match(rows, want):
    """(share of pixels near WANT, most common colour but black as RRGGBB)."""
    n = n_near = 0
    hist = {}
    for row in rows[::4]:
        for i in range(0, len(row), 12):
            px = row[i:i + 3]
            n += 1
            if px != b"\0\0\0":
                hist[px] = hist.get(px, 0) + 1
            n_near += near(px, want)
    top = max(hist, key=hist.get) if hist else b"\0\0\0"
    return n_near / max(n, 1), top


RETRY_GAP_S = 0.2      # between two dumps of one check
RETRY_MARGIN_S = 0.25  # no new dump this close to the end of the hold


def check_until_hold_ends(checker, f, outdir, name, want, since):
    """Runs CHECKER until it matches, errs, or the guest's hold runs out."""
    hold = int(want.get("hold_ms", "0")) / 1000
    tries = 0
    while True:
        tries += 1
        res = checker(f, outdir, name, want, since)
        status = res.split(" ")[2] if res.count(" ") >= 2 else ""
        if status != "mismatch" or \
                time.time() + RETRY_GAP_S > since + hold - RETRY_MARGIN_S:
            return "%s tries=%d" % (res, tries)
        time.sleep(RETRY_GAP_S)


def check_colour(f, outdir, name, want, since):
    """Checks that the screen shows the solid colour the guest named."""
    ppm = os.path.join(outdir, name + ".ppm")
    test = want.get("test", name)
    expected = want.get("colour", "?").lower()
    hold = int(want.get("hold_ms", "0")) / 1000
    head = "%s %s" % (test, name)
    r = cmd(f, "screendump", filename=ppm, format="ppm")
    xwd = os.environ.get("VGPU_XWD")
    try:
        if "return" in r:
            w, h, rows = read_ppm(ppm)
            os.unlink(ppm)
        elif xwd and os.path.exists(xwd):
            w, h, rows = xwd_rows(xwd)
        else:
            raise ValueError(r["error"].get("desc", "?").replace(" ", "_"))
        age = time.time() - since
        write_png(os.path.join(outdir, name + ".png"), w, h, rows)
        want_px = bytes.fromhex(expected)
        share, top = colour_match(rows, want_px)
    except (OSError, ValueError, KeyError) as e:
        age = time.time() - since
        return "%s error expected=%s age=%.2f hold=%.2f error=%s" % (
            head, expected, age, hold, e)
    ok = share >= COLOUR_SHARE_MIN and near(top, want_px)
    return "%s %s expected=%s got=%s share=%.3f dump=%dx%d age=%.2f hold=%.2f" % (
        head, "match" if ok else "mismatch", expected, top.hex(), share, w, h,
        age, hold)


def colour_shares(rows, grey):
    """Shares of pixels that are exactly GREY, near white and near black."""
    n = n_grey = n_white = n_black = 0
    for row in rows:
        for i in range(0, len(row), 3):
            px = row[i:i + 3]
            n += 1
            if px == grey:
                n_grey += 1
            elif min(px) >= 0xe0:
                n_white += 1
            elif max(px) <= 0x20:
                n_black += 1
    n = max(n, 1)
    return n_grey / n, n_white / n, n_black / n


def panic_dump(f, outdir, name, grey):
    ppm = os.path.join(outdir, name + ".ppm")
    r = cmd(f, "screendump", filename=ppm, format="ppm")
    if "error" in r:
        return "error=%s" % r["error"].get("desc", "?").replace(" ", "_")
    w, h, rows = read_ppm(ppm)
    write_png(os.path.join(outdir, name + ".png"), w, h, rows)
    os.unlink(ppm)
    return "grey=%.4f white=%.4f black=%.4f" % colour_shares(rows, grey)


class PanicCheck:
    """Follows drm_panic's check from the guest's marker to the panic."""

    PANIC_WAIT_S = 30   # from the marker to the panic message
    DRAW_WAIT_S = 2     # from the panic message to the dump

    def __init__(self, outdir, grey):
        self.outdir = outdir
        self.grey = grey
        self.started = time.time()
        self.panicked = None
        self.line = ""

    def before(self, f):
        self.line = "before %s" % panic_dump(f, self.outdir, "panic-before", self.grey)

    def step(self, f):
        """True once the check is over and QEMU has been told to quit."""
        now = time.time()
        if self.panicked is None and now - self.started < self.PANIC_WAIT_S:
            return False
        if self.panicked is None:
            self.line += " after error=no_panic_within_%ds" % self.PANIC_WAIT_S
        elif now - self.panicked < self.DRAW_WAIT_S:
            return False
        else:
            self.line += " after %s" % panic_dump(f, self.outdir, "panic-after", self.grey)
        with open(os.path.join(self.outdir, "panic-check.txt"), "a") as out:
            out.write(self.line + "\n")
        print("panic check: %s" % self.line, file=sys.stderr, flush=True)
        cmd(f, "quit")
        return True


def wakeup_step(f, since):
    """Wakes a suspended guest; True when done (or given up after 300 s)."""
    status = cmd(f, "query-status").get("return", {}).get("status")
    if status == "suspended":
        time.sleep(1)
        r = cmd(f, "system_wakeup")
        print("wakeup: after %.1f s: %s" % (time.time() - since,
                                            "ok" if "return" in r else r["error"]),
              file=sys.stderr, flush=True)
        return True
    if time.time() - since > 300:
        print("wakeup: the guest never suspended", file=sys.stderr, flush=True)
        return True
    return False


def main():
    serial, sock, outdir = sys.argv[1:4]
    s, f = qmp_connect(sock, time.time() + 30)
    pos = 0
    buf = ""
    last_read = time.time()
    panic = None
    wake_since = None
    while True:
        t = time.time()
        try:
            with open(serial, "r", errors="replace") as log:
                log.seek(pos)
                data = log.read()
                pos = log.tell()
        except FileNotFoundError:
            data = ""
        buf += data
        *lines, buf = buf.split("\n")
        for line in lines:
            p = re.search(r"VGPU-PANIC-CHECK grey=([0-9a-fA-F]{6})", line)
            if p:
                panic = PanicCheck(outdir, bytes.fromhex(p.group(1)))
                panic.before(f)
            elif panic and panic.panicked is None and "Kernel panic" in line:
                panic.panicked = time.time()
            m = re.search(r"VGPU-SCREENDUMP (\S+)(.*)", line)
            want = dict(re.findall(r"(\w+)=(\S+)", m.group(2))) if m else {}
            checker = None
            if "test" in want:
                checker = check_colour if "colour" in want else \
                    check_dump if "crc" in want else None
            if checker:
                res = check_until_hold_ends(checker, f, outdir, m.group(1), want,
                                            last_read)
                with open(os.path.join(outdir, "screendump-checks.txt"), "a") as out:
                    out.write(res + "\n")
                print("screendump check: %s" % res, file=sys.stderr, flush=True)
            elif m:
                png = os.path.join(outdir, m.group(1) + ".png")
                r = cmd(f, "screendump", filename=png, format="png")
                print("screendump %s: %s" % (png, "ok" if "return" in r else r["error"]),
                      file=sys.stderr, flush=True)
                xwd = os.environ.get("VGPU_XWD")
                if "error" in r and xwd and os.path.exists(xwd):
                    xwd_to_png(xwd, png)
                    print("screendump %s: from the Xvfb screen instead" % png,
                          file=sys.stderr, flush=True)
            if "VGPU-WAKEUP" in line:
                wake_since = time.time()
        if wake_since and wakeup_step(f, wake_since):
            wake_since = None
        if panic and panic.step(f):
            panic = None
        last_read = t
        time.sleep(0.5)


if __name__ == "__main__":
    try:
        main()
    except (EOFError, OSError, ValueError):
        pass
