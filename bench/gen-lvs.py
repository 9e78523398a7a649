#!/usr/bin/env python3
"""Append N one-extent linear LVs to a vgcfgbackup file of an empty VG.

usage: gen-lvs.py IN OUT N [NAMEFMT]

IN is the text vgcfgbackup -f wrote for a VG with no LVs (volmgr's or lvm2's;
both put the VG section last).  OUT gets the same text with a
logical_volumes section of N LVs (NAMEFMT % i, default "lvol%d"), each one
extent, allocated in order over the VG's PVs (pv0 first), and seqno + 1.
IDs are 32 characters of [0-9a-zA-Z!#] grouped 6-4-4-4-4-4-6, from a fixed
seed so that runs are repeatable.
"""
import random
import re
import sys

ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#"


def new_id(rng):
    s = "".join(rng.choice(ID_CHARS) for _ in range(32))
    parts, o = [], 0
    for n in (6, 4, 4, 4, 4, 4, 6):
        parts.append(s[o:o + n])
        o += n
    return "-".join(parts)


def main():
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    namefmt = sys.argv[4] if len(sys.argv) > 4 else "lvol%d"
    text = open(src).read()
    if "logical_volumes" in text:
        sys.exit("gen-lvs: %s already has logical_volumes" % src)
    # PVs in order: name and pe_count
    pvs = re.findall(r"\b(pv\d+)\s*\{[^{}]*?pe_count\s*=\s*(\d+)", text)
    if not pvs:
        sys.exit("gen-lvs: no PVs in %s" % src)
    if n > sum(int(c) for _, c in pvs):
        sys.exit("gen-lvs: %d LVs do not fit in %d extents" % (n, sum(int(c) for _, c in pvs)))
    host = (re.search(r'creation_host = "([^"]*)"', text) or [None, "localhost"])[1]
    ctime = (re.search(r"creation_time = (\d+)", text) or [None, "1700000000"])[1]
    text = re.sub(r"(\n\s*seqno = )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), text, 1)
    rng = random.Random(20261121)
    out = ["\tlogical_volumes {\n"]
    pvi, pe = 0, 0
    for i in range(n):
        while pe >= int(pvs[pvi][1]):
            pvi, pe = pvi + 1, 0
        out.append(
            '\t\t%s {\n\t\t\tid = "%s"\n\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]\n'
            '\t\t\tflags = []\n\t\t\tcreation_time = %s\n\t\t\tcreation_host = "%s"\n'
            '\t\t\tsegment_count = 1\n\n\t\t\tsegment1 {\n\t\t\t\tstart_extent = 0\n'
            '\t\t\t\textent_count = 1\n\n\t\t\t\ttype = "striped"\n\t\t\t\tstripe_count = 1\n\n'
            '\t\t\t\tstripes = [\n\t\t\t\t\t"%s", %d\n\t\t\t\t]\n\t\t\t}\n\t\t}\n'
            % (namefmt % i, new_id(rng), ctime, host, pvs[pvi][0], pe))
        pe += 1
    out.append("\t}\n")
    # the VG section is the last one: insert before its closing brace
    body = text.rstrip()
    if not body.endswith("}"):
        sys.exit("gen-lvs: %s does not end with the VG section" % src)
    body = body[:-1].rstrip() + "\n\n" + "".join(out) + "}\n"
    open(dst, "w").write(body)


if __name__ == "__main__":
    main()
