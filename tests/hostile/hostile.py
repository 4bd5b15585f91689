#!/usr/bin/python3
"""hostile.py - the standing hostile-input test of nnbundle's readers (issue 14).

Generates, from one seed, the hostile inputs a user can hand nnbundle (HDF5 files whose data
lives outside the file or that declare more than they hold, FIFOs, directories, lying IDX and
.npy headers, stray labels, NUL keys in JSON, ...) plus random byte flips of valid .nnb.h5,
IDX, .npy and JSON files, runs the CLI on each with a timeout and an address-space limit, and
asserts for every run:
  - the exit status is 1 or 2 for a bad input (or the one expected), 0 with a loadable output
    for a valid one; never a signal, never a timeout;
  - the message names the input and holds no raw HDF5 error stack;
  - every input is byte-identical afterwards and no temporary file is left behind.

usage: hostile.py --nnbundle BIN --work DIR [--seed N] [--flips N] [--asan] [--keep]
Exit status 0 when every case passed, 1 otherwise (each failure is printed).
Needs numpy and h5py (Debian: python3-numpy, python3-h5py).
"""
import argparse
import gzip
import hashlib
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

try:
    import h5py
    import numpy as np
except ImportError as e:  # CTest's SKIP_RETURN_CODE
    print("hostile.py: skipped, %s (apt install python3-h5py python3-numpy)" % e)
    sys.exit(77)

RAW_HDF5 = ("HDF5-DIAG", "#000:", "buf = 0x", "bytes actually read", "H5F.c", "H5D.c")
FAST = ["--set", "node_bandwidth_reduction=0.3", "--set", "edge_bandwidth_reduction=0.3",
        "--set", "sampling_rate=3", "--set", "smoothing_iterations=0"]


class Runner:
    def __init__(self, args):
        self.bin = os.path.abspath(args.nnbundle)
        self.work = os.path.abspath(args.work)
        self.asan = args.asan
        self.timeout = 60 if args.asan else 20
        self.mem = 2 << 30  # address-space limit outside ASan (ASan reserves terabytes)
        self.failures = []
        self.n = 0

    def _limit(self):
        if not self.asan:
            resource.setrlimit(resource.RLIMIT_AS, (self.mem, self.mem))

    def run(self, argv, env_extra=None):
        """(rc or -signal, stderr+stdout text, peak RSS KiB, timed out)"""
        env = dict(os.environ)
        env.pop("NB_MAX_MEMORY", None)
        if env_extra:
            env.update(env_extra)
        p = subprocess.Popen([self.bin] + argv, cwd=self.work, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             preexec_fn=self._limit, env=env)
        timed_out = []

        def kill():
            timed_out.append(True)
            p.kill()

        timer = threading.Timer(self.timeout, kill)
        timer.start()
        out = p.stdout.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = 0  # reaped by wait4
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        return rc, out, usage.ru_maxrss, bool(timed_out)

    def check(self, name, argv, expect, inputs=(), must_say=(), output=None, max_rss_mb=None,
              env_extra=None):
        """expect: 'fail' (1 or 2), 'fail1', 'usage' (2), 'ok' (0), 'any' (0, 1 or 2)."""
        self.n += 1
        before = {f: digest(os.path.join(self.work, f)) for f in inputs}
        t0 = time.monotonic()
        rc, out, rss, timed_out = self.run(argv, env_extra)
        secs = time.monotonic() - t0
        why = []
        if timed_out:
            why.append("timed out after %d s" % self.timeout)
        elif rc < 0:
            why.append("ended on signal %d" % -rc)
        elif expect == "ok" and rc != 0:
            why.append("exit %d, expected 0" % rc)
        elif expect == "fail" and rc not in (1, 2):
            why.append("exit %d, expected 1 or 2" % rc)
        elif expect == "fail1" and rc != 1:
            why.append("exit %d, expected 1" % rc)
        elif expect == "usage" and rc != 2:
            why.append("exit %d, expected 2" % rc)
        elif expect == "any" and rc not in (0, 1, 2):
            why.append("exit %d, expected 0, 1 or 2" % rc)
        if "AddressSanitizer" in out or "runtime error:" in out or "LeakSanitizer" in out:
            why.append("sanitizer report")
        for raw in RAW_HDF5:
            if raw in out:
                why.append("raw HDF5 error text %r in the output" % raw)
        if rc in (1, 2) and not timed_out:
            if "nnbundle" not in out:
                why.append("no nnbundle message")
            for s in must_say:
                if s not in out:
                    why.append("message lacks %r" % s)
        for f, d in before.items():
            if digest(os.path.join(self.work, f)) != d:
                why.append("input %s changed" % f)
        left = [e for e in os.listdir(self.work)
                if ".nbtmp." in e or ".tmp." in e or e.endswith(".nblock")]
        if left:
            why.append("temporary files left: %s" % ", ".join(left))
        if max_rss_mb and not self.asan and rss > max_rss_mb * 1024:
            why.append("peak RSS %d MiB, bound %d MiB" % (rss // 1024, max_rss_mb))
        if rc == 0 and output and not timed_out:
            orc, oout, _, _ = self.run(["info", output])
            if orc != 0:
                why.append("exit 0 but its output %s does not load: %s" % (output, oout.strip()))
        first = out.strip().splitlines()[0] if out.strip() else ""
        if why:
            self.failures.append(name)
            print("FAIL %-28s %s\n     nnbundle %s\n     %s" % (name, "; ".join(why),
                                                            " ".join(argv), out.strip()[:600]))
        else:
            print("ok   %-28s exit %d %5.2f s %6d KiB  %s" % (name, rc, secs, rss, first[:150]))
        return rc


def digest(path):
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- valid inputs ------------------------------------------------------------------------

def idx_images(path, imgs, gz=False):
    n, h, w = imgs.shape
    data = struct.pack(">IIII", 0x803, n, h, w) + imgs.astype(np.uint8).tobytes()
    write(path, gzip.compress(data, 6, mtime=0) if gz else data)


def idx_labels(path, labels, gz=False):
    data = struct.pack(">II", 0x801, len(labels)) + bytes(labels)
    write(path, gzip.compress(data, 6, mtime=0) if gz else data)


def write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def idx_set(d, rng, n_train=48, n_test=12, classes=3, h=4, w=4, train_labels=None,
            test_hw=None, gz=False):
    """An IDX data directory; labels cycle 0..classes-1 unless given."""
    tr = np.array(train_labels if train_labels is not None
                  else [i % classes for i in range(n_train)], dtype=np.uint8)
    te = np.array([i % classes for i in range(n_test)], dtype=np.uint8)
    th, tw = test_hw or (h, w)
    suffix = ".gz" if gz else ""
    idx_images(d + "/train-images-idx3-ubyte" + suffix,
               rng.integers(0, 256, (len(tr), h, w)), gz)
    idx_labels(d + "/train-labels-idx1-ubyte" + suffix, tr, gz)
    idx_images(d + "/t10k-images-idx3-ubyte" + suffix, rng.integers(0, 256, (n_test, th, tw)), gz)
    idx_labels(d + "/t10k-labels-idx1-ubyte" + suffix, te, gz)


def npy_set(d, rng, n_train=48, n_test=12, classes=3):
    os.makedirs(d, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        np.save("%s/%s_images.npy" % (d, split),
                rng.integers(0, 256, (n, 4, 4)).astype(np.uint8))
        np.save("%s/%s_labels.npy" % (d, split),
                np.array([i % classes for i in range(n)], dtype=np.uint8))


def copy_h5(w, src, dst):
    shutil.copy(os.path.join(w, src), os.path.join(w, dst))
    return h5py.File(os.path.join(w, dst), "r+")


def hostile_h5(w):
    """The HDF5 cases of issue 14, from bundled.nnb.h5."""
    f = copy_h5(w, "bundled.nnb.h5", "external.nnb.h5")
    g = f["network/dense_0"]
    del g["bias"]
    g.create_dataset("bias", (6,), dtype="<f4", external=[("/etc/passwd", 0, 24)])
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "virtual.nnb.h5")
    g = f["network/dense_0"]
    del g["bias"]
    lay = h5py.VirtualLayout(shape=(6,), dtype="<f4")
    lay[:] = h5py.VirtualSource("missing_other.h5", "x", shape=(6,))
    g.create_virtual_dataset("bias", lay, fillvalue=0)
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "huge_points.nnb.h5")  # 805 M x 3 points, never written
    del f["bundle/point_position"]
    f["bundle"].create_dataset("point_position", (805306368, 3), dtype="<f4")
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "huge_points_gzip.nnb.h5")
    del f["bundle/point_position"]
    f["bundle"].create_dataset("point_position", (805306368, 3), dtype="<f4", chunks=(65536, 3),
                               compression="gzip")
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "lzf.nnb.h5")  # a filter libhdf5 lacks
    wt = f["network/dense_0/weight"][...]
    del f["network/dense_0/weight"]
    f["network/dense_0"].create_dataset("weight", data=wt, chunks=True, compression="lzf")
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "tanh.nnb.h5")
    f["network"].attrs["activation"] = np.bytes_(b"tanh")
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "seed_negative.nnb.h5")
    f["network"].attrs["seed"] = np.int64(-1)
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "names_latin1.nnb.h5")
    f["network"].attrs["class_names"] = np.array([b"0", b"\xe9t\xe9", b"2", b"3"], dtype="S4")
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "huge_layers.nnb.h5")  # layer sizes far beyond the file
    del f["network/layer_sizes"]
    f["network"].create_dataset("layer_sizes", data=np.array([40000, 40000, 4], dtype="<i4"))
    f.close()
    f = copy_h5(w, "bundled.nnb.h5", "big_layers.nnb.h5")  # within the bounds, not the file
    del f["network/layer_sizes"]
    f["network"].create_dataset("layer_sizes", data=np.array([20000, 20000, 4], dtype="<i4"))
    f.close()


def flip(data, rng):
    """A seeded mutation: byte flips, a cut, a zeroed run or a duplicated run."""
    b = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0 or len(b) < 16:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:
        del b[rng.randrange(len(b)):]
    elif kind == 2:
        i = rng.randrange(len(b))
        for k in range(i, min(len(b), i + rng.randint(1, 64))):
            b[k] = 0xFF if rng.random() < 0.5 else 0
    else:
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 256))
        b[i:i] = b[i:j]
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnbundle", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--flips", type=int, default=12, help="mutations per valid file")
    ap.add_argument("--asan", action="store_true", help="sanitizer build: no RLIMIT_AS")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    r = Runner(args)
    w = r.work
    nprng = np.random.default_rng(args.seed)
    rng = random.Random(args.seed)
    t_start = time.monotonic()

    # -- valid inputs, made by nnbundle itself where it can
    r.check("random (valid)", ["random", "--layers", "8,6,4", "--seed", "3", "-o",
                               "base.nnb.h5"], "ok", output="base.nnb.h5")
    shutil.copy(w + "/base.nnb.h5", w + "/bundled.nnb.h5")
    r.check("bundle (valid)", ["bundle", "bundled.nnb.h5", "--quiet"] + FAST, "ok",
            output="bundled.nnb.h5")
    r.check("random tiny (valid)", ["random", "--layers", "2,2", "-o", "tiny.nnb.h5"], "ok",
            output="tiny.nnb.h5")
    idx_set(w + "/idx", nprng)
    idx_set(w + "/idxgz", nprng, gz=True)
    npy_set(w + "/npy", nprng)
    with open(w + "/config.json", "w") as f:
        f.write('{"sampling_rate": 3, "smoothing_iterations": 0, "node_bandwidth_reduction": 0.3,'
                ' "edge_bandwidth_reduction": 0.3, "prune_percentage": 0.1}\n')
    train = ["train", "--epochs", "1", "--layers", "5", "--quiet"]
    r.check("train IDX (valid)", train + ["--data", "idx", "-o", "t1.nnb.h5"], "ok",
            inputs=["idx/train-images-idx3-ubyte"], output="t1.nnb.h5")
    r.check("train IDX gzip (valid)", train + ["--data", "idxgz", "-o", "t2.nnb.h5"], "ok",
            inputs=["idxgz/train-images-idx3-ubyte.gz"], output="t2.nnb.h5")
    r.check("train npy (valid)", train + ["--data", "npy", "-o", "t3.nnb.h5"], "ok",
            inputs=["npy/train_images.npy"], output="t3.nnb.h5")
    r.check("info (valid)", ["info", "bundled.nnb.h5"], "ok", inputs=["bundled.nnb.h5"])

    # -- reading outside the input, resource exhaustion
    hostile_h5(w)
    os.mkfifo(w + "/fifo")
    os.mkdir(w + "/adir")
    h5_cases = [
        ("external storage", "external.nnb.h5", "external storage"),
        ("virtual dataset", "virtual.nnb.h5", "virtual dataset"),
        ("805M x 3 points", "huge_points.nnb.h5", "/bundle/point_position"),
        ("805M x 3 points, gzip", "huge_points_gzip.nnb.h5", "/bundle/point_position"),
        ("lzf filter", "lzf.nnb.h5", "filter 32000"),
        ("activation tanh", "tanh.nnb.h5", "activation"),
        ("seed -1", "seed_negative.nnb.h5", "seed"),
        ("class name not UTF-8", "names_latin1.nnb.h5", "UTF-8"),
        ("layer sizes beyond bounds", "huge_layers.nnb.h5", "/network"),
        ("layer sizes beyond file", "big_layers.nnb.h5", "can hold"),
    ]
    for name, fn, say in h5_cases:
        r.check("info " + name, ["info", fn], "fail1", inputs=[fn], must_say=[fn, say],
                max_rss_mb=100)
    keras = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "keras",
                         "dense.h5")
    shutil.copy(keras, w + "/keras_external.h5")
    with h5py.File(w + "/keras_external.h5", "r+") as f:
        g = f["model_weights/dense_1/dense_1"]
        del g["bias:0"]
        g.create_dataset("bias:0", (10,), dtype="<f4", external=[("/etc/passwd", 0, 40)])
    r.check("import Keras external", ["import", "keras_external.h5", "-o", "x.nnb.h5"], "fail1",
            inputs=["keras_external.h5"], must_say=["keras_external.h5", "external storage"])
    r.check("import FIFO", ["import", "fifo", "-o", "x.nnb.h5"], "fail1", must_say=["FIFO"])
    r.check("bundle external storage", ["bundle", "external.nnb.h5", "--quiet"], "fail1",
            inputs=["external.nnb.h5"], must_say=["external storage"])
    r.check("random 40000,40000,10", ["random", "--layers", "40000,40000,10", "-o", "x.nnb.h5"],
            "fail", must_say=["1073741824"], max_rss_mb=100)
    r.check("random over --max-memory", ["random", "--max-memory", "1M", "--layers",
                                         "784,810,10", "-o", "x.nnb.h5"], "fail1",
            must_say=["memory limit"], max_rss_mb=100)
    r.check("NB_MAX_MEMORY junk", ["random", "--layers", "4,2", "-o", "x.nnb.h5"], "fail1",
            must_say=["NB_MAX_MEMORY"], env_extra={"NB_MAX_MEMORY": "lots"})
    r.check("info FIFO", ["info", "fifo"], "fail1", must_say=["FIFO"])
    r.check("info directory", ["info", "adir"], "fail1", must_say=["directory"])
    r.check("info /dev/null", ["info", "/dev/null"], "fail1", must_say=["device"])
    r.check("--config FIFO", ["bundle", "tiny.nnb.h5", "--config", "fifo"], "fail1",
            must_say=["FIFO"])
    r.check("--class-names FIFO", train + ["--data", "idx", "--class-names", "fifo", "-o",
                                           "x.nnb.h5"], "fail1", must_say=["FIFO"])
    os.mkdir(w + "/fifodata")
    for fn in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte"):
        os.mkfifo(w + "/fifodata/" + fn)
    r.check("--data with FIFOs", train + ["--data", "fifodata", "-o", "x.nnb.h5"], "fail1",
            must_say=["fifodata"])
    # 4097 x 4097 images: the reader loads 2 of them, the network would not fit the format
    big = np.zeros((2, 4097, 4097), dtype=np.uint8)
    idx_images(w + "/big/train-images-idx3-ubyte.gz", big, gz=True)
    idx_labels(w + "/big/train-labels-idx1-ubyte.gz", [0, 1], gz=True)
    idx_images(w + "/big/t10k-images-idx3-ubyte.gz", big[:1], gz=True)
    idx_labels(w + "/big/t10k-labels-idx1-ubyte.gz", [0], gz=True)
    del big
    r.check("train 4097x4097 images", ["train", "--epochs", "1", "--quiet", "--data", "big",
                                       "-o", "x.nnb.h5"], "fail1",
            inputs=["big/train-images-idx3-ubyte.gz"], must_say=["weights"], max_rss_mb=400)
    # a gzip header that declares more than deflate can expand to
    lie = struct.pack(">IIII", 0x803, 1000000, 1000, 1000)
    write(w + "/lie/train-images-idx3-ubyte.gz", gzip.compress(lie, 6, mtime=0))
    idx_labels(w + "/lie/train-labels-idx1-ubyte.gz", [0] * 1000000, gz=True)
    r.check("IDX gzip declares 1e12 pixels", train + ["--data", "lie", "-o", "x.nnb.h5"], "fail1",
            must_say=["lie/train-images-idx3-ubyte.gz", "can hold"], max_rss_mb=100)

    # -- accepted silently before
    idx_set(w + "/stray", nprng, train_labels=[i % 10 for i in range(47)] + [200], classes=10)
    r.check("stray label 200", train + ["--data", "stray", "-o", "x.nnb.h5"], "fail1",
            inputs=["stray/train-labels-idx1-ubyte"], must_say=["class 10 has no images"])
    idx_set(w + "/all3", nprng, train_labels=[3] * 48)
    r.check("labels all 3", train + ["--data", "all3", "-o", "x.nnb.h5"], "fail1",
            must_say=["class 0 has no images"])
    idx_set(w + "/shape", nprng, h=4, w=4, test_hw=(2, 8))
    r.check("test 2x8 vs train 4x4", train + ["--data", "shape", "-o", "x.nnb.h5"], "fail1",
            must_say=["2x8", "4x4"])
    with open(w + "/names_latin1.txt", "wb") as f:
        f.write(b"zero\n\xe9t\xe9\ntwo\n")
    r.check("class names not UTF-8", train + ["--data", "idx", "--class-names",
                                              "names_latin1.txt", "-o", "x.nnb.h5"], "fail1",
            inputs=["names_latin1.txt"], must_say=["names_latin1.txt", "UTF-8"])
    with open(w + "/names2.txt", "w") as f:
        f.write("a\nb\n")
    r.check("labels beyond class names", train + ["--data", "idx", "--class-names", "names2.txt",
                                                  "-o", "x.nnb.h5"], "fail1",
            must_say=["names2.txt"])
    shutil.copytree(w + "/idxgz", w + "/trail")
    with open(w + "/trail/train-images-idx3-ubyte.gz", "ab") as f:
        f.write(b"garbage after the gzip stream")
    r.check("gzip trailing data", train + ["--data", "trail", "-o", "x.nnb.h5"], "fail1",
            inputs=["trail/train-images-idx3-ubyte.gz"], must_say=["trailing data"])
    r.check("train --seed -1", train + ["--data", "idx", "--seed", "-1", "-o", "x.nnb.h5"],
            "usage")
    with open(w + "/seed.json", "w") as f:
        f.write('{"seed": -1}\n')
    r.check("config seed -1", ["bundle", "tiny.nnb.h5", "--config", "seed.json"], "fail1",
            inputs=["seed.json", "tiny.nnb.h5"], must_say=["seed.json seed", "-1"])
    r.check("random --seed -1", ["random", "--seed", "-1", "-o", "x.nnb.h5"], "usage")
    r.check("random --layers 784,81,", ["random", "--layers", "784,81,", "-o", "x.nnb.h5"],
            "usage", must_say=["784,81,"])
    r.check("train --layers 5,", train[:-3] + ["--layers", "5,", "--data", "idx", "-o",
                                               "x.nnb.h5"], "usage")
    r.check("evaluate --sets test,", ["evaluate", "bundled.nnb.h5", "--data", "idx", "--out",
                                      "ev", "--sets", "test,"], "usage", must_say=["trailing"])
    r.check("evaluate --max-images 0", ["evaluate", "bundled.nnb.h5", "--data", "idx",
                                        "--max-images", "0"], "usage", must_say=["max-images"])
    r.check("random 16,6,3 (valid)", ["random", "--layers", "16,6,3", "-o", "huge_w.nnb.h5"],
            "ok", output="huge_w.nnb.h5")
    with h5py.File(w + "/huge_w.nnb.h5", "r+") as f:  # finite weights whose logits overflow
        for name, v in (("network/dense_0/weight", 3e38), ("network/dense_1/weight", -3e38)):
            f[name][...] = np.full(f[name].shape, v, dtype="<f4")
    r.check("evaluate NaN loss", ["evaluate", "huge_w.nnb.h5", "--data", "idx", "--quiet",
                                  "--out", "ev"], "fail1", inputs=["huge_w.nnb.h5"],
            must_say=["huge_w.nnb.h5", "NaN loss"])
    if os.path.isdir(w + "/ev") and os.listdir(w + "/ev"):
        r.failures.append("evaluate NaN loss wrote %s" % os.listdir(w + "/ev"))
        print("FAIL evaluate NaN loss left %s" % os.listdir(w + "/ev"))
    with open(w + "/nul.json", "w") as f:
        f.write('{"sampling_rate\\u0000x": 0.5}\n')
    r.check("JSON key with NUL", ["bundle", "tiny.nnb.h5", "--config", "nul.json"], "fail1",
            inputs=["nul.json", "tiny.nnb.h5"], must_say=["nul.json", "u0000"])
    r.check("--set value with NUL", ["bundle", "tiny.nnb.h5", "--set", 'density="a\\u0000b"'],
            "fail1", inputs=["tiny.nnb.h5"], must_say=["u0000"])
    with open(w + "/huge.npy", "wb") as f:
        hdr = "{'descr': '|u1', 'fortran_order': False, 'shape': (100000000, 4097, 4097), }"
        hdr += " " * (118 - len(hdr)) + "\n"
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    os.makedirs(w + "/npyhuge")
    shutil.copy(w + "/huge.npy", w + "/npyhuge/train_images.npy")
    shutil.copy(w + "/npy/train_labels.npy", w + "/npyhuge/train_labels.npy")
    r.check("npy declares 1.7e15 pixels", train + ["--data", "npyhuge", "-o", "x.nnb.h5"],
            "fail1", must_say=["npyhuge/train_images.npy"], max_rss_mb=100)

    # -- random byte flips of valid files
    def flipped(src, dst):
        with open(os.path.join(w, src), "rb") as f:
            data = f.read()
        write(os.path.join(w, dst), flip(data, rng))

    for k in range(args.flips):
        for src in ("base.nnb.h5", "bundled.nnb.h5"):
            dst = "flip_%d_%s" % (k, src)
            flipped(src, dst)
            r.check("flip %s #%d" % (src, k), ["info", dst], "any", inputs=[dst])
            os.remove(os.path.join(w, dst))
        for d, fn in (("idx", "train-images-idx3-ubyte"), ("idx", "train-labels-idx1-ubyte"),
                      ("idxgz", "train-images-idx3-ubyte.gz"), ("npy", "train_images.npy"),
                      ("npy", "train_labels.npy")):
            fd = "flipdata"
            shutil.rmtree(os.path.join(w, fd), ignore_errors=True)
            shutil.copytree(os.path.join(w, d), os.path.join(w, fd))
            flipped(os.path.join(d, fn), os.path.join(fd, fn))
            r.check("flip %s/%s #%d" % (d, fn, k), train + ["--data", fd, "-o", "xf.nnb.h5"],
                    "any", inputs=[os.path.join(fd, fn)], output="xf.nnb.h5")
        flipped("config.json", "flip.json")
        shutil.copy(w + "/tiny.nnb.h5", w + "/tinyf.nnb.h5")
        r.check("flip config.json #%d" % k, ["bundle", "tinyf.nnb.h5", "--quiet", "--config",
                                             "flip.json"] + FAST, "any",
                inputs=["flip.json"], output="tinyf.nnb.h5")

    secs = time.monotonic() - t_start
    print("\n%d runs in %.1f s, %d failed%s" % (r.n, secs, len(r.failures),
                                                ": " + ", ".join(r.failures)
                                                if r.failures else ""))
    if not args.keep and not r.failures:
        shutil.rmtree(w, ignore_errors=True)
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
