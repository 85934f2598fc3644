# dc.bash: the lab's Active Directory domain controller (sourced by applab; DESIGN.md 7a, issue 11).
#
# A Samba AD DC (Debian's samba-ad-dc) in a network namespace of its own, dc1, plugged into the
# public switch at 192.0.2.8, as a company's DC sits on the network its file servers and clients
# share. Realm LAB.EXAMPLE.ORG, NetBIOS domain LAB, internal DNS. It is provisioned at its first
# start into $STATE/dc (samba-tool domain provision --targetdir: every file it makes lives there),
# with an Administrator password made once per lab ($STATE/dc-password, 0600). `applab down`
# removes it with the rest of the lab. The KDC, LDAP and SMB answer on 192.0.2.8 only.

DC_NS=dc1
DC_IP4=192.0.2.8/24
DC_REALM=LAB.EXAMPLE.ORG
DC_DOMAIN=LAB
DC_DIR=$STATE/dc
DC_SECRET=$STATE/dc-password
DC_START_TIMEOUT=90 # seconds for the KDC and LDAP to answer after samba starts

dc_conf() { printf '%s/etc/smb.conf' "$DC_DIR"; }
dc_ip() { printf '%s' "${DC_IP4%/*}"; }

# The DC's processes: every one in its network namespace.
dc_pids() {
    is_ns "/run/netns/$DC_NS" || return 0
    echo "net $(ns_ino "/run/netns/$DC_NS")" | pids_in_ns
}

dc_secret_init() {
    [[ -s $DC_SECRET ]] && return 0
    (
        umask 077
        # AD's complexity rules want upper and lower case, digits and a symbol.
        printf 'Lab-%s-Dc1\n' "$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')" >"$DC_SECRET.tmp"
    )
    mv "$DC_SECRET.tmp" "$DC_SECRET"
}

dc_net_up() {
    if ! is_ns "/run/netns/$DC_NS"; then
        ip netns add "$DC_NS"
    fi
    if ! ip link show dev "$DC_NS-eth0" &>/dev/null; then
        ip link add "$DC_NS-eth0" type veth peer name eth0 netns "$DC_NS" address 02:1a:b0:ff:00:08
        ip link set dev "$DC_NS-eth0" addrgenmode none
        ip link set dev "$DC_NS-eth0" master "$PUB_BR" up
        ip -n "$DC_NS" link set dev lo up
        ip -n "$DC_NS" addr add "$DC_IP4" dev eth0
        ip -n "$DC_NS" link set dev eth0 up
    fi
}

# dc_provision: the domain, once (about 20 s on a 2-core machine).
dc_provision() {
    [[ -s $(dc_conf) ]] && return 0
    command -v samba-tool >/dev/null ||
        die "samba-tool is missing: the lab's DC needs samba-ad-dc and samba-ad-provision (run scripts/install-deps)."
    local t0 log=$STATE/dc-provision.log
    t0=$(now_us)
    rm -rf --one-file-system "$DC_DIR"
    mkdir -p "$DC_DIR/log" "$DC_DIR/run"
    if ! samba-tool domain provision --targetdir="$DC_DIR" --realm="$DC_REALM" --domain="$DC_DOMAIN" \
        --server-role=dc --dns-backend=SAMBA_INTERNAL --host-name="$DC_NS" --host-ip="$(dc_ip)" \
        --use-rfc2307 --adminpass="$(<"$DC_SECRET")" \
        --option="interfaces = lo $(dc_ip)" --option="bind interfaces only = yes" \
        --option="log file = $DC_DIR/log/samba.log" --option="pid directory = $DC_DIR/run" \
        --option="ncalrpc dir = $DC_DIR/ncalrpc" >"$log" 2>&1; then
        tail -n 5 "$log" >&2
        rm -rf --one-file-system "$DC_DIR"
        die "the DC's domain could not be provisioned (its log: $log)."
    fi
    # The realm's own DNS answers the realm; nothing is forwarded off the lab (provision copies
    # the host's resolver as the forwarder).
    sed -i '/^[[:space:]]*dns forwarder[[:space:]]*=/d' "$(dc_conf)"
    say "dc: domain $DC_REALM provisioned in $(elapsed "$t0") s."
}

dc_answers() {
    ip netns exec "$CLIENT" bash -c "exec 3<>/dev/tcp/$(dc_ip)/88 && exec 4<>/dev/tcp/$(dc_ip)/389" 2>/dev/null
}

dc_up() {
    local t0 pid
    t0=$(now_us)
    dc_secret_init
    dc_net_up
    dc_provision
    if [[ -z $(dc_pids) ]]; then
        # /run/samba exists on the host (it is where a fresh machine has none) only as the mount
        # point of the DC's own: `applab down` removes it when it is left empty.
        if [[ ! -d /run/samba ]]; then
            mkdir -p /run/samba
            echo /run/samba >>"$STATE/created"
        fi
        (
            close_fds
            exec unshare --mount --propagation private -- "$SELF" _dc-run
        ) </dev/null >>"$DC_DIR/log/samba.stdout" 2>&1 &
        pid=$!
        echo "$pid" >"$DC_DIR/samba.launcher.pid"
    fi
    wait_for "$DC_START_TIMEOUT" dc_answers ||
        die "the DC did not answer on $(dc_ip) (KDC 88, LDAP 389) within $DC_START_TIMEOUT s (its log: $DC_DIR/log/samba.log)."
    say "dc: $DC_NS $(dc_ip) serves realm $DC_REALM (domain $DC_DOMAIN) after $(elapsed "$t0") s; Administrator's password in $DC_SECRET."
}

# Internal (applab _dc-run), in a mount namespace of the DC's own: its /run/samba is a directory
# of the DC's, so its smbd, winbindd and their built-in socket paths (/run/samba/winbindd/pipe,
# which Samba 4.17's smbd uses whatever smb.conf says) are its own and never the host's.
cmd_dc_run() {
    mkdir -p "$DC_DIR/run-samba"
    mount --bind "$DC_DIR/run-samba" /run/samba
    exec ip netns exec "$DC_NS" setsid samba -s "$(dc_conf)" --foreground --no-process-group
}

dc_down() {
    local pids i
    for i in $(seq 1 50); do
        mapfile -t pids < <(dc_pids)
        ((${#pids[@]})) || break
        kill -KILL "${pids[@]}" 2>/dev/null || true
        sleep 0.05
    done
    ip link del dev "$DC_NS-eth0" 2>/dev/null || true
    if is_ns "/run/netns/$DC_NS"; then ip netns del "$DC_NS" 2>/dev/null || true; fi
}

dc_status() {
    is_ns "/run/netns/$DC_NS" || return 0
    local pids state="NOT RUNNING"
    mapfile -t pids < <(dc_pids) # (a process gone while it is read fails find: not an error)
    ((${#pids[@]} == 0)) || state="running (${#pids[@]} processes)"
    printf 'dc %s  %s  realm %s (domain %s)  samba %s\n' "$DC_NS" "$DC_IP4" "$DC_REALM" "$DC_DOMAIN" "$state"
}

# applab dc up | down | tool ARGS... | krb5conf
cmd_dc() {
    local sub=${1:-}
    (($#)) && shift
    case $sub in
    up) (($# == 0)) || die "usage: applab dc up"; lock; require_lab; dc_up ;;
    down) (($# == 0)) || die "usage: applab dc down"; lock; dc_down ;;
    tool)
        # samba-tool on the DC's own database (users, groups, ...), e.g.
        # `applab dc tool user create alice 'Pass-word-1'`.
        [[ -s $(dc_conf) ]] || die "the lab has no DC (run applab up --dc)."
        exec samba-tool "$@" -s "$(dc_conf)"
        ;;
    krb5conf)
        # A krb5.conf naming the DC's KDC by address (no DNS needed), for kinit in tests.
        (($# == 0)) || die "usage: applab dc krb5conf"
        printf '[libdefaults]\n\tdefault_realm = %s\n\tdns_lookup_kdc = false\n\tdns_lookup_realm = false\n' "$DC_REALM"
        printf '[realms]\n\t%s = {\n\t\tkdc = %s\n\t\tadmin_server = %s\n\t}\n' "$DC_REALM" "$(dc_ip)" "$(dc_ip)"
        ;;
    *) die "usage: applab dc up|down|tool ARGS...|krb5conf" ;;
    esac
}
