#!/usr/bin/python3
"""Converts an IDX data set (MNIST format) into the ImageFolder or NumPy layout of docs/data.md.

    /usr/bin/python3 examples/idx_to_data.py imagefolder OUT [--idx DIR] [--max-per-class N]
        [--names fashion-mnist|FILE]
    /usr/bin/python3 examples/idx_to_data.py numpy OUT [--idx DIR] [--max-per-class N]
        [--channels-last]

imagefolder: OUT/{train,test}/<class name>/<index>.png, 8-bit grey PNGs written with the
standard library (zlib), class directories named so that sorted() keeps the label order
("0_T_shirt_top", "1_Trouser", ...), and OUT/class_names.txt with the plain names (for
--class-names). numpy: OUT/{train,test}_{images,labels}.npy (uint8
[N,28,28], or [N,28,28,1] with --channels-last; int64 labels) and OUT/classes.txt.
Needs only python3 (+ python3-numpy for the numpy layout). The IDX files may be gzip'd.
Default --idx: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
"""
import argparse
import gzip
import os
import re
import struct
import sys
import zlib

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]


def read_idx(path):
    for p in (path + ".gz", path):
        if os.path.exists(p):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rb") as f:
                data = f.read()
            break
    else:
        sys.exit("idx_to_data: %s[.gz] not found" % path)
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return dims, data[4 + 4 * nd:]


def png_grey(w, h, pixels):
    def chunk(tag, body):
        c = struct.pack(">I", len(body)) + tag + body
        return c + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + pixels[r * w:(r + 1) * w] for r in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def split_files(idx, split):
    pre = "train" if split == "train" else "t10k"
    (n, rows, cols), px = read_idx(os.path.join(idx, pre + "-images-idx3-ubyte"))
    (nl,), labels = read_idx(os.path.join(idx, pre + "-labels-idx1-ubyte"))
    assert nl == n
    return n, rows, cols, px, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("layout", choices=["imagefolder", "numpy"])
    ap.add_argument("out")
    ap.add_argument("--idx", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--max-per-class", type=int, default=0, help="0 = all")
    ap.add_argument("--names", default="fashion-mnist",
                    help="fashion-mnist, or a file with one name per line, or 'none'")
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    if a.names == "fashion-mnist":
        names = FASHION
    elif a.names == "none":
        names = None
    else:
        with open(a.names) as f:
            names = [l.rstrip("\r\n") for l in f if l.strip()]
    os.makedirs(a.out, exist_ok=True)
    for split in ("train", "test"):
        n, rows, cols, px, labels = split_files(a.idx, split)
        keep, count = [], {}
        for i in range(n):
            c = labels[i]
            if a.max_per_class and count.get(c, 0) >= a.max_per_class:
                continue
            count[c] = count.get(c, 0) + 1
            keep.append(i)
        if a.layout == "imagefolder":
            width = len(str(max(labels) if len(labels) else 0))
            for i in keep:
                c = labels[i]
                label = names[c] if names and c < len(names) else str(c)
                d = os.path.join(a.out, split, "%0*d_%s" % (width, c, re.sub(r"[^A-Za-z0-9]+", "_", label)))
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, "%05d.png" % i), "wb") as f:
                    f.write(png_grey(cols, rows, px[i * rows * cols:(i + 1) * rows * cols]))
        else:
            import numpy as np
            img = np.frombuffer(px, np.uint8).reshape(n, rows, cols)[keep]
            if a.channels_last:
                img = img[..., None]
            np.save(os.path.join(a.out, split + "_images.npy"), img)
            np.save(os.path.join(a.out, split + "_labels.npy"),
                    np.frombuffer(labels, np.uint8)[keep].astype(np.int64))
        print("%s: %d images of %dx%d, %d classes" % (split, len(keep), rows, cols, len(count)))
    if a.layout == "numpy" and names:
        with open(os.path.join(a.out, "classes.txt"), "w") as f:
            f.write("\n".join(names) + "\n")
    if a.layout == "imagefolder" and names:
        # directories carry the label number first so that sorted() keeps the label order
        with open(os.path.join(a.out, "class_names.txt"), "w") as f:
            f.write("\n".join(names) + "\n")
        print("class names: the directory names; --class-names %s gives the plain names"
              % os.path.join(a.out, "class_names.txt"))


if __name__ == "__main__":
    main()
