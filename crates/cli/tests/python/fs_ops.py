# Filesystem work through CPython's os module, in the preopened directory /work.
import json
import os
import sqlite3
import sys

root = "/work/data"
print("python", sys.version.split()[0])
os.makedirs(f"{root}/sub/deeper")
with open(f"{root}/a.txt", "w") as f:
    f.write("alpha\n")
with open(f"{root}/a.txt", "a") as f:
    f.write("more\n")
with open(f"{root}/sub/b.txt", "w") as f:
    f.write("beta" * 100)
print("read:", open(f"{root}/a.txt").read().split())

os.rename(f"{root}/a.txt", f"{root}/sub/deeper/a2.txt")
print("listdir:", sorted(os.listdir(root)), sorted(os.listdir(f"{root}/sub")))
for dirpath, dirnames, filenames in sorted(os.walk(root)):
    print("walk:", dirpath, sorted(dirnames), sorted(filenames))

st = os.stat(f"{root}/sub/b.txt")
print("stat:", st.st_size, os.path.isfile(f"{root}/sub/b.txt"), os.path.isdir(f"{root}/sub"))
os.symlink("sub/b.txt", f"{root}/link")
print("symlink:", os.readlink(f"{root}/link"), os.path.islink(f"{root}/link"), len(open(f"{root}/link").read()))
os.utime(f"{root}/sub/b.txt", (1_000_000_000, 1_000_000_000))
print("mtime:", int(os.stat(f"{root}/sub/b.txt").st_mtime))

os.remove(f"{root}/link")
os.remove(f"{root}/sub/b.txt")
os.remove(f"{root}/sub/deeper/a2.txt")
os.rmdir(f"{root}/sub/deeper")
print("after delete:", sorted(os.listdir(f"{root}/sub")), os.path.exists(f"{root}/sub/b.txt"))

for escape in ["/work/../outside.txt", "/etc/passwd", f"{root}/../../outside.txt"]:
    try:
        open(escape).read()
        print("escape:", escape, "READ")
    except OSError as e:
        print("escape:", escape, type(e).__name__)

db = sqlite3.connect(":memory:")
db.execute("create table t (x integer)")
db.executemany("insert into t values (?)", [(1,), (2,), (3,)])
print("sqlite:", db.execute("select sum(x) from t").fetchone()[0])
with open("/work/result.json", "w") as f:
    json.dump({"ok": True, "files": sorted(os.listdir(root))}, f)
print("done")
