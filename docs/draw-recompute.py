# Recomputes a chatdrop draw independently of its Rust code, with Python's hashlib and the
# `cryptography` package's ChaCha20, following shared/domain/src/draw.rs's module doc. Below,
# the test vector of draw_tests.rs; replace seed, entries, signature and units with published ones.
import hashlib, struct, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

def stream(key):
    enc = Cipher(algorithms.ChaCha20(key, b"\0" * 16), mode=None).encryptor()
    while True:
        block = enc.update(b"\0" * 64)
        for i in range(0, 64, 8):
            yield struct.unpack("<Q", block[i:i+8])[0]

def uniform(s, m):
    r = (2**64) % m
    while True:
        x = next(s)
        if r == 0 or x < 2**64 - r:
            return x % m

def draw(seed, entries, signature, units):
    L = sorted(set(entries), key=lambda e: e.encode())
    lh = hashlib.sha256(b"".join(e.encode() + b"\n" for e in L)).digest()
    rnd = hashlib.sha256(bytes.fromhex(signature)).digest()
    key = hashlib.sha256(seed + lh + rnd).digest()
    s = stream(key)
    n = len(L); k = min(units, n)
    for i in range(k):
        j = i + uniform(s, n - i)
        L[i], L[j] = L[j], L[i]
    return lh.hex(), L[:k]

seed = bytes(range(32))
entries = ["entry-%03d" % i for i in range(50)]
sig = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92"
print(hashlib.sha256(seed).hexdigest())
print(draw(seed, entries, sig, 5))
print(hashlib.sha256(b"a\nb\n").hexdigest())
