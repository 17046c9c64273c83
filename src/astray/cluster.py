"""Where astray's parallel work runs: one Dask client for data builds and scaling sweeps.

Three ways, one code path (a ``dask.distributed.Client``):

- a local cluster of ``workers`` single-threaded processes (the default; the BLAS/OpenMP pools
  of each worker are pinned to one thread, so ``workers`` processes use ``workers`` cores);
- an existing scheduler (``scheduler="tcp://head:8786"``), e.g. one a user started by hand;
- a batch system through dask-jobqueue (``slurm=SlurmOptions(...)``: SLURM jobs, each running
  ``processes`` single-threaded workers; ``pip install astray[cluster]``).

Tasks are submitted by the caller; this module only opens and closes the cluster, and turns an
unreachable scheduler or a missing dask-jobqueue into one clear :class:`ClusterError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from astray.errors import AstrayError

#: Every worker process computes on one thread: the processes are the parallelism (two
#: single-threaded workers built the default data set 1.75x faster than one; see README).
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                     # idle OpenMP threads sleep instead of spinning (measured 3-4x on a shared
                     # machine in benchmarks/train_throughput.py)
                     "OMP_WAIT_POLICY": "PASSIVE"}


class ClusterError(AstrayError):
    """The Dask cluster cannot be started or reached."""


@dataclass(frozen=True)
class SlurmOptions:
    """A SLURM allocation for workers (dask-jobqueue ``SLURMCluster``).

    Each job runs ``processes`` single-threaded worker processes on ``processes`` cores with
    ``memory`` (e.g. ``"16GB"``) and ``gpus`` GPUs (``--gres=gpu:N``); at most ``max_jobs``
    jobs run at once (the cluster adapts between 0 and that).
    """

    partition: str | None = None
    processes: int = 1
    memory: str = "8GB"
    gpus: int = 0
    walltime: str = "24:00:00"
    max_jobs: int = 8
    account: str | None = None

    def __post_init__(self):
        if self.processes < 1 or self.max_jobs < 1 or self.gpus < 0:
            raise ClusterError("SLURM: processes per job and --max-jobs must be at least 1, "
                               "--slurm-gpus 0 or more")

    def cluster(self, host: str | None = None):
        """The dask-jobqueue cluster (jobs are submitted once it is scaled)."""
        try:
            from dask_jobqueue import SLURMCluster
        except ImportError:
            raise ClusterError("--slurm needs dask-jobqueue: pip install 'astray[cluster]'") \
                from None
        extra = [f"--gres=gpu:{self.gpus}"] if self.gpus else []
        scheduler = {"dashboard_address": ":0", **({"host": host} if host else {})}
        return SLURMCluster(queue=self.partition, account=self.account, cores=self.processes,
                            processes=self.processes, memory=self.memory,
                            walltime=self.walltime, job_extra_directives=extra,
                            job_script_prologue=[f"export {k}={v}"
                                                 for k, v in SINGLE_THREAD_ENV.items()],
                            scheduler_options=scheduler)


def check_local_workers(workers: int) -> None:
    """A local cluster needs at least one worker (checked before any work starts)."""
    if workers < 1:
        raise ClusterError("--workers must be at least 1")


@contextmanager
def dask_client(*, workers: int = 2, scheduler: str | None = None,
                slurm: SlurmOptions | None = None) -> Iterator:
    """A connected ``distributed.Client``: at ``scheduler``, on SLURM, or on a local cluster of
    ``workers`` single-threaded processes. The cluster it started is closed on exit."""
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler is None and slurm is None:
        check_local_workers(workers)
    # a task's own worker processes (PySCF, torch) must be allowed to start children;
    # a dead worker's tasks are retried on another worker once, then reported as failed
    settings = {"distributed.worker.daemon": False, "distributed.scheduler.allowed-failures": 1}
    with dask.config.set(settings):
        cluster = None
        try:
            if slurm is not None:
                cluster = slurm.cluster()
                cluster.adapt(minimum_jobs=0, maximum_jobs=slurm.max_jobs)
            elif scheduler is None:
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", env=dict(SINGLE_THREAD_ENV))
            client = Client(scheduler or cluster,
                            timeout=dask.config.get("distributed.comm.timeouts.connect"))
            if cluster is not None and slurm is None:
                from astray.worker_plugin import DieWithParent

                client.register_plugin(DieWithParent())
        except (OSError, TimeoutError, ValueError) as error:
            if cluster is not None:
                cluster.close()
            where = scheduler or ("SLURM" if slurm else "local")
            raise ClusterError(f"cannot reach the Dask scheduler {where}: "
                               f"{str(error).splitlines()[0]}") from None
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

