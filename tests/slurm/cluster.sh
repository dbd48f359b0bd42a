#!/usr/bin/env bash
# A throw-away single-node Slurm cluster for the scale-out tests, run without systemd:
#   cluster.sh start DIR   writes DIR/slurm.conf, starts slurmctld and slurmd, waits for the node
#   cluster.sh stop DIR    scontrol shutdown, then stops what is left by PID
# Clients find it through SLURM_CONF=DIR/slurm.conf. No munge: auth/none and cred/none.
set -euo pipefail
cmd="${1:?start|stop}"
DIR="$(mkdir -p "${2:?folder}" && cd "$2" && pwd)"
export SLURM_CONF="$DIR/slurm.conf"

stop() {
  scontrol shutdown >/dev/null 2>&1 || true
  for _ in $(seq 50); do
    alive=0
    for f in "$DIR"/slurmctld.pid "$DIR"/slurmd.pid; do
      [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for f in "$DIR"/slurmctld.pid "$DIR"/slurmd.pid; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "cluster.sh: unknown command $cmd" >&2; exit 2; }
for b in slurmctld slurmd sbatch squeue scontrol; do
  command -v "$b" >/dev/null || PATH="$PATH:/usr/sbin"
  command -v "$b" >/dev/null || { echo "cluster.sh: $b not installed (Debian: slurmctld slurmd slurm-client)" >&2; exit 3; }
done

CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)"
USER_NAME="$(id -un)"
# A port pair of its own, so two clusters (or a leftover one) never meet.
PORT=$(( 20000 + ($$ % 20000) ))
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
cat > "$SLURM_CONF" <<CONF
ClusterName=keyswap-test
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$USER_NAME
SlurmdUser=$USER_NAME
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
MinJobAge=600
NodeName=localhost CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

slurmctld -D -i -f "$SLURM_CONF" >"$DIR/log/slurmctld.out" 2>&1 &
slurmd -D -N localhost -f "$SLURM_CONF" >"$DIR/log/slurmd.out" 2>&1 &
for _ in $(seq 150); do
  state="$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)"
  case "$state" in idle*|mixed*|allocated*) echo "slurm: node $state (conf $SLURM_CONF)"; exit 0 ;; esac
  sleep 0.1
done
echo "cluster.sh: the Slurm node did not come up; logs in $DIR/log" >&2
tail -5 "$DIR/log/"*.log >&2 || true
stop
exit 1
