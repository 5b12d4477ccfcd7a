import json, sys, tomllib
from conftest import EXAMPLES, raw_connect, db_file

def test_probe(cli, tmp_path, data_home, storage):
    if storage != "klar": return
    r = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    code = r.out.split("Ny sag: ", 1)[1].split()[0]
    r = cli(["observation", code, "--hvad=ab\u202ecd æ \x1b[31m"])
    conn = raw_connect(db_file(data_home), dicts=False)
    for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        rows = conn.execute(f'SELECT * FROM "{t}"').fetchall()
        print(t, len(rows), rows[-1:] if rows else "", file=sys.__stderr__)
    print(sorted(p.name for p in data_home.rglob("*")), file=sys.__stderr__)
