#!/usr/bin/env python3
"""bench/capture-stream.py — the byte checks and the clock of bench/capture-throughput.sh.

  capture-stream.py expect < STREAM        the stream as a serial console carries it (the tty's
                                           ONLCR turns \\n into \\r\\n): {"sha256", "bytes"}
  capture-stream.py transcript FILE        a bootcanary transcript: the console rebuilt from its
                                           L records (bytes, unescaped as ConsoleLogReader does,
                                           plus each terminator's bytes), the stream between the
                                           markers, and the marker records' monotonic times
  capture-stream.py raw FILE               a raw capture (virsh console through script): the
                                           stream between the markers
  capture-stream.py watch FILE OUT [S]     tails FILE as it grows; writes to OUT the host time
                                           (CLOCK_MONOTONIC) at which each marker first reached
                                           the file, and exits after the end marker (or S s)

The stream is every byte after the begin marker's line end up to the end marker's first byte
(lab/guest/userspace-init, bootcanary.mode=stream). Prints one JSON object. Memory stays
bounded: everything is read in pieces.
"""
import hashlib
import json
import os
import sys
import time

BEGIN = b"bootcanary-stream: begin"
END = b"bootcanary-stream: end"
TERMINATORS = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r", "cut": b"", "none": b""}
HEX = {c: int(c, 16) for c in "0123456789ABCDEFabcdef"}


class Extractor:
    """Finds the stream in console bytes fed in pieces and hashes it."""

    def __init__(self):
        self.state = "before"  # before -> begin (marker seen, awaiting its line end) -> inside -> after
        self.held = b""
        self.sha = hashlib.sha256()
        self.bytes = 0

    def feed(self, data):
        data = self.held + data
        self.held = b""
        while data:
            if self.state == "before":
                i = data.find(BEGIN)
                if i < 0:
                    self.held = data[-(len(BEGIN) - 1):]
                    return
                self.state, data = "begin", data[i + len(BEGIN):]
            elif self.state == "begin":
                i = data.find(b"\n")
                if i < 0:
                    return
                self.state, data = "inside", data[i + 1:]
            elif self.state == "inside":
                i = data.find(END)
                if i < 0:
                    keep = len(END) - 1
                    self.sha.update(data[:-keep])
                    self.bytes += max(0, len(data) - keep)
                    self.held = data[-keep:]
                    return
                self.sha.update(data[:i])
                self.bytes += i
                self.state = "after"
                return
            else:
                return

    def result(self):
        return {"found": self.state == "after", "state": self.state, "sha256": self.sha.hexdigest(), "bytes": self.bytes}


def unescape(text):
    if b"\\" not in text:
        return text
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != 0x5C:
            out.append(c)
            i += 1
        elif i + 1 < n and text[i + 1] == 0x5C:
            out.append(0x5C)
            i += 2
        elif i + 3 < n and text[i + 1] == 0x78:
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("malformed escape at byte %d of %r" % (i, text[:80]))
    return bytes(out)


def cmd_expect():
    sha, n = hashlib.sha256(), 0
    while True:
        piece = sys.stdin.buffer.read(1 << 20)
        if not piece:
            break
        piece = piece.replace(b"\n", b"\r\n")
        sha.update(piece)
        n += len(piece)
    return {"sha256": sha.hexdigest(), "bytes": n}


def cmd_transcript(path):
    ex = Extractor()
    records = cut = longest = 0
    begin_t = end_t = None
    terms = {}
    with open(path, "rb") as f:
        if f.readline().rstrip(b"\n") != b"# bootcanary transcript v1":
            raise SystemExit("%s: not a bootcanary transcript" % path)
        for raw in f:
            if not raw.startswith(b"L "):
                continue
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            fields = raw.split(b" ", 4)  # L SECONDS WALL TERMINATOR [BYTES]
            term = fields[3].decode()
            text = unescape(fields[4]) if len(fields) > 4 else b""
            records += 1
            terms[term] = terms.get(term, 0) + 1
            longest = max(longest, len(text))
            if begin_t is None and BEGIN in text:
                begin_t = float(fields[1])
            if end_t is None and begin_t is not None and END in text:
                end_t = float(fields[1])
            ex.feed(text + TERMINATORS[term])
    out = ex.result()
    out.update(records=records, terminators=terms, longest_record=longest, begin_seconds=begin_t, end_seconds=end_t)
    return out


def cmd_raw(path):
    ex = Extractor()
    with open(path, "rb") as f:
        while True:
            piece = f.read(1 << 20)
            if not piece:
                break
            ex.feed(piece)
    return ex.result()


def cmd_watch(path, out, limit):
    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    seen = {}
    tail, offset = b"", 0
    targets = [("begin", BEGIN), ("end", END)]
    f = None
    while time.monotonic() < deadline:
        if f is None and os.path.exists(path):
            f = open(path, "rb")
        piece = f.read(1 << 20) if f else b""
        now = time.monotonic()
        if piece:
            data = tail + piece
            for name, marker in targets:
                if name not in seen and marker in data:
                    seen[name] = now
                    seen[name + "_offset"] = offset - len(tail) + data.find(marker)
            offset += len(piece)
            tail = data[-64:]
            if "end" in seen:
                break
        else:
            time.sleep(0.02)
    seen["size_at_exit"] = offset
    with open(out, "w") as o:
        json.dump(seen, o)
    return seen


def main():
    a = sys.argv[1:]
    if a[:1] == ["expect"]:
        r = cmd_expect()
    elif a[:1] == ["transcript"] and len(a) == 2:
        r = cmd_transcript(a[1])
    elif a[:1] == ["raw"] and len(a) == 2:
        r = cmd_raw(a[1])
    elif a[:1] == ["watch"] and len(a) in (3, 4):
        r = cmd_watch(a[1], a[2], float(a[3]) if len(a) == 4 else 3600.0)
    else:
        raise SystemExit(__doc__)
    print(json.dumps(r, sort_keys=True))


if __name__ == "__main__":
    main()
