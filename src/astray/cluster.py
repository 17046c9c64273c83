"""Where astray's parallel work runs: one Dask client for data builds and scaling sweeps.

Three ways, one code path (a ``dask.distributed.Client``):

- a local cluster of ``workers`` single-threaded processes (the default; the BLAS/OpenMP pools
  of each worker are pinned to one thread, so ``workers`` processes use ``workers`` cores);
- an existing scheduler (``scheduler="tcp://head:8786"``), e.g. one a user started by hand;
- a batch system through dask-jobqueue (``slurm=SlurmOptions(...)``: SLURM jobs, each running
  ``processes`` single-threaded workers; ``pip install astray[cluster]``).

Tasks are submitted by the caller; this module only opens and closes the cluster, and turns an
unreachable scheduler or a missing dask-jobqueue into one clear :class:`ClusterError`.

SLURM jobs are submitted in the background by dask-jobqueue: a job that SLURM refuses (more
memory than any node has, an unknown partition or account) would only be a traceback in a
logging callback, and the sweep would then wait for workers that never come. So
:meth:`SlurmOptions.check` asks SLURM first, before any work (``sbatch --test-only`` with the
worker job's own resources, which validates the request without queueing anything), and a
refusal is one line naming the option to change.
"""

from __future__ import annotations

import shutil
import subprocess
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


#: Words of sbatch's refusals, and the option of ``astray scale`` that changes what they refuse.
SBATCH_OPTIONS = (("memory", "--slurm-memory"), ("partition", "--slurm-partition"),
                  ("account", "--slurm-account"), ("gres", "--slurm-gpus"),
                  ("gpu", "--slurm-gpus"), ("time limit", "--slurm-walltime"),
                  ("cpu", "--runs-per-gpu"))
#: Seconds sbatch --test-only may take (it asks the controller; an unreachable one is said).
SBATCH_TIMEOUT = 60
#: SlurmOptions already accepted by SLURM in this process (asked once, however often opened).
_CHECKED: set = set()


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

    def sbatch_options(self) -> list[str]:
        """The resources of one worker job as sbatch options (what dask-jobqueue writes in its
        job script: the memory rounded up as it rounds it)."""
        from dask.utils import parse_bytes

        try:
            memory = parse_bytes(self.memory)
        except (ValueError, TypeError):
            raise ClusterError(f"--slurm-memory {self.memory!r}: not a memory size (e.g. 8GB)"
                               ) from None
        if memory <= 0:
            raise ClusterError(f"--slurm-memory {self.memory!r}: must be more than 0")
        try:
            from dask_jobqueue.slurm import slurm_format_bytes_ceil
        except ImportError:
            raise ClusterError("--slurm needs dask-jobqueue: pip install 'astray[cluster]'") \
                from None
        options = ["-n", "1", f"--cpus-per-task={self.processes}",
                   f"--mem={slurm_format_bytes_ceil(memory)}", "-t", self.walltime]
        options += [f"--partition={self.partition}"] if self.partition else []
        options += [f"--account={self.account}"] if self.account else []
        options += [f"--gres=gpu:{self.gpus}"] if self.gpus else []
        return options

    def check(self) -> None:
        """Ask SLURM whether it would run one worker job (``sbatch --test-only``: nothing is
        queued); a refusal is a :class:`ClusterError` in one line naming the option, e.g.
        ``--slurm-memory 16GB: SLURM refuses the worker job (Memory specification can not be
        satisfied)``. Asked once per process for the same options."""
        if self in _CHECKED:
            return
        options = self.sbatch_options()
        sbatch = shutil.which("sbatch")
        if sbatch is None:
            raise ClusterError("--slurm: sbatch is not on PATH (run astray scale --slurm on a "
                               "SLURM login node)")
        try:
            done = subprocess.run([sbatch, "--test-only", *options, "--wrap", "true"],
                                  capture_output=True, text=True, timeout=SBATCH_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"--slurm: sbatch --test-only gave no answer in {SBATCH_TIMEOUT} "
                               "s (is the SLURM controller reachable?)") from None
        except OSError as error:
            raise ClusterError(f"--slurm: cannot run {sbatch} ({error.strerror or error})"
                               ) from None
        if done.returncode != 0:
            raise ClusterError(self._refusal(done.stderr or done.stdout))
        _CHECKED.add(self)

    def _refusal(self, output: str) -> str:
        """One line from sbatch's refusal: its first error, and the option that changes it."""
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines
        reason = errors[0] if errors else "no reason given"
        for prefix in ("sbatch: error: ", "sbatch: "):
            reason = reason.removeprefix(prefix)
        option = next((flag for word, flag in SBATCH_OPTIONS if word in reason.lower()), None)
        values = {"--slurm-memory": self.memory, "--slurm-partition": self.partition,
                  "--slurm-account": self.account, "--slurm-gpus": self.gpus,
                  "--slurm-walltime": self.walltime, "--runs-per-gpu": self.processes}
        named = f"{option} {values[option]}" if option else "--slurm"
        advice = (f"; {_largest_node(self.partition)}" if option == "--slurm-memory" else "")
        return (f"{named}: SLURM refuses the worker job ({reason}){advice}; change "
                f"{option or 'the --slurm-* options'} and rerun")

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


def _largest_node(partition: str | None) -> str:
    """What ``sinfo`` says of the memory of the nodes (of ``partition``), as advice."""
    sinfo = shutil.which("sinfo")
    if sinfo is None:
        return "sinfo lists each node's memory"
    try:
        done = subprocess.run([sinfo, "-h", "-o", "%m", *(["-p", partition] if partition else [])],
                              capture_output=True, text=True, timeout=SBATCH_TIMEOUT,
                              stdin=subprocess.DEVNULL)
        sizes = [int(word.rstrip("+")) for word in done.stdout.split()
                 if word.rstrip("+").isdigit()]
    except (OSError, subprocess.TimeoutExpired):
        sizes = []
    if not sizes:
        return "sinfo lists each node's memory"
    return f"the largest node offers {max(sizes)} MB (sinfo)"


def ignore_interrupts() -> None:
    """Run on each local worker (in its main thread): SIGINT (Ctrl-C, sent to the whole process
    group by a terminal) is ignored there; the astray process handles it and closes them."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    settings = {"distributed.worker.daemon": False, "distributed.scheduler.allowed-failures": 1,
                # worker processes log only errors: their warnings while a cluster closes
                # (cancelled tasks after Ctrl-C) are not the user's business; failures reach
                # the user as failed runs with their error
                "distributed.nanny.pre-spawn-environ": {
                    **dask.config.get("distributed.nanny.pre-spawn-environ", {}),
                    "DASK_LOGGING__DISTRIBUTED": "error"}}
    with dask.config.set(settings):
        cluster = None
        try:
            if slurm is not None:
                slurm.check()  # a job SLURM refuses is one line here, not a hang later
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
                # Ctrl-C reaches the whole process group: the workers leave it to this
                # process, which closes them (no KeyboardInterrupt traceback of a worker)
                client.run(ignore_interrupts)
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

