"""Peak RSS of one run of a scenario in a fresh process: ``python rss_probe.py NAME SIZE`` prints bytes.

Run by run.py for the memory scenarios, so what the benchmark process has accumulated (moto,
earlier scenarios) does not count.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenarios import by_name  # noqa: E402

from sfnsim import StateMachine  # noqa: E402


def main() -> None:
    name, size = sys.argv[1], int(sys.argv[2])
    workload = by_name(name).build(size)
    machine = StateMachine.from_dict(workload.definition)
    execution = machine.run(workload.input, handlers=workload.handlers(), **workload.options)
    if execution.status != "SUCCEEDED":
        raise SystemExit(f"{name}: {execution.status} {execution.error}: {execution.cause}")
    print(peak_rss_bytes())


def peak_rss_bytes() -> int:
    """This process's own peak RSS. Linux's ``ru_maxrss`` keeps, across exec, the peak of the
    process that forked it (here the benchmark runner with moto loaded: hundreds of MiB that were
    never this run's); ``VmHWM`` is the peak of this program's own memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # in kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # in KiB on Linux


if __name__ == "__main__":
    main()
