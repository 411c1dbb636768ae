# CPython with its standard library and this script from a read-only image (/usr/local) and
# its scratch space in memory (--tmpfs /tmp).
import json
import os
import sqlite3
import sys
import tempfile

print("python", sys.version.split()[0])
print("stdlib:", json.__file__)
print("image:", sorted(os.listdir("/usr/local")), sorted(os.listdir("/usr/local/app")))
try:
    open("/usr/local/app/image_tmp.py", "a")
    print("image write: allowed")
except OSError as e:
    print("image write:", type(e).__name__)

with tempfile.NamedTemporaryFile("w+", delete=False) as f:
    f.write("x" * 5000)
    name = f.name
print("tempfile:", os.path.dirname(name), os.path.getsize(name))
os.rename(name, "/tmp/kept.txt")
os.makedirs("/tmp/a/b/c")
os.symlink("../kept.txt", "/tmp/a/link")
print("through link:", len(open("/tmp/a/link").read()))

db = sqlite3.connect("/tmp/db.sqlite")
db.execute("create table t (x integer)")
db.executemany("insert into t values (?)", [(i,) for i in range(1000)])
db.commit()
db.close()
db = sqlite3.connect("/tmp/db.sqlite")
print("sqlite on tmpfs:", db.execute("select count(*), sum(x) from t").fetchone())
for dirpath, dirnames, filenames in sorted(os.walk("/tmp")):
    print("walk:", dirpath, sorted(dirnames), sorted(filenames))
print("done")
