#!/usr/bin/env bash
# slurm-local.sh - a one-node Slurm cluster on this machine, for testing RUNNER=slurm.
#
# Usage: scripts/slurm-local.sh start DIR | stop DIR | env DIR
#   start  writes DIR/slurm.conf, a munge key, and starts munged, slurmctld and slurmd
#          (as root), all with their state, sockets and logs under DIR, on loopback ports;
#          waits until the node is idle.
#   stop   stops the three daemons started from DIR.
#   env    prints the environment a client needs (SLURM_CONF), for eval.
# This is a test harness, not a scheduler: on a real cluster the site's Slurm is used as is
# (see README, "Running on a cluster").
set -euo pipefail
die() { echo "slurm-local.sh: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: slurm-local.sh start|stop|env DIR"
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
conf=$dir/slurm.conf

case "$cmd" in
env) echo "export SLURM_CONF=$conf"; exit 0 ;;
stop)
    for pid in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
        [[ -s "$pid" ]] && kill "$(cat "$pid")" 2>/dev/null || true
    done
    exit 0 ;;
start) ;;
*) die "unknown command '$cmd' (start, stop, env)" ;;
esac

[[ $(id -u) -eq 0 ]] || die "starting the test cluster needs root (munged and slurmd)"
for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian packages slurm-wlm and munge)"
done
host=$(hostname -s)
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chmod 700 "$dir/munge"
[[ -s "$dir/munge/munge.key" ]] || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
cat >"$conf" <<CONF
# Written by scripts/slurm-local.sh: a one-node test cluster, everything under $dir.
ClusterName=nnlab-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=nnlab Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" \
    --force 2>>"$dir/start.log" || die "munged did not start (see $dir/start.log)"
slurmctld -f "$conf" -i 2>>"$dir/start.log" || die "slurmctld did not start (see $dir/slurmctld.log)"
slurmd -f "$conf" 2>>"$dir/start.log" || die "slurmd did not start (see $dir/slurmd.log)"
for _ in $(seq 1 100); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    [[ "$state" == idle* ]] && { echo "slurm-local.sh: one-node cluster up ($host, $(nproc) CPUs)"; exit 0; }
    sleep 0.2
done
die "the node did not become idle (state '${state:-none}'; see $dir/*.log)"
