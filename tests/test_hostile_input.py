import json, time, tomllib, datetime as dt
import sys
sys.path.insert(0, "/work/main/tests")
from conftest import EXAMPLES, every_value, db_file

def test_probe(cli, tmp_path, data_home, storage):
    data = tomllib.loads((EXAMPLES / "resen-svar.toml").read_text())
    data["statusmoeder"] = {"datoer": ["2026-12-10", "2027-01-07"]}
    p = tmp_path / "a.json"; p.write_text(json.dumps(data, ensure_ascii=False))
    t = time.perf_counter(); r = cli(["new", "--guide", "resen", "--answers", str(p)]); print("new", time.perf_counter() - t, r.code, r.err, file=sys.__stderr__)
    code = r.out.split("Ny sag: ", 1)[1].split()[0]
    for args in (["observation", code, "--hvad", "x\udce6y"], ["observation", code, "--hvad", "ab\u202ecd"],
                 ["observation", code, "--hvad", "[bold red]hej[/]"], ["plan", code], ["historik", code]):
        t = time.perf_counter(); r = cli(args); print(args[0], time.perf_counter() - t, r.code, r.err[-300:], file=sys.__stderr__)
    data["stikord"] = "\ud800"
    p = tmp_path / "b.json"; p.write_text(json.dumps(data))
    t = time.perf_counter(); r = cli(["new", "--guide", "resen", "--answers", str(p)]); print("new-sur", time.perf_counter() - t, r.code, r.err, file=sys.__stderr__)
    data["stikord"] = "010203-1234"
    p.write_text(json.dumps(data))
    t = time.perf_counter(); r = cli(["new", "--guide", "resen", "--answers", str(p)]); print("new-cpr", time.perf_counter() - t, r.code, r.err, file=sys.__stderr__)
    t = time.perf_counter(); r = cli(["plan", "\x1b[31mX"]); print("plan-bad", time.perf_counter() - t, r.code, repr(r.err), file=sys.__stderr__)
    t = time.perf_counter(); every_value(db_file(data_home)); print("every", time.perf_counter() - t, file=sys.__stderr__)
