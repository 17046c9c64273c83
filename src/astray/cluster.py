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

import math
import os
import shutil
import subprocess
import time
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
                  ("--time", "--slurm-walltime"),
                  ("cpu", "--runs-per-gpu"))
#: Seconds sbatch --test-only may take (it asks the controller; an unreachable one is said).
SBATCH_TIMEOUT = 60
#: What sbatch says when it reaches no controller: none answers (a refused connection: sbatch
#: retries for 18 s with SLURM's default MessageTimeout of 10 s, measured with slurm-wlm 22.05),
#: or no slurm.conf says where one is (at once).
NO_CONTROLLER = ("unable to contact slurm controller", "could not establish a configuration source")
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
        conf = os.environ.get("SLURM_CONF")
        if conf and not os.path.isfile(conf):
            # sbatch would retry reading it for 59 s (measured), e.g. after slurm-local.sh stop
            raise ClusterError(f"--slurm: SLURM_CONF is {conf}, which is not a file; point it "
                               "at the cluster's slurm.conf, or unset it")
        start = time.monotonic()
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
            lines = [line.strip() for line in (done.stderr or done.stdout).splitlines()
                     if line.strip()]
            unreached = [line for line in lines if any(w in line.lower() for w in NO_CONTROLLER)]
            if unreached:
                raise ClusterError(f"--slurm: no SLURM controller answers (sbatch gave up "
                                   f"after {time.monotonic() - start:.0f} s: "
                                   f"{_unprefixed(unreached[0])}); "
                                   "start slurmctld, or point SLURM_CONF at the cluster's "
                                   "slurm.conf")
            raise ClusterError(self._refusal(lines))
        _CHECKED.add(self)

    def _refusal(self, lines: list[str]) -> str:
        """One line from sbatch's refusal (its lines): its first error, and the option that
        changes it."""
        errors = [line for line in lines if "error" in line.lower()] or lines
        reason = _unprefixed(errors[0]) if errors else "no reason given"
        option = next((flag for word, flag in SBATCH_OPTIONS if word in reason.lower()), None)
        if option is None and "node configuration is not available" in reason.lower():
            option = self._unfit_option()
        values = {"--slurm-memory": self.memory, "--slurm-partition": self.partition,
                  "--slurm-account": self.account, "--slurm-gpus": self.gpus,
                  "--slurm-walltime": self.walltime, "--runs-per-gpu": self.processes}
        named = f"{option} {values[option]}" if option else "--slurm"
        advice = (f"; {_largest_node(self.partition)}" if option == "--slurm-memory" else "")
        return (f"{named}: SLURM refuses the worker job ({reason}){advice}; change "
                f"{option or 'the --slurm-* options'} and rerun")

    def _unfit_option(self) -> str | None:
        """The option that asks more than the largest node (of the partition) has, where sbatch
        says only that the requested node configuration is not available (slurm-wlm 22.05 for
        too much memory or too many CPUs); None where sinfo cannot tell."""
        from dask.utils import parse_bytes

        memory_mb = _largest(self.partition, "%m")
        if memory_mb is not None and math.ceil(parse_bytes(self.memory) / 2**20) > memory_mb:
            return "--slurm-memory"
        cpus = _largest(self.partition, "%c")
        return "--runs-per-gpu" if cpus is not None and self.processes > cpus else None

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


def _unprefixed(line: str) -> str:
    """A line of sbatch's output without its ``sbatch: error:`` (or ``fatal:``) prefix."""
    for prefix in ("sbatch: error: ", "sbatch: fatal: ", "sbatch: "):
        line = line.removeprefix(prefix)
    return line


def _largest(partition: str | None, field: str) -> int | None:
    """The largest number ``sinfo`` lists in ``field`` (``%m``: a node's memory in MB, ``%c``:
    its CPUs) over the nodes (of ``partition``); None where sinfo cannot say."""
    sinfo = shutil.which("sinfo")
    if sinfo is None:
        return None
    try:
        done = subprocess.run([sinfo, "-h", "-o", field,
                               *(["-p", partition] if partition else [])],
                              capture_output=True, text=True, timeout=SBATCH_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    sizes = [int(word.rstrip("+")) for word in done.stdout.split() if word.rstrip("+").isdigit()]
    return max(sizes) if sizes else None


def _largest_node(partition: str | None) -> str:
    """What ``sinfo`` says of the memory of the nodes (of ``partition``), as advice."""
    memory_mb = _largest(partition, "%m")
    if memory_mb is None:
        return "sinfo lists each node's memory"
    return f"the largest node offers {memory_mb} MB (sinfo)"


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
    if slurm is not None:
        # a task of unknown length counts as an hour (Dask: 0.5 s), so that the adaptive SLURM
        # cluster asks for a job per task up to --max-jobs at once: with 0.5 s it started one
        # job for a 6-run sweep and the second only when the first run ended (9 s later on the
        # one-node test cluster); the lengths Dask measures replace it
        settings["distributed.scheduler.unknown-task-duration"] = "1h"
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

