# lab.bash: helpers for bats integration tests that run over the lab (images/lab/applab).
#
# Load it from a .bats file and build the lab once per file; tear it down in teardown_file, which
# bats runs even when tests fail, so nothing is left behind:
#
#   load lab
#
#   setup_file() {
#       lab_up --nodes 2 --luns 2          # fails the whole file if the lab cannot be built
#   }
#   teardown_file() {
#       lab_down
#   }
#   teardown() {                           # optional: show the lab's state when a test failed
#       lab_dump_on_failure
#   }
#
#   @test "a VS serves NFS from the client" {
#       vsadm_on n1 vserver create vs1
#       vsadm_on n1 vip add vs1 192.0.2.51/24 --home-port eth1
#       ...
#       wait_until 15 client nfs-ls 'nfs://192.0.2.51/vs1?version=4'
#   }
#
# The lab is one per machine (fixed names: bridges alpub/alic, namespaces n1.. and c1, state in
# /var/lib/applab), so test files that use it must run one after the other, as root.
# Daemons the lab starts close every inherited descriptor, so bats' fd 3 is never held open.

LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APPLAB=${APPLAB:-$LAB_REPO/images/lab/applab}

# lab_up [ARGS...]: applab up ARGS (idempotent). A lab left by an earlier, interrupted run with
# another shape is removed first.
lab_up() {
    if ! "$APPLAB" up "$@"; then
        echo "lab_up: applab up $* failed; retrying after applab down" >&2
        "$APPLAB" down || true
        "$APPLAB" up "$@"
    fi
}

# lab_down: remove the whole lab; safe when nothing is up.
lab_down() {
    "$APPLAB" down
}

# on NODE CMD...: run CMD inside NODE (its network and mount namespaces).
on() {
    "$APPLAB" exec "$@"
}

# client CMD...: run CMD in the client namespace c1 (192.0.2.100, 2001:db8:1::100).
client() {
    "$APPLAB" client "$@"
}

# vsadm_on NODE ARGS...: vsadm ARGS on NODE.
vsadm_on() {
    local node=$1
    shift
    "$APPLAB" exec "$node" vsadm "$@"
}

# applab ARGS...: any other lab command (port, node, storage, status).
applab() {
    "$APPLAB" "$@"
}

# wait_until TIMEOUT CMD...: run CMD every 0.1 s until it succeeds; fail (status 1, with a
# message naming CMD) if it has not within TIMEOUT seconds (decimals allowed). CMD's own output
# is kept quiet while polling; the last attempt's output is shown on failure.
wait_until() {
    local timeout=$1
    shift
    local end out
    # mawk's printf %d stops at 2^31: only the timeout goes through awk, the sum is bash's.
    end=$((${EPOCHREALTIME//[!0-9]/} + $(awk -v t="$timeout" 'BEGIN {printf "%d", t * 1000000}')))
    while :; do
        if out=$("$@" 2>&1); then
            return 0
        fi
        if ((${EPOCHREALTIME//[!0-9]/} >= end)); then
            echo "wait_until: '$*' did not succeed within ${timeout} s; last output:" >&2
            printf '%s\n' "$out" >&2
            return 1
        fi
        sleep 0.1
    done
}

# lab_dump: the lab's status and the tail of every node's applianced log (for failing tests).
lab_dump() {
    local log
    lab_dump_blocked
    lab_dump_warnings
    "$APPLAB" status >&2 || true
    for log in /var/lib/applab/nodes/*/log/applianced.log; do
        [[ -f $log ]] || continue
        echo "--- $log (last 30 lines)" >&2
        tail -n 30 "$log" >&2
    done
}

# lab_dump_blocked: every process of the machine that sleeps uninterruptibly (state D: a
# mount, an unmount or I/O that does not come back), with where in the kernel it waits; first
# in a dump, as CI shows a dump's beginning.
lab_dump_blocked() {
    local pid st wchan comm
    while read -r pid st wchan comm; do
        [[ $st == D* ]] || continue
        echo "# blocked in the kernel: pid $pid ($comm) state $st in $wchan: $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | head -c 120)" >&2
        head -n 6 /proc/"$pid"/stack 2>/dev/null | sed 's/^/#     /' >&2 || true
    done < <(ps -eo pid=,stat=,wchan:40=,comm= 2>/dev/null)
}

# lab_dump_warnings: the last warnings and errors of every node's applianced (a server that
# died, a move that failed, a probe that timed out); early in a dump, as CI shows its beginning.
lab_dump_warnings() {
    local log node
    echo "# disk: $(df -h --output=target,avail /var/lib/applab /tmp 2>/dev/null | tail -n +2 | tr -s ' ' | tr '\n' ';')" >&2
    for log in /var/lib/applab/nodes/*/log/applianced.log; do
        [[ -f $log ]] || continue
        node=$(basename "$(dirname "$(dirname "$log")")")
        grep -E '^[^ ]+ (warn|warning|error):' "$log" 2>/dev/null | tail -n 12 |
            sed "s/^/# $node: /" >&2 || true
    done
    # What a ganesha said before it ended (its own log, by VS).
    for log in /var/lib/applab/nodes/*/run/appliance/vs/*/ganesha.log; do
        [[ -f $log ]] || continue
        grep -E ' :(CRIT|FATAL|MAJ) :' "$log" 2>/dev/null | tail -n 3 |
            sed "s|^|# $(echo "$log" | cut -d/ -f6,10): |" >&2 || true
    done
}

# lab_dump_on_failure: call from teardown(); dumps the lab when the test just failed.
lab_dump_on_failure() {
    if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
        lab_dump
    fi
}
