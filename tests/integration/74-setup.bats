#!/usr/bin/env bats
# The first setup from the web console (issue 13 item 2, README "First boot from a seed"), on a
# one-node lab with no console account and no cluster: applianced keeps a setup code (0600 in its
# run directory, never in the event log); GET /api/v1/setup says the node needs setup; a POST that
# is not JSON (415), with a wrong code (403) or with a seed the seed validator refuses (400)
# changes nothing; 5 wrong codes on the control socket make a new code, with an event that never
# quotes it; the control request is refused to a uid that is neither root nor apweb's; the POST
# with the code (read as root from the run directory) makes the account and the cluster at once,
# writes the seed for the next boot where applianced was told (the node's name and address, never
# the account; the seed units' network phase takes it), and then the setup is no longer needed:
# GET 404, POST 409, the code's file gone; the new account logs in. In headless Chromium
# (browser.mjs), the console's start page is the setup form while the node needs it (a wrong
# code's sentence shown), and the login once set up. No restart in the lab.

load lab
load web

WEB_ADDR=192.0.2.11 # n1's own address: its apweb listens there (web.bash's api)
STATE=/var/lib/appliance/apweb
SEED=/var/lib/appliance/appliance-seed.json # applab's --setup-seed

setup_file() {
	export APPLAB_SOCKET_GROUP=nogroup APPLAB_WEB_USER=nobody APPLAB_WEB=0
	lab_up --nodes 1 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-setup.XXXXXX)
	echo n1 >"$TMPD/node"
	web_start --login-attempts 1000 --assets "$APPLAB_BIN/console"
}

teardown_file() {
	web_teardown_file
}

teardown() {
	web_teardown
}

# ctl JSON [SETPRIV ARGS...]: one request on n1's control socket (as root, or as setpriv makes
# the caller), its answer line on stdout.
ctl() {
	local req=$1
	shift
	on n1 ${1:+setpriv "$@"} /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("/run/appliance/applianced.sock")
s.sendall((sys.argv[1] + "\n").encode())
print(s.makefile().readline().strip())' "$req"
}

code() { on n1 cat /run/appliance/setup-code; }

# browser STEP ARGS...: one scenario of the console's browser.mjs (headless Chromium) in the
# client namespace, against n1's apweb.
browser() {
	local rc=0
	client env SHOTS="$LAB_REPO/build/console-shots" HOME="$TMPD" timeout 240 node \
		"$LAB_REPO/appliance/console/tests/browser.mjs" "$1" "https://$WEB_ADDR:8443/" "${@:2}" \
		>"$TMPD/browser.out" 2>&1 || rc=$?
	cat "$TMPD/browser.out" # what failed (bats's errexit would skip it after a failure)
	return $rc
}

# Nothing was set up: no account, no cluster, no seed file, the setup still needed.
untouched() {
	vsadm_on n1 admin show --json | jq -e 'length == 0'
	vsadm_on n1 cluster show --json | jq -e '.enabled == false'
	! on n1 test -e "$SEED" || false
	ctl '{"cmd":"setup.show","args":{}}' | jq -e '.data.needed == true'
}

form() { # CODE: the setup form of the test (n1 keeps its name: its cluster is made at once)
	jq -nc --arg code "$1" '{code: $code, node: "n1", port: "eth1", address: "192.0.2.11/24",
		gateway: "192.0.2.1", dns: ["192.0.2.53"],
		cluster: {create: {name: "solo", nodes: "n1=192.0.2.11"}},
		admin: {name: "root1", password: "first-pass-1"}}'
}

@test "the node asks for its setup, with a code kept 0600 and never logged" {
	api GET /api/v1/setup
	is 200 '.needed == true'
	on n1 test -s /run/appliance/setup-code
	[ "$(on n1 stat -c %a /run/appliance/setup-code)" = 600 ]
	[[ $(code) =~ ^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$ ]]
	vsadm_on n1 event show --last 20 --json | jq -e 'any(.[]; .message | test("asks for its setup"))'
	! vsadm_on n1 event show --last 100 --json | grep -F "$(code)" || false
	! grep -F "$(code)" /var/lib/applab/nodes/n1/log/applianced.log || false
	untouched
}

@test "the console's start page is the setup form; a wrong code's sentence is shown" {
	[ -f "$APPLAB_BIN/console/MANIFEST" ] || skip "the console is not built (make console)"
	browser setup WRNG-WRNG wrong
	untouched
}

@test "refusals change nothing: not JSON, a wrong code, a refused seed" {
	local c
	c=$(code)
	api POST /api/v1/setup "$(form "$c")" text/plain
	is 415
	api POST /api/v1/setup "$(form WRNG-CODE)"
	is 403 '.error | test("setup code is wrong")'
	! grep -F "$c" "$TMPD/body" || false
	api POST /api/v1/setup "$(form "$c" | jq -c '.address = "300.1.1.1/24"')"
	is 400 '.error | test("address")'
	api POST /api/v1/setup "$(form "$c" | jq -c '.admin.crypt_hash = "x"')"
	is 400 '.error | test("not known")'
	api POST /api/v1/setup "$(form "$c" | jq -c 'del(.admin)')"
	is 400 '.error | test("first console account")'
	untouched
	[ "$(code)" = "$c" ] # one wrong code over HTTP: the code stays
}

@test "the control request: root or apweb only, and 5 wrong codes make a new code" {
	local c out
	c=$(code)
	out=$(ctl '{"cmd":"setup.apply","args":{"code":"x"}}' --reuid daemon --regid nogroup --clear-groups)
	echo "$out" | jq -e '.ok == false and (.error | test("Permission denied"))'
	out=$(ctl '{"cmd":"setup.apply","as":"root1","args":{"code":"x"}}' --reuid nobody --regid nogroup --clear-groups)
	echo "$out" | jq -e '.ok == false'
	# Wrong codes in a row (the right code of the refused seeds before started the count again).
	for i in 1 2 3 4; do
		ctl '{"cmd":"setup.apply","args":{"code":"AAAA-AAAA"}}' | jq -e '.error | test("setup code is wrong \\(")'
	done
	ctl '{"cmd":"setup.apply","args":{"code":"AAAA-AAAA"}}' | jq -e '.error | test("a new one was made")'
	[ "$(code)" != "$c" ]
	vsadm_on n1 event show --last 5 --json | jq -e 'any(.[]; .message | test("5 wrong setup codes"))'
	! vsadm_on n1 event show --last 100 --json | grep -F -e "$c" -e "$(code)" || false
	# The old code is no longer taken.
	ctl "$(jq -nc --arg c "$c" '{cmd: "setup.apply", args: {code: $c, seed: {version: 1, node: "n1"}}}')" |
		jq -e '.error | test("setup code is wrong")'
	untouched
}

@test "the setup with the code: account and cluster now, the seed for the next boot" {
	api POST /api/v1/setup "$(form "$(code)")"
	is 200 '.data.node == "n1" and .data.address == "192.0.2.11" and .data.reboot == true and .data.restarting == false and .data.cluster_later == false'
	vsadm_on n1 admin show --json | jq -e 'length == 1 and .[0].name == "root1" and .[0].role == "admin"'
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '.enabled and .cluster == \"solo\" and .quorate'"
	# The seed for the next boot: the name and the address, never the account or the cluster
	# (made already); 0600.
	[ "$(on n1 stat -c %a "$SEED")" = 600 ]
	on n1 cat "$SEED" >"$TMPD/seed.json"
	jq -e '.version == 1 and .node == "n1" and .ports.eth1.addresses == ["192.0.2.11/24"] and
		.ports.eth1.gateway == "192.0.2.1" and (has("admin") | not) and (has("cluster") | not)' "$TMPD/seed.json"
	! grep -F -e first-pass-1 -e '$y$' "$TMPD/seed.json" || false
	# The seed units' network phase takes it (into a scratch root here).
	mkdir -p "$TMPD/root/etc/systemd/network"
	cp "$TMPD/seed.json" "$TMPD/appliance-seed.json"
	run appliance-seed network --root "$TMPD/root" --state-dir "$TMPD/st" --boot-seed "$TMPD/appliance-seed.json"
	[ "$status" -eq 0 ]
	[ "$(cat "$TMPD/root/etc/hostname")" = n1 ]
	grep -qx 'Address=192.0.2.11/24' "$TMPD/root/etc/systemd/network/10-seed-eth1.network"
	# Every change is an event with its reason.
	vsadm_on n1 event show --last 20 --json >"$TMPD/events"
	jq -e 'any(.[]; .message | test("console account root1 added .*first setup from the web console"))' "$TMPD/events"
	jq -e 'any(.[]; .message | test("setup from the web console .*create cluster solo"))' "$TMPD/events"
	jq -e 'any(.[]; .message | test("cluster solo created"))' "$TMPD/events"
	jq -e 'any(.[]; .message | test("waits for a restart"))' "$TMPD/events"
}

@test "once set up: no setup page, a second setup refused, the account logs in" {
	api GET /api/v1/setup
	is 404 '.error | test("set up")'
	api POST /api/v1/setup "$(form ABCD-EFGH)"
	is 409 '.error | test("already set up")'
	! on n1 test -e /run/appliance/setup-code || false
	ctl '{"cmd":"setup.show","args":{}}' | jq -e '.data.needed == false'
	rm -f "$TMPD/jar" "$TMPD/csrf"
	api POST /api/v1/login '{"name":"root1","password":"first-pass-1"}'
	is 200 '.name == "root1" and .role == "admin"'
	jq -r .csrf "$TMPD/body" >"$TMPD/csrf"
	api GET /api/v1/cluster
	is 200 '.cluster == "solo"'
	# The console's start page is the login again.
	[ ! -f "$APPLAB_BIN/console/MANIFEST" ] || browser login root1 first-pass-1
}
