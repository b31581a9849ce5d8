#!/usr/bin/env python3
"""The golden vectors of protocol/vectors, read by a second implementation: Python 3 with its
standard json module and Debian's python3-msgpack, nothing of Tauon's TypeScript.

For every valid vector: the JSON text and the msgpack bytes each decode to the vector's frame
(same keys and values, numbers by value, true and 1 told apart), the frame passes the receiver's
schema, what the schema keeps (unknown fields dropped) equals `parsed` when the vector has one,
and the frame written by Python's own encoders decodes back to itself. For every invalid
vector: decoding plus the schema check refuse it, with the vector's code.

What is checked, and how far:
- decoding (bad-frame): JSON that is not UTF-8, not JSON, or holds NaN/Infinity; msgpack that is
  cut short, has trailing bytes, a reserved byte, or an extension other than the timestamp; maps
  whose keys are not strings; strings that are not well-formed Unicode (a lone surrogate);
  the first-byte rule of `raw` inputs (0x7B is JSON, anything else msgpack);
- the frame is a map with a string `type` (bad-frame), and a type the receiver takes
  (unknown-frame): the frame types of the receiving side, SPEC section 6, listed below;
- a port of the frame schemas of protocol/frames.ts (SPEC sections 5 and 6): required and
  optional fields, integers (non-negative or positive, at most 2^53 - 1), strings and their
  lengths in code points, stream names and selectors, start positions, expected versions,
  filters, modes and directions, limits, error codes (any string of 1 to 256), event and
  stored-event fields, meta maps of strings, event data nested at most 100 levels; and the
  frames of consumer groups (SPEC 17), with the rules across fields of `ack` (pos, upTo or both)
  and `nack` (not both retryMs and park).
  Not ported: whatever the TypeScript schemas would add later; an invalid vector this check
  accepts is listed as not told apart, and fails the run only with --strict.

Usage: python3 test/protocol/vectors_check.py [--strict] [VECTORS_DIR]
Prints one line per problem and a summary; exits 1 on a problem, 0 otherwise.
"""

import json
import math
import os
import re
import sys

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

MAX_SAFE = 2**53 - 1
MAX_NAME = 256
MAX_DEPTH = 100


class Refused(Exception):
    """An input the receiver refuses, with the protocol's error code."""

    def __init__(self, code, reason):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def bad(reason):
    return Refused("bad-frame", reason)


# ---- decoding ------------------------------------------------------------------------------


def _no_constant(name):
    raise bad(f"JSON constant {name} is not a number")


def decode_json(data: bytes):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad(f"not UTF-8: {error}") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise bad(f"not JSON: {error}") from None
    check_plain(value, "json")
    return value


def _ext_hook(code, data):
    # The timestamp (-1) is decoded by the library itself; every other extension is refused.
    raise bad(f"msgpack extension type {code}")


def decode_msgpack(data: bytes):
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_ext_hook)
    except Refused:
        raise
    except msgpack.ExtraData:
        raise bad("bytes after the msgpack value") from None
    except (ValueError, msgpack.UnpackException, UnicodeDecodeError) as error:
        raise bad(f"not msgpack: {type(error).__name__}: {error}") from None
    check_plain(value, "msgpack")
    return value


def decode_raw(data: bytes):
    # SPEC 4.1: a client's first frame picks its codec by its first byte.
    return decode_json(data) if data[:1] == b"{" else decode_msgpack(data)


def check_plain(value, where, depth=0):
    """Map keys are strings, strings are well-formed Unicode, numbers finite (bounded depth: the
    decoders of both libraries stop long before Python's recursion limit)."""
    if depth > 10_000:
        raise bad("nested too deep to read")
    if isinstance(value, str):
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise bad(f"{where}: a string with a lone surrogate")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise bad(f"{where}: a number that is not finite")
    elif isinstance(value, list):
        for item in value:
            check_plain(item, where, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise bad(f"{where}: a map key that is not a string ({key!r})")
            check_plain(key, where, depth + 1)
            check_plain(item, where, depth + 1)


def same(a, b):
    """Equal as the README asks: numbers by value (12.0 == 12), maps in any order; a boolean is
    not a number (Python's True == 1 is not the protocol's)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# ---- the schema ----------------------------------------------------------------------------
# A rule takes the value and a path and returns what the receiver keeps of it (maps drop unknown
# fields), or raises bad(...).


def is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def integer(minimum, maximum=MAX_SAFE):
    def rule(value, path):
        if not is_int(value):
            raise bad(f"{path}: expected an integer, got {value!r}")
        if not minimum <= value <= maximum:
            raise bad(f"{path}: {value} is not in {minimum}..{maximum}")
        return value

    return rule


UINT = integer(0)
POSITIVE = integer(1)
SAFE_INT = integer(-MAX_SAFE)


def boolean(value, path):
    if not isinstance(value, bool):
        raise bad(f"{path}: expected a boolean")
    return value


def text(min_length=0, max_length=None, pattern=None):
    def rule(value, path):
        if not isinstance(value, str):
            raise bad(f"{path}: expected a string, got {type(value).__name__}")
        length = len(value)  # code points
        if length < min_length or (max_length is not None and length > max_length):
            raise bad(f"{path}: length {length} is not in {min_length}..{max_length}")
        if pattern is not None and not pattern.fullmatch(value):
            raise bad(f"{path}: {value!r} does not match {pattern.pattern}")
        return value

    return rule


NAME = text(1, MAX_NAME)
STREAM_NAME = text(1, MAX_NAME, re.compile(r"[^$*][^*]*", re.S))
SELECTOR = text(1, MAX_NAME, re.compile(r"\$all|[^$*][^*]*\*?|\*", re.S))


def one_of(*choices):
    def rule(value, path):
        if not isinstance(value, str) or value not in choices:
            raise bad(f"{path}: {value!r} is not one of {', '.join(choices)}")
        return value

    return rule


def either(*rules):
    def rule(value, path):
        reasons = []
        for candidate in rules:
            try:
                return candidate(value, path)
            except Refused as refused:
                reasons.append(refused.reason)
        raise bad(" / ".join(reasons))

    return rule


def array(item, min_items=0, max_items=None):
    def rule(value, path):
        if not isinstance(value, list):
            raise bad(f"{path}: expected an array")
        if len(value) < min_items or (max_items is not None and len(value) > max_items):
            raise bad(f"{path}: {len(value)} items, not {min_items}..{max_items}")
        return [item(entry, f"{path}[{i}]") for i, entry in enumerate(value)]

    return rule


def nullable(rule):
    return lambda value, path: None if value is None else rule(value, path)


class Opt:
    """An optional field."""

    def __init__(self, rule):
        self.rule = rule


def fields(spec, strict=False):
    def rule(value, path):
        if not isinstance(value, dict):
            raise bad(f"{path}: expected a map")
        if strict:
            unknown = [key for key in value if key not in spec]
            if unknown:
                raise bad(f"{path}: unknown field {unknown[0]!r}")
        kept = {}
        for key, field in spec.items():
            optional = isinstance(field, Opt)
            check = field.rule if optional else field
            if key not in value:
                if optional:
                    continue
                raise bad(f"{path}.{key}: missing")
            kept[key] = check(value[key], f"{path}.{key}")
        return kept

    return rule


def string_map(value, path):
    if not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values()):
        raise bad(f"{path}: expected a map of strings")
    return value


def any_map(value, path):
    if not isinstance(value, dict):
        raise bad(f"{path}: expected a map")
    return value


def data(value, path):
    def depth_of(node, level):
        if level > MAX_DEPTH:
            raise bad(f"{path}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, list):
            for item in node:
                depth_of(item, level + 1)
        elif isinstance(node, dict):
            for item in node.values():
                depth_of(item, level + 1)

    if isinstance(value, (list, dict)):
        depth_of(value, 1)
    return value


EVENT_INPUT = {
    "id": Opt(NAME),
    "type": NAME,
    "key": Opt(NAME),
    "data": Opt(data),
    "meta": Opt(string_map),
    "time": Opt(UINT),
    "causation": Opt(NAME),
    "correlation": Opt(NAME),
    "schema": Opt(text(1, 1024)),
}
STORED_EVENT = {
    **EVENT_INPUT,
    "data": Opt(lambda value, path: value),
    "id": NAME,
    "stream": NAME,
    "seq": POSITIVE,
    "pos": POSITIVE,
    "tx": POSITIVE,
    "recorded": UINT,
}
EXPECTED = either(one_of("any", "none", "exists"), UINT)
START = either(
    one_of("start", "end"),
    fields({"after": UINT}, strict=True),
    fields({"at": POSITIVE}, strict=True),
    fields({"before": POSITIVE}, strict=True),
    fields({"event": NAME}, strict=True),
    fields({"time": UINT}, strict=True),
)
FILTER = fields({"types": Opt(array(NAME, 1, 1000)), "keys": Opt(array(NAME, 1, 1000))})
LIMIT_NAMES = ("maxFrameBytes", "maxEventsPerAppend", "maxSubscriptions", "maxCredit", "maxReadLimit")
LIMITS = fields({key: POSITIVE for key in LIMIT_NAMES})


# A receiver takes any error code (SPEC 7): a later revision may add codes.
ERROR_CODE = text(1, 256)
PING = {"nonce": Opt(UINT)}

# Consumer groups (SPEC 17).
GROUP_NAME = text(1, 200, re.compile(r"[^$*][^*]*", re.S))
FEATURES = array(text(1, 64), 0, 64)


# An ack with neither pos nor upTo, and a nack with both retryMs and park, pass the schemas: the
# server refuses them (SPEC 17.7), as it refuses a hot subscribe with a start; the kit tests that.
ACK = {
    "sub": UINT,
    "part": UINT,
    "gen": POSITIVE,
    "pos": Opt(array(POSITIVE, 1, 10_000)),
    "upTo": Opt(POSITIVE),
}
NACK = {
    "sub": UINT,
    "part": UINT,
    "gen": POSITIVE,
    "pos": POSITIVE,
    "retryMs": Opt(integer(0, 3_600_000)),
    "park": Opt(text(1, 1024)),
}

APPEND_CONDITION = {
    "stream": SELECTOR,
    "types": array(NAME, 1, 8),
    "keys": Opt(array(NAME, 1, 100)),
    "after": UINT,
}
# Projections (SPEC 18).
PROJECTION_NAME = text(1, 200, re.compile(r"[^$*][^*]*", re.S))
PROJECTION_KEY = text(0, MAX_NAME)

CLIENT_FRAMES = {
    "hello": {"versions": array(POSITIVE, 1, 16), "token": Opt(text(0, 8192)), "client": Opt(text(0, 256))},
    "append": {
        "id": UINT,
        "stream": STREAM_NAME,
        "events": array(fields(EVENT_INPUT), 1),
        "expected": Opt(EXPECTED),
        "dedupe": Opt(boolean),
        "newChain": Opt(boolean),
        "condition": Opt(fields(APPEND_CONDITION)),
    },
    "subscribe": {
        "sub": UINT,
        "stream": SELECTOR,
        "from": Opt(START),
        "mode": one_of("cold", "hot", "hot-cold"),
        "credit": UINT,
        "filter": Opt(FILTER),
    },
    "credit": {"sub": UINT, "n": SAFE_INT},
    "unsubscribe": {"sub": UINT},
    "read": {
        "id": UINT,
        "stream": SELECTOR,
        "from": Opt(START),
        "direction": Opt(one_of("forward", "backward")),
        "limit": Opt(POSITIVE),
        "filter": Opt(FILTER),
    },
    "surface": {"id": UINT, "stream": STREAM_NAME},
    "invalidate": {"id": UINT, "stream": STREAM_NAME, "tx": POSITIVE, "reason": Opt(text(0, 1024))},
    "streams": {"id": UINT, "prefix": Opt(text(0, MAX_NAME)), "after": Opt(text(0, MAX_NAME)), "limit": Opt(POSITIVE)},
    "info": {"id": UINT},
    "consume": {
        "sub": UINT,
        "group": GROUP_NAME,
        "stream": SELECTOR,
        "filter": Opt(FILTER),
        "partitions": Opt(integer(1, 1024)),
        "from": Opt(one_of("start", "end")),
        "credit": UINT,
        "member": Opt(NAME),
        "maxUnacked": Opt(integer(1, 100_000)),
        "ackTimeoutMs": Opt(integer(100, 3_600_000)),
        "maxDeliveries": Opt(integer(1, 1000)),
        "leaseMs": Opt(integer(500, 600_000)),
    },
    "ack": ACK,
    "nack": NACK,
    "release": {"sub": UINT, "part": UINT, "gen": POSITIVE},
    "groups": {"id": UINT},
    "group": {"id": UINT, "group": GROUP_NAME},
    "replay-parked": {"id": UINT, "group": GROUP_NAME},
    "projections": {"id": UINT},
    "projection": {
        "id": UINT,
        "name": PROJECTION_NAME,
        "key": Opt(PROJECTION_KEY),
        "atLeast": Opt(UINT),
        "timeoutMs": Opt(integer(0, 60_000)),
    },
    "projection-entries": {"id": UINT, "name": PROJECTION_NAME, "after": Opt(PROJECTION_KEY), "limit": Opt(POSITIVE)},
    "watch-projection": {"sub": UINT, "name": PROJECTION_NAME, "key": Opt(PROJECTION_KEY)},
    "rebuild-projection": {"id": UINT, "name": PROJECTION_NAME},
    "ping": PING,
    "pong": PING,
}

STREAM_SUMMARY = fields({"stream": NAME, "head": UINT, "count": UINT, "tx": UINT, "lastPos": UINT, "lastRecorded": UINT})
GROUP_SUMMARY = {
    "group": text(),
    "stream": text(),
    "filter": Opt(FILTER),
    "partitions": POSITIVE,
    "members": UINT,
    "lag": UINT,
    "parked": UINT,
}
GROUP_INFO = {
    **GROUP_SUMMARY,
    "created": UINT,
    "head": UINT,
    "memberList": array(fields({"member": text(), "expires": UINT, "parts": array(UINT)})),
    "partitionList": array(
        fields(
            {
                "part": UINT,
                "owner": nullable(text()),
                "gen": UINT,
                "revoking": Opt(boolean),
                "checkpoint": UINT,
                "head": UINT,
                "lag": UINT,
                "parked": UINT,
            }
        )
    ),
}
PROJECTION_SUMMARY = {
    "name": text(),
    "stream": text(),
    "keyed": boolean,
    "status": one_of("running", "failed", "rebuilding"),
    "error": Opt(text()),
    "checkpoint": UINT,
    "head": UINT,
    "lag": UINT,
}
ANY_VALUE = lambda value, path: value  # noqa: E731 (a projection's value is any value the codec carries)
SERVER_FRAMES = {
    "welcome": {
        "version": POSITIVE,
        "server": text(1, 256),
        "heartbeat": POSITIVE,
        "limits": LIMITS,
        "store": Opt(text(1, 256)),
        "features": Opt(FEATURES),
    },
    "reject": {"code": ERROR_CODE, "message": text(), "versions": array(POSITIVE)},
    "appended": {
        "id": UINT,
        "stream": NAME,
        "tx": POSITIVE,
        "seqs": array(POSITIVE),
        "positions": array(POSITIVE),
        "dups": Opt(array(UINT)),
    },
    "events": {"sub": UINT, "events": array(fields(STORED_EVENT), 1)},
    "caught-up": {"sub": UINT, "at": UINT},
    "fell-behind": {"sub": UINT, "at": UINT},
    "complete": {"sub": UINT},
    "page": {"id": UINT, "events": array(fields(STORED_EVENT)), "next": nullable(START)},
    "stream-list": {"id": UINT, "streams": array(STREAM_SUMMARY), "next": nullable(text())},
    "server-info": {
        "id": UINT,
        "server": text(),
        "version": POSITIVE,
        "versions": array(POSITIVE),
        "stores": array(text()),
        "heartbeat": POSITIVE,
        "limits": LIMITS,
        "head": UINT,
        "store": Opt(text(1, 256)),
        "features": Opt(FEATURES),
        "groups": Opt(UINT),
        "projections": Opt(
            array(
                fields(
                    {
                        "name": text(),
                        "stream": text(),
                        "status": one_of("running", "failed", "rebuilding"),
                        "error": Opt(text()),
                        "checkpoint": UINT,
                        "lag": UINT,
                    }
                )
            )
        ),
    },
    "assigned": {
        "sub": UINT,
        "member": NAME,
        "parts": array(fields({"part": UINT, "gen": POSITIVE, "revoking": Opt(boolean)})),
    },
    "deliver": {
        "sub": UINT,
        "part": UINT,
        "gen": POSITIVE,
        "events": array(fields(STORED_EVENT), 1),
        "deliveries": array(POSITIVE),
    },
    "group-list": {"id": UINT, "groups": array(fields(GROUP_SUMMARY))},
    "group-info": {"id": UINT, "group": fields(GROUP_INFO)},
    "replaying": {"id": UINT, "group": text(), "parked": UINT},
    "projection-list": {"id": UINT, "projections": array(fields(PROJECTION_SUMMARY))},
    "projection-state": {"id": UINT, "name": text(), "key": text(), "value": Opt(ANY_VALUE), "found": boolean, "checkpoint": UINT},
    "projection-page": {
        "id": UINT,
        "name": text(),
        "entries": array(fields({"key": text(), "value": ANY_VALUE})),
        "next": nullable(text()),
        "checkpoint": UINT,
    },
    "projection-watching": {"sub": UINT, "name": text(), "checkpoint": UINT},
    "projection-changed": {"sub": UINT, "name": text(), "key": text(), "value": Opt(ANY_VALUE), "checkpoint": UINT},
    "projection-rebuilding": {"id": UINT, "name": text()},
    "error": {
        "id": Opt(UINT),
        "sub": Opt(UINT),
        "code": ERROR_CODE,
        "message": text(),
        "details": Opt(any_map),
    },
    "ping": PING,
    "pong": PING,
}

# What each side receives: a server receives what clients send, and the reverse.
RECEIVED_FROM = {"client": CLIENT_FRAMES, "server": SERVER_FRAMES}


def validate(value, sender):
    """What the receiver keeps of a decoded frame from `sender`, or Refused."""
    if not isinstance(value, dict):
        raise bad(f"the frame is a {type(value).__name__}, not a map")
    frame_type = value.get("type")
    if not isinstance(frame_type, str):
        raise bad("the frame has no string type")
    schema = RECEIVED_FROM[sender].get(frame_type)
    if schema is None:
        raise Refused("unknown-frame", f"{frame_type!r} is not a frame a {sender} sends")
    kept = fields(schema)(value, frame_type)
    return {"type": frame_type, **kept}


# ---- the run -------------------------------------------------------------------------------


def check(directory, strict):
    valid = json.load(open(os.path.join(directory, "valid.json"), encoding="utf-8"))
    invalid = json.load(open(os.path.join(directory, "invalid.json"), encoding="utf-8"))
    problems = []
    for vector in valid:
        name = vector["name"]
        expected = vector.get("parsed", vector["frame"])
        for encoding, decode, data in (
            ("json", decode_json, vector["json"].encode("utf-8")),
            ("msgpack", decode_msgpack, bytes.fromhex(vector["msgpack"])),
        ):
            try:
                value = decode(data)
            except Refused as refused:
                problems.append(f"valid {name!r}: its {encoding} does not decode: {refused}")
                continue
            if not same(value, vector["frame"]):
                problems.append(f"valid {name!r}: its {encoding} decodes to {value!r}, not the frame")
                continue
            try:
                kept = validate(value, vector["direction"])
            except Refused as refused:
                problems.append(f"valid {name!r} ({encoding}): refused: {refused}")
                continue
            if not same(kept, expected):
                problems.append(f"valid {name!r} ({encoding}): the schema keeps {kept!r}, not {expected!r}")
        # README point 3: this side's encoders write the frame so that it decodes back to itself.
        for encoding, encode, decode in (
            ("json", lambda frame: json.dumps(frame, ensure_ascii=False, allow_nan=False).encode("utf-8"), decode_json),
            ("msgpack", lambda frame: msgpack.packb(frame, use_bin_type=True), decode_msgpack),
        ):
            try:
                again = decode(encode(vector["frame"]))
            except (Refused, ValueError, TypeError) as error:
                problems.append(f"valid {name!r}: Python's {encoding} encoding does not decode again: {error}")
                continue
            if not same(again, vector["frame"]):
                problems.append(f"valid {name!r}: Python's {encoding} encoding decodes to {again!r}, not the frame")

    decoders = {
        "json": lambda text_: decode_json(text_.encode("utf-8")),
        "msgpack": lambda hex_: decode_msgpack(bytes.fromhex(hex_)),
        "raw": lambda hex_: decode_raw(bytes.fromhex(hex_)),
    }
    refused_count = 0
    not_told = []
    for vector in invalid:
        name = vector["name"]
        try:
            value = decoders[vector["encoding"]](vector["input"])
            validate(value, vector["direction"])
        except Refused as refused:
            if refused.code != vector["code"]:
                problems.append(f"invalid {name!r}: refused with {refused.code} ({refused.reason}), not {vector['code']}")
            else:
                refused_count += 1
            continue
        not_told.append(name)
        if strict:
            problems.append(f"invalid {name!r}: accepted, but a receiver refuses it with {vector['code']}")

    for problem in problems:
        print(problem)
    if not_told:
        print(f"not told apart by this check (schema rules it does not port): {', '.join(repr(n) for n in not_told)}")
    print(
        f"{len(valid)} valid vectors decoded from JSON and msgpack, accepted and written again; "
        f"{refused_count} of {len(invalid)} invalid vectors refused with their code; {len(problems)} problems"
    )
    return 1 if problems else 0


def main(argv):
    strict = "--strict" in argv
    rest = [arg for arg in argv if arg != "--strict"]
    directory = rest[0] if rest else os.path.join(ROOT, "protocol", "vectors")
    return check(directory, strict)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
