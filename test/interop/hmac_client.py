#!/usr/bin/env python3
"""An independent client for palisade's hmac-sha256 mode, written from
protocol/hmac-auth.md alone (no code shared with the TypeScript side), with
the Python standard library only: hashlib and hmac for the cryptography
(HKDF is written out here from RFC 5869), socket, os and struct for the
exchange, json and sys for the command line.

  hmac_client.py fence --port P --key FILE --op status|off|on|reboot|monitor|list [--domain D] [--host H]
      One exchange over TCP. Prints one JSON line on stdout and exits
      0 when the answer verified, 1 when the exchange failed, with the
      reason in "error" ("hello", "tag", "closed", "short").
  hmac_client.py kat FILE.md
      Recomputes every known-answer vector in the spec and exits 1 on
      the first difference.
  hmac_client.py vectors
      Prints the known-answer vectors (to paste into the spec).
"""
import hashlib
import hmac
import json
import os
import socket
import struct
import sys

SALT = b"palisade fence hmac-sha256 v1"
ROLES = ("request", "daemon", "client", "result")
HASHTYPE = 0x48
REQUEST_SIZE = 176
SEALED = 144  # R[0..144) is covered by the request tag
RECORD = 130
OPS = {"null": 0, "off": 1, "reboot": 2, "on": 3, "status": 4, "monitor": 5, "list": 6}


class ExchangeError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def hkdf_sha256(ikm, salt, info, length=32):
    # RFC 5869: extract, then expand.
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def role_keys(key):
    if not key:
        raise ValueError("the key file is empty")
    return {role: hkdf_sha256(key, SALT, role.encode("ascii")) for role in ROLES}


def tag(keys, role, *parts):
    return hmac.new(keys[role], b"".join(parts), hashlib.sha256).digest()


def seal_request(keys, op, domain, seqno, nonce):
    """The 176-byte request over TCP: address, port, family and addrlen zero."""
    name = domain.encode("utf-8")
    if len(name) > 63:
        raise ValueError("domain longer than 63 bytes")
    prefix = struct.pack(
        "<BBBB64s28sH6sII32s",
        op, HASHTYPE, 0, 0, name, b"", 0, bytes(6), seqno, 0, nonce,
    )
    assert len(prefix) == SEALED
    return prefix + tag(keys, "request", prefix)


def read_exact(sock, n, what):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            if not buf and what == "hello":
                raise ExchangeError("closed", "the daemon closed the connection without a hello")
            raise ExchangeError("short", "connection closed after %d of %d bytes of the %s" % (len(buf), n, what))
        buf += chunk
    return buf


def c_string(field):
    return field.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_body(sock):
    """The result byte, or the host list up to and including its trailing byte."""
    first = read_exact(sock, 1, "result")
    if first[0] != 0xFD:
        return first, {"result": first[0]}
    body, hosts = first, []
    while True:
        rec = read_exact(sock, RECORD, "host record")
        body += rec
        domain, uuid = c_string(rec[0:63]), c_string(rec[64:127])
        if domain == "" and uuid == "":
            break
        hosts.append({"domain": domain, "uuid": uuid, "state": rec[128]})
    trailer = read_exact(sock, 1, "trailing result byte")
    return body + trailer, {"result": 0, "hosts": hosts, "trailer": trailer[0]}


def fence(host, port, key, op, domain, timeout=20.0):
    keys = role_keys(key)
    seqno = struct.unpack("<I", os.urandom(4))[0]
    request = seal_request(keys, OPS[op], domain, seqno, os.urandom(32))
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        hello = read_exact(sock, 64, "hello")
        nonce = hello[:32]
        if not hmac.compare_digest(hello[32:], tag(keys, "daemon", request, nonce)):
            raise ExchangeError("hello", "the daemon's hello does not prove our key")
        sock.sendall(tag(keys, "client", request, nonce))
        body, answer = read_body(sock)
        got = read_exact(sock, 32, "result tag")
        if not hmac.compare_digest(got, tag(keys, "result", request, nonce, body)):
            raise ExchangeError("tag", "the answer's authentication tag does not verify")
        return answer


# Known-answer inputs, fixed in the spec's "Known-answer vectors" section.
KAT_KEY = b"palisade known-answer key\n"
KAT_NC = bytes(range(0x00, 0x20))
KAT_ND = bytes(range(0x20, 0x40))


def kat_host_list_body():
    rec = struct.pack("<64s64sBB", b"web1", b"6695eb01-f6a4-8304-79aa-97f2502e193f", 1, 0)
    return bytes([0xFD]) + rec + bytes(RECORD) + bytes([0])


def kat_vectors():
    keys = role_keys(KAT_KEY)
    request = seal_request(keys, OPS["off"], "web1", 0x01020304, KAT_NC)
    hello = KAT_ND + tag(keys, "daemon", request, KAT_ND)
    status_body = bytes([2])
    list_body = kat_host_list_body()
    return [
        ("K", KAT_KEY),
        ("Nc", KAT_NC),
        ("Nd", KAT_ND),
        ("Kreq", keys["request"]),
        ("Kd", keys["daemon"]),
        ("Kc", keys["client"]),
        ("Kres", keys["result"]),
        ("R", request),
        ("hello", hello),
        ("proof", tag(keys, "client", request, KAT_ND)),
        ("body1", status_body),
        ("tag1", tag(keys, "result", request, KAT_ND, status_body)),
        ("body2", list_body),
        ("tag2", tag(keys, "result", request, KAT_ND, list_body)),
    ]


def spec_vectors(path):
    """`name = hex` lines inside the ```kat fenced block of the spec."""
    found, inside = {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s == "```kat":
                inside = True
            elif inside and s == "```":
                break
            elif inside and "=" in s:
                name, value = (p.strip() for p in s.split("=", 1))
                found[name] = found.get(name, "") + value
            elif inside and s and found:
                # continuation line of the previous value
                last = list(found)[-1]
                found[last] += s
    return {k: bytes.fromhex(v) for k, v in found.items()}


def main(argv):
    if len(argv) >= 1 and argv[0] == "vectors":
        for name, value in kat_vectors():
            print("%s = %s" % (name, value.hex()))
        return 0
    if len(argv) == 2 and argv[0] == "kat":
        spec = spec_vectors(argv[1])
        ours = kat_vectors()
        if set(spec) != {n for n, _ in ours}:
            print("kat: the spec names %s, expected %s" % (sorted(spec), [n for n, _ in ours]), file=sys.stderr)
            return 1
        for name, value in ours:
            if spec[name] != value:
                print("kat: %s differs:\n spec %s\n ours %s" % (name, spec[name].hex(), value.hex()), file=sys.stderr)
                return 1
        print("kat: %d vectors match" % len(ours))
        return 0
    if argv and argv[0] == "fence":
        opts = dict(zip(argv[1::2], argv[2::2]))
        with open(opts["--key"], "rb") as f:
            key = f.read()
        try:
            answer = fence(opts.get("--host", "127.0.0.1"), int(opts["--port"]), key, opts["--op"], opts.get("--domain", ""))
        except ExchangeError as e:
            print(json.dumps({"ok": False, "error": e.code, "message": str(e)}))
            return 1
        print(json.dumps(dict(ok=True, **answer)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
