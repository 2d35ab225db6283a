#!/usr/bin/env python3
"""Writes the large or special cases of the hostile corpus into a directory:
files too big for git (a 17 MiB config, 40,000-level headers) and files git
cannot hold (a FIFO). Each case is NAME.toml with NAME.expected, in the format
of tests/configs/bad/README.md. Usage: generate.py DIR"""

import os
import sys


def cases():
    """(name, text or None for a FIFO, expected lines)."""
    yield ("deep-table-header", "[" + ".".join(["a"] * 40000) + "]\n",
           ["deep-table-header.toml:1:66: error: nested more than 32 levels deep..."])
    yield ("deep-dotted-key", "[program.web]\n" + ".".join(["a"] * 50000) + " = 1\n",
           ["deep-dotted-key.toml:2:61: error: nested more than 32 levels deep..."])
    yield ("deep-arrays", "[program.web]\ncommand = " + "[" * 10000 + "]" * 10000 + "\n",
           ["deep-arrays.toml:2:41: error: nested more than 32 levels deep..."])
    yield ("deep-inline-tables", "[program.web]\nlog = " + "{ a = " * 10000 + "1" + " }" * 10000 + "\n",
           ["deep-inline-tables.toml:2:183: error: nested more than 32 levels deep..."])
    # 100 KB fits one argument; 2,000 of them would be 200 MB of expansion.
    big = "x" * (100 * 1024)
    words = ", ".join(['"${big}"'] * 2000)
    yield ("expansion-amplified", f'[svd]\nvars = {{ big = "{big}" }}\n[program.web]\ncommand = ["echo", {words}]\n',
           ["expansion-amplified.toml:4:11: error: the config's values expand to more than 16 MiB in all..."])
    yield ("variable-1mb", '[svd]\nvars = { big = "' + "x" * (1024 * 1024) + '" }\n'
           '[program.web]\ncommand = ["echo", "${big}"]\n',
           ["variable-1mb.toml:2:16: error: cannot expand 'vars.big': the value is longer than 128 KiB...",
            "variable-1mb.toml:4:11: error: cannot expand 'command': unknown variable '${big}'..."])
    yield ("config-17mib", "# " + "x" * (17 * 1024 * 1024) + "\n",
           ["config-17mib.toml: error: cannot read config file 'config-17mib.toml': is larger than 16 MiB, the limit"])
    yield ("include-fifo", '[svd]\ninclude = ["include-fifo.d/fifo.toml"]\n',
           ["include-fifo.toml:2:12: error: included path 'include-fifo.d/fifo.toml' is not a file"])
    # The main config itself a FIFO: open() used to block svd for good.
    yield ("main-config-fifo", None,
           ["main-config-fifo.toml: error: cannot read config file 'main-config-fifo.toml': "
            "is a FIFO, not a regular file"])
    # 200,000 errors: the first 100 shown, the rest counted (1.5 million took
    # 25 s and 490 MB to compose and print).
    keys = 200000
    yield ("many-unknown-keys", "".join(f"k{i} = 1\n" for i in range(keys)),
           # Which 100 follows toml++'s order of keys; each is located.
           ["many-unknown-keys.toml:...: error: unknown key 'k..."] * 100 +
           [f"many-unknown-keys.toml: error: {keys - 100} more errors not shown; fix these first"])
    yield ("log-dir-too-long", '[svd]\nlog_dir = "/tmp/' + "d" * 4000 + '"\n',
           ["log-dir-too-long.toml:2:11: error: log_dir \"/tmp/ddd...", ])


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for name, text, expected in cases():
        path = os.path.join(directory, name + ".toml")
        if text is None:
            if not os.path.exists(path):
                os.mkfifo(path, 0o600)
        else:
            with open(path, "w") as f:
                f.write(text)
        with open(os.path.join(directory, name + ".expected"), "w") as f:
            f.write("\n".join(expected) + "\n")
    fifo_dir = os.path.join(directory, "include-fifo.d")
    os.makedirs(fifo_dir, exist_ok=True)
    fifo = os.path.join(fifo_dir, "fifo.toml")
    if not os.path.exists(fifo):
        os.mkfifo(fifo, 0o600)


if __name__ == "__main__":
    write(sys.argv[1])
