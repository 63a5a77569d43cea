#!/usr/bin/env python3
"""Follows a guest's serial log and serves its requests over QMP.

The guest prints "VGPU-SCREENDUMP NAME" on its console when the screen shows
something worth keeping; this takes a PNG screendump into OUTDIR/NAME.png.
The runner kills it when QEMU has exited.
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


def xwd_to_png(xwd_path, png_path):
    """Converts Xvfb's -fbdir screen (XWD, 24/32 bpp TrueColor) to PNG.

    Used when QEMU cannot screendump a GL scanout: the gtk window on the
    Xvfb screen shows the same picture.
    """
    with open(xwd_path, "rb") as f:
        data = f.read()
    hdr = struct.unpack(">25I", data[:100])
    header_size, width, height = hdr[0], hdr[4], hdr[5]
    byte_order, bpp, bpl, ncolors = hdr[7], hdr[11], hdr[12], hdr[19]
    if bpp != 32:
        raise ValueError("unsupported XWD bpp %d" % bpp)
    off = header_size + ncolors * 12
    fmt = "<" if byte_order == 0 else ">"
    rows = []
    for y in range(height):
        row = data[off + y * bpl: off + y * bpl + width * 4]
        px = struct.unpack(fmt + "%dI" % width, row)
        out = bytearray(b"\0")
        for p in px:
            out += bytes(((p >> 16) & 255, (p >> 8) & 255, p & 255))
        rows.append(bytes(out))

    def chunk(tag, payload):
        return (struct.pack(">I", len(payload)) + tag + payload
                + struct.pack(">I", zlib.crc32(tag + payload) & 0xffffffff))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
           + chunk(b"IEND", b""))
    with open(png_path, "wb") as f:
        f.write(png)


def main():
    serial, sock, outdir = sys.argv[1:4]
    s, f = qmp_connect(sock, time.time() + 30)
    pos = 0
    buf = ""
    while True:
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
            m = re.search(r"VGPU-SCREENDUMP (\S+)", line)
            if m:
                png = os.path.join(outdir, m.group(1) + ".png")
                r = cmd(f, "screendump", filename=png, format="png")
                print("screendump %s: %s" % (png, "ok" if "return" in r else r["error"]),
                      file=sys.stderr, flush=True)
                xwd = os.environ.get("VGPU_XWD")
                if "error" in r and xwd and os.path.exists(xwd):
                    xwd_to_png(xwd, png)
                    print("screendump %s: from the Xvfb screen instead" % png,
                          file=sys.stderr, flush=True)
        time.sleep(0.5)


if __name__ == "__main__":
    try:
        main()
    except (EOFError, OSError, ValueError):
        pass
