#!/usr/bin/env bats
# apweb, the unprivileged web process (issue 12, its first slice), over a two-node lab: started
# as root on the node that holds the cluster management address (192.0.2.5), it drops to
# nobody:nogroup (applianced's socket group here, APPLAB_SOCKET_GROUP) with no capability left,
# serves GET /metrics over HTTPS to the client with a VS's and a node's lines and
# appliance_scrape_ok 1, answers 404 to another path, 405 to POST and 413 to a large body, and
# keeps its certificate across a restart. A control socket out of reach turns
# appliance_scrape_ok to 0 with the last figures kept, and back to 1 when it is there again.
# The REST API (accounts, roles, login): a wrong password 401, the right one 200 with the cookie's
# flags; a read-only account's POST 403 with nothing changed; an operator stops and starts a VS
# and the event log names the account; no or a wrong CSRF token 403; an account named on the
# control socket by anyone but apweb's uid (nobody, APPLAB_WEB_USER) is refused.

load lab
load web

MGMT=192.0.2.5
STATE=/var/lib/appliance/apweb # in the node's own state (the lab binds it per node)

setup_file() {
	# This file starts its own apweb (as nobody, with options of its own): not the lab's.
	export APPLAB_SOCKET_GROUP=nogroup APPLAB_WEB_USER=nobody APPLAB_WEB=0
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
	web_teardown_file
}

teardown() {
	web_teardown
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

# api METHOD PATH [CURL ARGS...]: "STATUS BODY" of an API call from the client, with the cookie
# jar of $TMPD/jar.
api() {
	local method=$1 path=$2
	shift 2
	client curl -sS -k --max-time 30 -b "$TMPD/jar" -c "$TMPD/jar" -X "$method" \
		-w '\n%{http_code}' "$@" "https://$MGMT:8443$path" >"$TMPD/resp"
	tail -n1 "$TMPD/resp" >"$TMPD/status"
	sed '$d' "$TMPD/resp" >"$TMPD/body"
}

login() { # NAME PASSWORD: a fresh session in the jar; its CSRF token in $TMPD/csrf
	rm -f "$TMPD/jar"
	api POST /api/v1/login -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$1\",\"password\":\"$2\"}" -D "$TMPD/headers"
	jq -r '.csrf // empty' "$TMPD/body" >"$TMPD/csrf"
}

@test "console accounts: added with vsadm, shown without a hash, refused by allow-list" {
	# The previous test left apweb on a link that is gone: back on the socket itself.
	web_stop
	web_start
	echo 'alice-pass-1' | "$APPLAB" exec n1 vsadm admin add alice --role admin --password-stdin
	echo 'bob-pass-123' | "$APPLAB" exec n1 vsadm admin add bob --role operator --password-stdin
	echo 'carol-pass-1' | "$APPLAB" exec n1 vsadm admin add carol --role read-only --password-stdin
	vsadm_on n1 admin show --json >"$TMPD/accounts"
	[ "$(jq -r '[.[] | .name + ":" + .role] | join(",")' "$TMPD/accounts")" = "alice:admin,bob:operator,carol:read-only" ]
	! grep -q '\$y\$' "$TMPD/accounts" || false
	# Replicated: n2 knows them.
	wait_until 10 bash -c "$APPLAB exec n2 vsadm admin show --json | jq -e 'length == 3'"
	# Refusals: one sentence, nothing changed.
	run bash -c "echo 'dave-pass-1' | $APPLAB exec n1 vsadm admin add 'da ve' --role admin --password-stdin"
	[ "$status" -ne 0 ]
	run bash -c "echo 'dave-pass-1' | $APPLAB exec n1 vsadm admin add dave --role root --password-stdin"
	[ "$status" -ne 0 ]
	[[ $output == *"A role is one of admin, operator or read-only."* ]]
	run bash -c "echo short | $APPLAB exec n1 vsadm admin add dave --role admin --password-stdin"
	[ "$status" -ne 0 ]
	[[ $output != *short* ]]
	[ "$(vsadm_on n1 admin show --json | jq length)" = 3 ]
	vsadm_on n1 event show --json >"$TMPD/ev"
	grep -q 'console account bob added (role operator)' "$TMPD/ev"
	! grep -q 'bob-pass' "$TMPD/ev" || false
}

@test "login: a wrong password 401, the right one 200 with a Secure HttpOnly SameSite=Strict cookie" {
	login alice wrong-password
	[ "$(cat "$TMPD/status")" = 401 ]
	jq -e '.error == "The account name or the password is wrong."' "$TMPD/body"
	login nobody-here whatever-pw
	[ "$(cat "$TMPD/status")" = 401 ]
	login alice alice-pass-1
	[ "$(cat "$TMPD/status")" = 200 ]
	jq -e '.name == "alice" and .role == "admin" and (.csrf | test("^[0-9a-f]{64}$"))' "$TMPD/body"
	tr -d '\r' <"$TMPD/headers" | grep -i '^set-cookie:' >"$TMPD/cookie"
	grep -qE 'apweb_session=[0-9a-f]{64};' "$TMPD/cookie"
	grep -q '; Secure' "$TMPD/cookie"
	grep -q '; HttpOnly' "$TMPD/cookie"
	grep -q '; SameSite=Strict' "$TMPD/cookie"
	grep -q '; Path=/' "$TMPD/cookie"
	api GET /api/v1/vservers
	[ "$(cat "$TMPD/status")" = 200 ]
	jq -e '.[] | select(.name == "web0")' "$TMPD/body"
	api GET /api/v1/vservers/web0
	[ "$(cat "$TMPD/status")" = 200 ]
	api GET /api/v1/vservers/nope0
	[ "$(cat "$TMPD/status")" = 404 ]
	jq -e '.error == "There is no virtual server named '"'"'nope0'"'"'."' "$TMPD/body"
	api GET '/api/v1/vservers/b%3Bad'
	[ "$(cat "$TMPD/status")" = 400 ]
	# No session: 401.
	rm -f "$TMPD/jar"
	api GET /api/v1/vservers
	[ "$(cat "$TMPD/status")" = 401 ]
}

@test "a read-only account: reads, but its POST stop is 403 and nothing changes" {
	login carol carol-pass-1
	[ "$(cat "$TMPD/status")" = 200 ]
	before=$(vsadm_on n1 event show --json | jq -c 'max_by(.ts_usec)')
	api GET /api/v1/events
	[ "$(cat "$TMPD/status")" = 200 ]
	api POST /api/v1/vservers/web0/stop -H "X-CSRF-Token: $(cat "$TMPD/csrf")"
	[ "$(cat "$TMPD/status")" = 403 ]
	jq -e '.error | startswith("Permission denied: the account carol is read-only")' "$TMPD/body"
	vsadm_on n1 vserver show web0 --json | jq -e '.admin == "running" and .runtime.state == "running"'
	[ "$(vsadm_on n1 event show --json | jq -c 'max_by(.ts_usec)')" = "$before" ]
}

@test "an operator stops and starts a VS through the API; the event log names the account" {
	login bob bob-pass-123
	[ "$(cat "$TMPD/status")" = 200 ]
	api POST /api/v1/vservers -H "X-CSRF-Token: $(cat "$TMPD/csrf")" --data-binary '{"name":"web9"}'
	[ "$(cat "$TMPD/status")" = 403 ] # creating is an admin's
	api POST /api/v1/vservers/web0/stop -H "X-CSRF-Token: $(cat "$TMPD/csrf")"
	[ "$(cat "$TMPD/status")" = 202 ]
	wait_until 60 bash -c "$APPLAB exec n1 vsadm vserver show web0 --json | jq -e '.runtime.state == \"stopped\"'"
	api POST /api/v1/vservers/web0/start -H "X-CSRF-Token: $(cat "$TMPD/csrf")"
	[ "$(cat "$TMPD/status")" = 202 ]
	wait_until 60 bash -c "$APPLAB exec n1 vsadm vserver show web0 --json | jq -e '.runtime.state == \"running\"'"
	vsadm_on n1 event show --vs web0 --json >"$TMPD/ev"
	jq -e '[.[] | select(.message | test("stop requested by operator bob \\(web\\)"))] | length == 1' "$TMPD/ev"
	jq -e '[.[] | select(.message | test("start requested by operator bob \\(web\\)"))] | length == 1' "$TMPD/ev"
	api POST /api/v1/logout -H "X-CSRF-Token: $(cat "$TMPD/csrf")"
	[ "$(cat "$TMPD/status")" = 200 ]
	api GET /api/v1/vservers
	[ "$(cat "$TMPD/status")" = 401 ]
}

@test "a change without its CSRF token, or with a wrong one, is 403 and changes nothing" {
	login alice alice-pass-1
	api POST /api/v1/vservers --data-binary '{"name":"csrf1"}'
	[ "$(cat "$TMPD/status")" = 403 ]
	jq -e '.error == "The X-CSRF-Token header is missing or wrong."' "$TMPD/body"
	api POST /api/v1/vservers -H "X-CSRF-Token: $(printf '0%.0s' {1..64})" --data-binary '{"name":"csrf1"}'
	[ "$(cat "$TMPD/status")" = 403 ]
	! vsadm_on n1 vserver show csrf1 || false
	# With it: created (201), a bad value 400 with vsadm's sentence, a conflict 409, then deleted.
	api POST /api/v1/vservers -H "X-CSRF-Token: $(cat "$TMPD/csrf")" --data-binary '{"name":"csrf1"}'
	[ "$(cat "$TMPD/status")" = 201 ]
	api POST /api/v1/vservers -H "X-CSRF-Token: $(cat "$TMPD/csrf")" --data-binary '{"name":"csrf1"}'
	[ "$(cat "$TMPD/status")" = 409 ]
	api POST /api/v1/vservers -H "X-CSRF-Token: $(cat "$TMPD/csrf")" --data-binary '{"name":"csrf2","priority":900}'
	[ "$(cat "$TMPD/status")" = 400 ]
	jq -e '.error == "The priority must be between 0 and 100."' "$TMPD/body"
	api DELETE /api/v1/vservers/csrf1 -H "X-CSRF-Token: $(cat "$TMPD/csrf")"
	[ "$(cat "$TMPD/status")" = 200 ]
	vsadm_on n1 event show --json | jq -e '[.[] | select(.message | test("virtual server created by admin alice \\(web\\)"))] | length == 1'
	api PUT /api/v1/vservers
	[ "$(cat "$TMPD/status")" = 405 ]
	head -c 20000 /dev/zero | tr '\0' a >"$TMPD/big"
	api POST /api/v1/vservers -H "X-CSRF-Token: $(cat "$TMPD/csrf")" --data-binary @"$TMPD/big"
	[ "$(cat "$TMPD/status")" = 413 ]
}

@test "an account named on the control socket by another uid than apweb's is refused" {
	node=$(cat "$TMPD/node")
	req='{"cmd":"vserver.stop","as":"alice","args":{"name":"web0","no_wait":true}}'
	ask='import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect("/run/appliance/applianced.sock"); s.sendall(sys.argv[1].encode()+b"\n"); print(s.makefile().readline().strip())'
	# As root (not apweb's uid): refused whole.
	on "$node" python3 -c "$ask" "$req" >"$TMPD/r1"
	jq -e '.ok == false and .error == "Permission denied: only the web process may act for a console account."' "$TMPD/r1"
	# As uid 1000 in the socket group (may read): refused too.
	on "$node" setpriv --reuid=1000 --regid=65534 --clear-groups python3 -c "$ask" "$req" >"$TMPD/r2"
	jq -e '.ok == false and .error == "Permission denied: only the web process may act for a console account."' "$TMPD/r2"
	# A login check is apweb's (and root's) alone.
	on "$node" setpriv --reuid=1000 --regid=65534 --clear-groups python3 -c "$ask" \
		'{"cmd":"admin.login","args":{"name":"alice","password":"alice-pass-1"}}' >"$TMPD/r3"
	jq -e '.ok == false' "$TMPD/r3"
	vsadm_on n1 vserver show web0 --json | jq -e '.admin == "running"'
	# As apweb's uid (nobody) with an account: its role applies.
	on "$node" setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c "$ask" \
		'{"cmd":"vserver.stop","as":"carol","args":{"name":"web0","no_wait":true}}' >"$TMPD/r4"
	jq -e '.ok == false and (.error | startswith("Permission denied: the account carol is read-only"))' "$TMPD/r4"
	vsadm_on n1 vserver show web0 --json | jq -e '.admin == "running"'
}
