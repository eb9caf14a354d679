"""`python -m bench` lists the benchmarks; `python -m bench NAME [args…]` runs bench/NAME.py with those args."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in {"-h", "--help", "list"}:
        print("benchmarks (python -m bench NAME [--help]):")
        for name in names:
            doc = (
                runpy.run_path(str(HERE / f"{name}.py"), run_name="bench_doc").get("__doc__") or ""
            ).strip()
            print(f"  {name:<16} {doc.splitlines()[0] if doc else ''}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"no benchmark named {name!r}; have: {', '.join(names)}", file=sys.stderr)
        return 2
    sys.argv = [str(HERE / f"{name}.py"), *rest]
    runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
