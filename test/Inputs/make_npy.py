#!/usr/bin/env python3
"""Writes small .npy and .safetensors files for the dlc tool tests, with the
standard library only (the tests must not need NumPy).

  make_npy.py npy OUT DTYPE SHAPE VALUES
  make_npy.py safetensors OUT NAME=DTYPE:SHAPE:VALUES ...
  make_npy.py keys FILE.safetensors   (prints the tensor names, sorted)

DTYPE is f4, f8, i4 or i8; SHAPE is comma-separated (empty for a scalar);
VALUES is 'iota' (0, 1, 2, ...), 'iota/K' (i / K), or a comma-separated list.
"""
import json
import struct
import sys

FORMATS = {"f4": "f", "f8": "d", "i4": "i", "i8": "q"}
ST_NAMES = {"f4": "F32", "f8": "F64", "i4": "I32", "i8": "I64"}


def values_for(spec, count):
    if spec.startswith("iota"):
        scale = float(spec.split("/")[1]) if "/" in spec else 1.0
        return [i / scale for i in range(count)]
    vals = [float(v) for v in spec.split(",")]
    if len(vals) != count:
        sys.exit(f"make_npy: {len(vals)} values for {count} elements")
    return vals


def shape_of(text):
    return [int(d) for d in text.split(",") if d != ""]


def payload(dtype, shape, spec):
    count = 1
    for d in shape:
        count *= d
    vals = values_for(spec, count)
    if dtype.startswith("i"):
        vals = [int(v) for v in vals]
    return struct.pack("<%d%s" % (count, FORMATS[dtype]), *vals)


def write_npy(out, dtype, shape, spec):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<%s', 'fortran_order': False, 'shape': (%s), }" % (dtype, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(payload(dtype, shape, spec))


def write_safetensors(out, entries):
    header, blobs, offset = {}, [], 0
    for entry in entries:
        name, rest = entry.split("=", 1)
        dtype, shape, spec = rest.split(":")
        data = payload(dtype, shape_of(shape), spec)
        header[name] = {"dtype": ST_NAMES[dtype], "shape": shape_of(shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def print_keys(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    print(" ".join(sorted(k for k in header if k != "__metadata__")))


if __name__ == "__main__":
    if sys.argv[1] == "keys":
        print_keys(sys.argv[2])
    elif sys.argv[1] == "npy":
        write_npy(sys.argv[2], sys.argv[3], shape_of(sys.argv[4]), sys.argv[5])
    else:
        write_safetensors(sys.argv[2], sys.argv[3:])
