#!/usr/bin/env python3
"""Test process for bench/run.sh: holds about SIZE_MIB MiB of resident memory, then idles.

Usage: memhog.py SIZE_MIB [READY_FILE]

Half of the memory is random bytes (incompressible, like heap data), half is repetitive text.
Every page is written while it is filled and read once more afterwards, so all of it is
resident (and dirty) before READY_FILE appears. Then the process sleeps 0.2 s in a loop
forever; the benchmark kills it.
"""
import os
import sys
import time

PAGE = 4096
CHUNK = 1 << 20

size_mib = float(sys.argv[1])
ready_file = sys.argv[2] if len(sys.argv) > 2 else None

total = int(size_mib * 1024 * 1024)
n_random = total // 2
n_text = total - n_random

# Random half: os.urandom writes every byte, so every page is touched.
RANDOM_PART = os.urandom(n_random)

# Text half: filled chunk by chunk (no temporary second copy of the whole buffer).
LINE = b"rfork benchmark: repetitive text, the same line again and again, page after page.\n"
chunk = (LINE * (CHUNK // len(LINE) + 1))[:CHUNK]
TEXT_PART = bytearray(n_text)
for offset in range(0, n_text, CHUNK):
    length = min(CHUNK, n_text - offset)
    TEXT_PART[offset:offset + length] = chunk[:length]
del chunk

# Read one byte of every page once more (keeps the buffers referenced and resident).
CHECKSUM = sum(RANDOM_PART[::PAGE]) + sum(TEXT_PART[::PAGE])

if ready_file:
    with open(ready_file + ".tmp", "w") as f:
        f.write("%d %d\n" % (os.getpid(), total))
    os.rename(ready_file + ".tmp", ready_file)

while True:
    time.sleep(0.2)
