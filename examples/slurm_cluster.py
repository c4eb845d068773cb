"""Run an astromlp config on a SLURM cluster: dask-jobqueue submits the Dask workers as batch jobs and
`astromlp run --scheduler` sends them its tasks (catalog partitions, one training task per start).

    python examples/slurm_cluster.py examples/photoz.toml --jobs 4            # on a SLURM login node
    python examples/slurm_cluster.py examples/photoz.toml --dry-run           # print the workers' job script
    python examples/slurm_cluster.py examples/photoz.toml --local 2           # the same flow on this machine
    python examples/slurm_cluster.py examples/photoz_sweep.toml --sweep --jobs 8   # a sweep: one task per trial

SLURM needs `python -m pip install dask-jobqueue` (its PBSCluster, SGECluster, LSFCluster work the same
way). Each worker is one single-threaded process per job; the model and metrics are bit-identical to a
local run of the same config. The catalogs must be on a file system the compute nodes can read.
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def slurm_cluster(args: argparse.Namespace):
    """A SLURMCluster whose jobs each run one single-threaded Dask worker."""
    from dask_jobqueue import SLURMCluster

    return SLURMCluster(cores=1, processes=1, memory=args.memory, walltime=args.walltime,
                        queue=args.partition, account=args.account, scheduler_options={"dashboard_address": None})


def local_cluster(args: argparse.Namespace):
    """A LocalCluster standing in for the batch system: same scheduler address, same worker shape."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True, dashboard_address=None)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="the astromlp TOML config to run")
    parser.add_argument("--jobs", type=int, default=4, help="SLURM jobs to submit, one worker each (default 4)")
    parser.add_argument("--memory", default="4GB", help="memory per job (default 4GB)")
    parser.add_argument("--walltime", default="01:00:00", help="time limit per job (default 01:00:00)")
    parser.add_argument("--partition", default=None, help="SLURM partition (queue)")
    parser.add_argument("--account", default=None, help="SLURM account to charge")
    parser.add_argument("--dry-run", action="store_true", help="print the workers' job script, submit nothing")
    parser.add_argument("--local", type=int, metavar="N", help="use a LocalCluster of N workers instead of SLURM")
    parser.add_argument("--out", help="run directory (default: [run] out of the config)")
    parser.add_argument("--force", action="store_true", help="recompute an existing run directory")
    parser.add_argument("--sweep", action="store_true", help="`astromlp sweep` the config's [sweep] instead of run")
    parser.add_argument("--resume", action="store_true", help="with --sweep: keep the finished trials")
    args = parser.parse_args(argv)
    if args.dry_run and args.local:
        parser.error("--dry-run prints the SLURM job script; leave out --local")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    cluster = local_cluster(args) if args.local else slurm_cluster(args)
    with cluster:
        if args.dry_run:
            print(cluster.job_script())
            return 0
        if not args.local:
            cluster.scale(jobs=args.jobs)
        command = [sys.executable, "-m", "astromlp.pipeline.cli", "sweep" if args.sweep else "run", args.config,
                   "--scheduler", cluster.scheduler_address]  # `astromlp run` of this Python environment
        command += (["--out", args.out] if args.out else []) + (["--force"] if args.force else [])
        command += ["--resume"] if args.resume else []
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
