#!/usr/bin/env bats
# apweb, the unprivileged web process (issue 12, its first slice), over a two-node lab: started
# as root on the node that holds the cluster management address (192.0.2.5), it drops to
# nobody:nogroup (applianced's socket group here, APPLAB_SOCKET_GROUP) with no capability left,
# serves GET /metrics over HTTPS to the client with a VS's and a node's lines and
# appliance_scrape_ok 1, answers 404 to another path, 405 to POST and 413 to a large body, and
# keeps its certificate across a restart. A control socket out of reach turns
# appliance_scrape_ok to 0 with the last figures kept, and back to 1 when it is there again.

load lab

MGMT=192.0.2.5
STATE=/var/lib/appliance/apweb # in the node's own state (the lab binds it per node)

setup_file() {
	export APPLAB_SOCKET_GROUP=nogroup
	lab_up --nodes 2 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-web.XXXXXX)
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	vsadm_on n1 vserver create web0 --home n1
	vsadm_on n1 vip add web0 192.0.2.71/24 --home-port eth1
	vsadm_on n1 fs add web0 data --lun LABEL=lab-lun0
	vsadm_on n1 export add web0 /data --fs data
	vsadm_on n1 vserver start web0
	wait_until 60 bash -c "$APPLAB exec n1 vsadm vserver show web0 --json | jq -e '.runtime.state == \"running\"'"
	# The node that holds the management address serves it.
	wait_until 30 mgmt_node
	mgmt_node >"$TMPD/node"
}

teardown_file() {
	web_stop
	lab_down
	rm -rf "$TMPD"
}

teardown() {
	lab_dump_on_failure
	[ -z "${BATS_TEST_COMPLETED:-}" ] && cat "$TMPD/apweb.log" >&3 2>/dev/null || true
}

mgmt_node() {
	local n
	for n in n1 n2; do
		if on "$n" ip -o addr show | grep -q " $MGMT/"; then
			echo "$n"
			return 0
		fi
	done
	return 1
}

# web_start [ARGS...]: apweb on the management node, as root, in the background, with ARGS
# added; its pid in $TMPD/pid.
web_start() {
	local node pid before
	node=$(cat "$TMPD/node")
	before=$(grep -c "serving https://" "$TMPD/apweb.log" 2>/dev/null) || before=0
	"$APPLAB" exec "$node" setsid apweb --user nobody --state-dir "$STATE" --node "$node" \
		--listen 0.0.0.0:8443 "$@" </dev/null >>"$TMPD/apweb.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$TMPD/pid"
	wait_until 10 bash -c "(( \$(grep -c 'serving https://' '$TMPD/apweb.log') > $before ))"
	[ "$(cat /proc/"$pid"/comm)" = apweb ]
}

web_stop() {
	local pid
	pid=$(cat "$TMPD/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
	rm -f "$TMPD/pid"
}

get() { # PATH [CURL ARGS...]: the body, from the client
	local path=$1
	shift
	client curl -sS -k --max-time 10 "$@" "https://$MGMT:8443$path"
}

code() { # PATH [CURL ARGS...]: the status code, from the client
	local path=$1
	shift
	client curl -sS -k --max-time 10 -o /dev/null -w '%{http_code}' "$@" "https://$MGMT:8443$path"
}

served_fingerprint() {
	client openssl s_client -connect "$MGMT:8443" -servername "$(cat "$TMPD/node")" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256
}

@test "apweb runs as nobody with no capability, its key 0600 in a 0700 directory it owns" {
	web_start
	pid=$(cat "$TMPD/pid")
	grep -E '^Uid:\s+65534\s+65534\s+65534\s+65534$' /proc/"$pid"/status
	grep -E '^Gid:\s+65534\s+65534\s+65534\s+65534$' /proc/"$pid"/status
	grep -E '^Groups:\s*$' /proc/"$pid"/status
	grep -E '^CapEff:\s+0000000000000000$' /proc/"$pid"/status
	grep -E '^NoNewPrivs:\s+1$' /proc/"$pid"/status
	node=$(cat "$TMPD/node")
	[ "$(on "$node" stat -c '%U %a' "$STATE")" = "nobody 700" ]
	[ "$(on "$node" stat -c '%U %a' "$STATE/key.pem")" = "nobody 600" ]
	# It listens on 8443 alone.
	on "$node" ss -Hltnp | grep "pid=$pid," | awk '{print $4}' >"$TMPD/ports"
	[ "$(cat "$TMPD/ports")" = "0.0.0.0:8443" ]
}

@test "GET /metrics from the client: a VS's and a node's lines, scrape ok, Prometheus text" {
	# The first refresh is at start; the loads come with the nodes' samples (every few s).
	wait_until 30 bash -c "$APPLAB client curl -sk --max-time 5 https://$MGMT:8443/metrics | grep -q '^appliance_vs_cpu_cores{vs=\"web0\",node=\"n1\"} '"
	get /metrics >"$TMPD/m"
	grep -x 'appliance_scrape_ok 1' "$TMPD/m"
	grep -x 'appliance_vs_state{vs="web0",state="running",node="n1"} 1' "$TMPD/m"
	grep -E '^appliance_vs_network_bytes_per_second\{vs="web0",node="n1"\} [0-9.e+-]+$' "$TMPD/m"
	grep -E '^appliance_vip_up\{vs="web0",address="192.0.2.71",port="eth1",node="n1"\} 1$' "$TMPD/m"
	grep -x 'appliance_node_member{node="n1"} 1' "$TMPD/m"
	grep -x 'appliance_node_member{node="n2"} 1' "$TMPD/m"
	grep -E '^appliance_node_cpu_cores\{node="n1"\} [0-9]+$' "$TMPD/m"
	grep -E '^appliance_lun_utilization_ratio\{lun="[^"]+",node="n1"\} [0-9.e+-]+$' "$TMPD/m"
	grep -x 'appliance_cluster_quorate 1' "$TMPD/m"
	grep -E '^appliance_moves\{kind="start",state="done"\} [1-9][0-9]*$' "$TMPD/m"
	grep -x '# TYPE appliance_vs_cpu_cores gauge' "$TMPD/m"
	# Every line a comment or a sample of ours.
	! grep -vE '^(# (HELP|TYPE) appliance_|appliance_[a-z_]+(\{.*\})? [0-9.e+-]+$)' "$TMPD/m" || false
	client curl -sS -k -D - -o /dev/null "https://$MGMT:8443/metrics" | tr -d '\r' |
		grep -ix 'content-type: text/plain; version=0.0.4; charset=utf-8'
}

@test "other paths 404, POST 405, a large body 413, each with one line" {
	[ "$(code /nope)" = 404 ]
	[ "$(code /)" = 404 ]
	[ "$(code '/metrics/../etc/passwd' --path-as-is)" = 404 ]
	[ "$(code /metrics -X POST -d x=1)" = 405 ]
	[ "$(code /metrics -X DELETE)" = 405 ]
	head -c 4096 /dev/zero | tr '\0' a >"$TMPD/body"
	[ "$(code /metrics -X GET --data-binary @"$TMPD/body")" = 413 ]
	[ "$(get /nope | wc -l)" = 1 ]
	client curl -sS -k -D - -o /dev/null -X POST -d x "https://$MGMT:8443/metrics" | tr -d '\r' |
		grep -ix 'allow: GET, HEAD'
	# Plain HTTP is not served.
	! client curl -sS --max-time 5 "http://$MGMT:8443/metrics" | grep -q appliance_ || false
}

@test "the certificate is kept across a restart (same fingerprint)" {
	served_fingerprint >"$TMPD/fp1"
	grep -q 'sha256 Fingerprint=' "$TMPD/fp1"
	web_stop
	web_start
	served_fingerprint >"$TMPD/fp2"
	diff "$TMPD/fp1" "$TMPD/fp2"
	[ "$(grep -c 'made a self-signed certificate' "$TMPD/apweb.log")" = 1 ]
	# Its subject names the node and it is not a CA.
	client openssl s_client -connect "$MGMT:8443" </dev/null 2>/dev/null |
		openssl x509 -noout -ext subjectAltName,basicConstraints >"$TMPD/ext"
	grep -q "DNS:$(cat "$TMPD/node")" "$TMPD/ext"
	grep -q 'CA:FALSE' "$TMPD/ext"
}

@test "applianced out of reach: appliance_scrape_ok 0, the last figures kept; back: 1" {
	node=$(cat "$TMPD/node")
	# Not the socket itself (keepalived's check pings applianced through it, so the management
	# address would move): apweb reads it through a link, which goes and comes back.
	link=/run/appliance/apweb-test.sock
	on "$node" ln -sf /run/appliance/applianced.sock "$link"
	web_stop
	web_start --socket "$link"
	wait_until 15 bash -c "$APPLAB client curl -sk --max-time 5 https://$MGMT:8443/metrics | grep -qx 'appliance_scrape_ok 1'"
	on "$node" rm "$link"
	wait_until 15 bash -c "$APPLAB client curl -sk --max-time 5 https://$MGMT:8443/metrics | grep -qx 'appliance_scrape_ok 0'"
	get /metrics >"$TMPD/m0"
	grep -x 'appliance_vs_state{vs="web0",state="running",node="n1"} 1' "$TMPD/m0"
	grep -E '^appliance_scrape_age_seconds [0-9.]+$' "$TMPD/m0"
	grep -q "cannot refresh /metrics: cannot reach applianced at $link" "$TMPD/apweb.log"
	on "$node" ln -sf /run/appliance/applianced.sock "$link"
	wait_until 15 bash -c "$APPLAB client curl -sk --max-time 5 https://$MGMT:8443/metrics | grep -qx 'appliance_scrape_ok 1'"
	grep -q "reading applianced's figures works again" "$TMPD/apweb.log"
	on "$node" rm "$link"
}
