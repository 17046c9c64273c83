#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, to try `astray scale --slurm` locally.
#
#   scripts/slurm-local.sh start    # (make slurm-up) then: export SLURM_CONF=<printed path>
#   scripts/slurm-local.sh status
#   scripts/slurm-local.sh stop     # (make slurm-down) cancels the jobs, stops, removes it all
#
# Debian's slurm-wlm and munge (apt-get installs them when missing and run as root); one node
# (this machine: its hostname, CPUs and memory as `slurmd -C` reports them) in one partition,
# `debug`, the default. Everything lives in one folder, $ASTRAY_SLURM_DIR (default
# /tmp/astray-slurm-<uid>): its own munge key and socket, slurm.conf, state, logs; the ports
# (16817, 16818: not SLURM's 6817/6818, so a real installation is left alone) can be changed
# with $ASTRAY_SLURMCTLD_PORT and $ASTRAY_SLURMD_PORT. Clients find it through SLURM_CONF.
set -euo pipefail

DIR=${ASTRAY_SLURM_DIR:-/tmp/astray-slurm-$(id -u)}
CONF=$DIR/slurm.conf
CTLD_PORT=${ASTRAY_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${ASTRAY_SLURMD_PORT:-16818}
PARTITION=debug
export SLURM_CONF=$CONF
# daemons live in /usr/sbin, which a non-root PATH may lack
export PATH=$PATH:/usr/sbin:/sbin

say() { echo "slurm-local: $*" >&2; }

install_packages() {
    local missing=()
    for tool in munged slurmctld slurmd sbatch; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "${missing[*]} not found: install Debian's packages as root: apt-get install slurm-wlm munge"
        exit 3
    fi
    say "installing slurm-wlm and munge (apt-get)"
    # only the daemons and clients; the recommended extras (docs, mail) are not needed
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends slurm-wlm munge; } >"${TMPDIR:-/tmp}/slurm-local-apt.log" 2>&1; then
        say "apt-get install slurm-wlm munge failed (network?): see ${TMPDIR:-/tmp}/slurm-local-apt.log"
        exit 4
    fi
}

pid_alive() { [ -s "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

node_state() { sinfo -h -N -n "$NODE" -o %t 2>/dev/null | head -n1; }

write_conf() {
    local user node_line
    user=$(id -un)
    # "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105": the node as slurmd sees it
    node_line=$(slurmd -C | head -n1)
    cat >"$CONF" <<EOF
ClusterName=astray-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
# no cgroups: containers and VMs often lack a writable cgroup tree
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
# one core per single-threaded worker job: jobs share the node by cores and memory
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# a cancelled job's processes get SIGKILL 2 s after SIGTERM (default 30 s)
KillWait=2
InactiveLimit=0
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    sed -i 's/ UpTime=[^ ]*//' "$CONF"
}

start() {
    install_packages
    if pid_alive slurmctld && pid_alive slurmd && [ -n "$(node_state)" ]; then
        say "already running ($CONF)"
        echo "export SLURM_CONF=$CONF"
        return 0
    fi
    stop_daemons
    rm -rf "$DIR"
    mkdir -p "$DIR/state" "$DIR/spool"
    chmod 700 "$DIR"
    write_conf
    mungekey --create --keyfile="$DIR/munge.key" >/dev/null 2>&1 || \
        dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none
    chmod 600 "$DIR/munge.key"
    # --force: munged as root (and its socket beside the key, not under /run/munge)
    munged --force --key-file="$DIR/munge.key" --socket="$DIR/munge.socket" \
        --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munged.seed"
    slurmctld -c -f "$CONF"
    slurmd -f "$CONF" -N "$NODE"
    local state=""
    for _ in $(seq 100); do
        state=$(node_state)
        [ "$state" = idle ] && break
        sleep 0.2
    done
    if [ "$state" != idle ]; then
        say "node $NODE is '${state:-not listed}' after 20 s; logs in $DIR:"
        tail -n 5 "$DIR"/slurmctld.log "$DIR"/slurmd.log "$DIR"/munged.log >&2 || true
        stop_daemons
        exit 1
    fi
    say "node $NODE idle in partition $PARTITION; clients need: export SLURM_CONF=$CONF"
    echo "export SLURM_CONF=$CONF"
}

stop_daemons() {
    if pid_alive slurmctld; then
        # the jobs first: a job's processes outlive slurmd
        local jobs
        jobs=$(squeue -h -o %i 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
            for _ in $(seq 50); do
                [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
                sleep 0.2
            done
        fi
    fi
    # all three at once: each takes about 2 s to end after SIGTERM (measured), 6 s in turn
    local name pids=()
    for name in slurmd slurmctld munged; do
        pid_alive "$name" && pids+=("$(cat "$DIR/$name.pid")")
    done
    [ ${#pids[@]} -eq 0 ] && return 0
    kill "${pids[@]}" 2>/dev/null || true
    local pid alive
    for _ in $(seq 100); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && return 0
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

stop() {
    stop_daemons
    rm -rf "$DIR"
    say "stopped (unset SLURM_CONF if it names $CONF)"
}

status() {
    if pid_alive slurmctld && pid_alive slurmd; then
        sinfo
        echo "export SLURM_CONF=$CONF"
    else
        say "not running"
        return 1
    fi
}

NODE=$(hostname -s)
case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
