#!/usr/bin/env bats
# The REST API of apweb (issue 12, item 3) over a two-node lab, from the client, with a session
# cookie and the CSRF header: every endpoint once with success and once refused, the refusal
# carrying vsadm's own sentence where vsadm has one (bad value: 400; unknown thing: 404; a
# conflict: 409); no session: 401; a read-only account's change and an operator's admin-only
# request: 403; unknown paths: 404, wrong methods: 405. Long actions answer 202 at once: a
# migration names the moves to poll, one is then polled to done; an evacuation likewise. The
# event log as server-sent events: a change made with vsadm arrives on an open stream,
# Last-Event-ID resumes, a ninth stream is refused with 503, logging out ends a stream, an idle
# stream gets its heartbeat. Not covered here: a successful domain join (it needs the domain
# controller of 28-dc.bats; its refusal is).

load lab
load web

MGMT=192.0.2.5
STATE=/var/lib/appliance/apweb
VIP=192.0.2.81

setup_file() {
	# This file starts its own apweb (as nobody, with a login limit of its own): not the lab's.
	export APPLAB_SOCKET_GROUP=nogroup APPLAB_WEB_USER=nobody APPLAB_WEB=0
	lab_up --nodes 2 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-api.XXXXXX)
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	echo 'alice-pass-1' | "$APPLAB" exec n1 vsadm admin add alice --role admin --password-stdin
	echo 'bob-pass-123' | "$APPLAB" exec n1 vsadm admin add bob --role operator --password-stdin
	echo 'carol-pass-1' | "$APPLAB" exec n1 vsadm admin add carol --role read-only --password-stdin
	wait_until 30 mgmt_node
	mgmt_node >"$TMPD/node"
	wait_until 10 bash -c "$APPLAB exec $(cat "$TMPD/node") vsadm admin show --json | jq -e 'length == 3'"
	web_start --login-attempts 1000 # every test logs in anew
}

teardown_file() {
	web_teardown_file
}

teardown() {
	web_teardown
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		[ ! -f "$TMPD/s1" ] || sed 's/^/s1: /' "$TMPD/s1" >&3
		vsadm_on "$(cat "$TMPD/node")" event show --last 3 --json | jq -c '.[] | [.id, .ts_usec, .node, .vs, .message]' >&3 || true
	fi
}

# refused STATUS VSADM-ARGS...: the last call's status was STATUS and its error is the sentence
# vsadm prints for the same request.
refused() {
	local st=$1 sentence
	shift
	sentence=$("$APPLAB" exec "$(cat "$TMPD/node")" vsadm "$@" 2>&1 </dev/null) && {
		echo "vsadm $* succeeded" >&2
		return 1
	}
	sentence=${sentence#vsadm: }
	is "$st" ".error == $(jq -Rn --arg s "$sentence" '$s')"
}

login() { # NAME PASSWORD: a fresh session in the jar; its CSRF token in $TMPD/csrf
	rm -f "$TMPD/jar" "$TMPD/csrf"
	api POST /api/v1/login "{\"name\":\"$1\",\"password\":\"$2\"}"
	jq -r '.csrf // empty' "$TMPD/body" >"$TMPD/csrf"
	is 200
}

vs_state() { # VS STATE: the VS's runtime state is STATE
	vsadm_on n1 vserver show "$1" --json | jq -e --arg s "$2" '.runtime.state == $s'
}

@test "virtual servers, VIPs, failover groups, file systems, exports and shares" {
	login alice alice-pass-1
	api POST /api/v1/vservers '{"name":"api1","home":"n1","priority":60}'
	is 201
	api POST /api/v1/vservers '{"name":"api1"}'
	refused 409 vserver create api1
	api POST /api/v1/vservers '{"name":"api2","priority":101}'
	refused 400 vserver create api2 --priority 101
	api POST /api/v1/vservers '{"name":"api2","priority":"high"}'
	is 400 '.error == "The member '"'"'priority'"'"' must be an integer."'
	api PATCH /api/v1/vservers/api1 '{"nfs_lease":30,"auto_revert":false}'
	is 200
	api PATCH /api/v1/vservers/api1 '{"nfs_lease":-4}'
	refused 400 vserver set api1 --nfs-lease -4
	api GET /api/v1/vservers/api1
	is 200 '.nfs_lease == 30 and .auto_revert == false'
	api PATCH /api/v1/vservers/api1 '{"auto_revert":true}'
	is 200
	# Failover groups.
	api POST /api/v1/fgroups '{"name":"pub","ports":"eth1,eth2","hold_down":5}'
	is 201
	api POST /api/v1/fgroups '{"name":"pub2","ports":"eth9"}'
	refused 400 fgroup create pub2 --ports eth9 # a bad value of the body
	api PATCH /api/v1/fgroups/pub '{"port_speed":1000}'
	is 200
	api PATCH /api/v1/fgroups/pub '{"port_speed":500000}'
	refused 400 fgroup set pub --port-speed 500000
	api GET /api/v1/fgroups
	is 200 '.[] | select(.name == "pub")'
	# VIPs.
	api POST /api/v1/vservers/api1/vips "{\"address\":\"$VIP/24\",\"home_port\":\"eth1\",\"group\":\"pub\"}"
	is 201
	api POST /api/v1/vservers/api1/vips '{"address":"192.0.2.999/24","home_port":"eth1"}'
	refused 400 vip add api1 192.0.2.999/24 --home-port eth1
	api GET /api/v1/vservers/api1/vips
	is 200 "[.[] | select(.address == \"$VIP\")] | length == 1"
	api GET '/api/v1/vips?vs=api1'
	is 200 'length == 1'
	api GET '/api/v1/vips?vs=no;pe'
	is 400
	# File systems, exports, shares.
	api POST /api/v1/vservers/api1/filesystems '{"fs":"data","lun":"LABEL=lab-lun0"}'
	is 201
	api POST /api/v1/vservers/api1/filesystems '{"fs":"more","lun":"LABEL=no-such-lun"}'
	refused 400 fs add api1 more --lun LABEL=no-such-lun
	api GET /api/v1/vservers/api1/filesystems
	is 200 '.[0].name == "data"'
	api POST /api/v1/vservers/api1/exports '{"pseudo":"/data","fs":"data","squash":"all"}'
	is 201
	api POST /api/v1/vservers/api1/exports '{"pseudo":"/exp/sub","fs":"data","path":"sub","ro":true}'
	is 201
	api POST /api/v1/vservers/api1/exports '{"pseudo":"/data/sub","fs":"data"}'
	refused 400 export add api1 /data/sub --fs data
	api POST /api/v1/vservers/api1/exports '{"pseudo":"rel","fs":"data"}'
	refused 400 export add api1 rel --fs data
	api GET /api/v1/vservers/api1/exports
	is 200 '[.[].pseudo] == ["/data", "/exp/sub"]'
	api POST /api/v1/vservers/api1/shares '{"share":"docs","fs":"data","guest":true}'
	is 201
	api POST /api/v1/vservers/api1/shares '{"share":"docs","fs":"data"}'
	refused 409 share add api1 docs --fs data
	api GET /api/v1/vservers/api1/shares
	is 200 '.[0].name == "docs"'
	# Start: 202 at once, then polled to running.
	api POST /api/v1/vservers/api1/start
	is 202 '.poll == "/api/v1/vservers/api1"'
	wait_until 60 vs_state api1 running
	api GET /api/v1/vservers/api1
	is 200 '.runtime.state == "running"'
	# A VIP moved within its group, and back.
	api POST /api/v1/vservers/api1/vips/$VIP/migrate '{"port":"ic0"}'
	refused 400 vip migrate api1 $VIP --port ic0
	api POST /api/v1/vservers/api1/vips/$VIP/migrate '{"port":"eth2"}'
	is 200
	wait_until 10 bash -c "$APPLAB exec n1 vsadm vip show api1 --json | jq -e '.[0].port == \"eth2\"'"
	api POST /api/v1/vservers/api1/vips/$VIP/revert
	is 200
	api POST /api/v1/vservers/api1/vips/revert
	is 200
	api POST /api/v1/vservers/api1/vips/192.0.2.82/revert
	refused 404 vip revert api1 192.0.2.82
	api POST /api/v1/vservers/api1/vips/192.0.2.300/revert
	is 400 '.error | startswith("An address in the path is")'
	# A domain join needs a running VS and its domain controller: refused here.
	api POST /api/v1/vservers/api1/join '{"domain":"AD.EXAMPLE","dc":"dc.example","user":"Administrator","password":"Secr3t-pw"}'
	is 400 '.error == "Give the domain controller as an IP address (--dc)."'
	! grep -q 'Secr3t' "$TMPD/body" "$TMPD/apweb.log" || false
	api POST /api/v1/vservers/api1/leave '{}'
	refused 400 vserver leave api1
	# Removals (the last VIP of a running VS stays: 409).
	api DELETE /api/v1/vservers/api1/vips/$VIP
	refused 409 vip remove api1 $VIP
	api DELETE /api/v1/vservers/api1/shares/docs
	is 200
	api DELETE /api/v1/vservers/api1/shares/docs
	refused 404 share remove api1 docs
	api DELETE /api/v1/vservers/api1/exports/exp/sub
	is 200
	api DELETE /api/v1/vservers/api1/exports/data/%2E%2E/etc
	is 400 '.error | startswith("An export in the path is")'
	api DELETE /api/v1/vservers/api1/exports/nope
	refused 404 export remove api1 /nope
	api DELETE /api/v1/vservers/api1/filesystems/nope
	refused 404 fs remove api1 nope
	api DELETE /api/v1/fgroups/nope
	refused 404 fgroup delete nope
	api DELETE /api/v1/vservers/api1
	refused 409 vserver delete api1
}

@test "users and groups of a VS; a password never leaves apweb" {
	login alice alice-pass-1
	api POST /api/v1/vservers/api1/groups '{"name":"eng","gid":3000}'
	is 201
	api POST /api/v1/vservers/api1/groups '{"name":"eng2","gid":0}'
	refused 400 group add api1 eng2 --gid 0
	api GET /api/v1/vservers/api1/groups
	is 200 '.[] | select(.name == "eng" and .gid == 3000)'
	api POST /api/v1/vservers/api1/users '{"name":"dan","uid":2001,"groups":["eng"],"password":"Dan-pw-12345"}'
	is 201
	api POST /api/v1/vservers/api1/users '{"name":"eve","password":"short"}'
	is 400
	sentence=$(printf 'short\n' | "$APPLAB" exec "$(cat "$TMPD/node")" vsadm user add api1 eve --password-stdin 2>&1) || true
	is 400 ".error == $(jq -Rn --arg s "${sentence#vsadm: }" '$s')"
	api POST /api/v1/vservers/api1/users '{"name":"eve"}'
	is 201
	api POST /api/v1/vservers/api1/users '{"name":"root"}'
	refused 400 user add api1 root
	api GET /api/v1/vservers/api1/users/dan
	is 200 '.[0].password == "set" and .[0].groups == ["eng"] and .[0].uid == 2001'
	api GET /api/v1/vservers/api1/users/nope
	refused 404 user show api1 nope
	api GET /api/v1/vservers/api1/users
	is 200 'length == 2'
	api PUT /api/v1/vservers/api1/users/eve/password '{"password":"Eve-pw-12345"}'
	is 200
	api PUT /api/v1/vservers/api1/users/nope/password '{"password":"Eve-pw-12345"}'
	is 404
	api POST /api/v1/vservers/api1/groups/eng/members '{"user":"eve"}'
	is 200
	api POST /api/v1/vservers/api1/groups/eng/members '{"user":"nope"}'
	refused 404 group member add api1 eng nope
	api GET /api/v1/vservers/api1/groups
	is 200 '.[] | select(.name == "eng") | .members == ["dan", "eve"]'
	api DELETE /api/v1/vservers/api1/groups/eng/members/eve
	is 200
	api DELETE /api/v1/vservers/api1/users/eve
	is 200
	api DELETE /api/v1/vservers/api1/users/eve
	refused 404 user remove api1 eve
	api DELETE /api/v1/vservers/api1/groups/nope
	refused 404 group remove api1 nope
	# Neither a password nor its hash in an answer, the event log or apweb's log.
	vsadm_on n1 event show --last 200 --json >"$TMPD/ev"
	vsadm_on n1 vserver show api1 --json >"$TMPD/vs"
	! grep -qE 'Dan-pw|Eve-pw|\$y\$' "$TMPD/ev" "$TMPD/vs" "$TMPD/apweb.log" || false
}

@test "cluster, nodes, ports, LUNs, load, balance, fencing, console accounts" {
	login alice alice-pass-1
	for p in cluster nodes ping ports luns load balance fencing admins moves events; do
		api GET /api/v1/$p
		is 200
	done
	api GET /api/v1/cluster
	is 200 '.quorate == true and (.nodes | length) == 2'
	api GET /api/v1/ports
	is 200 '[.[] | select(.name == "eth1")] | length == 1'
	# The join bundle, for a node set up from its console: the cluster's own key
	# (as vsadm cluster bundle writes it), never cached, and who took it logged.
	api GET /api/v1/cluster/bundle
	is 200 '.name and (.nodes | length) == 2 and (.key | length) > 300'
	node=$(cat "$TMPD/node")
	"$APPLAB" exec "$node" vsadm cluster bundle --out "$TMPD/bundle.json"
	[ "$(jq -r .key "$TMPD/body")" = "$(jq -r .key "$TMPD/bundle.json")" ]
	rm -f "$TMPD/bundle.json"
	grep -qi '^cache-control: no-store' "$TMPD/headers"
	vsadm_on "$node" event show --last 20 | grep -F "the join bundle (it holds the cluster key) was given to the console account admin alice"
	# The load's short history on request (load show --history); a query member of
	# another kind is refused with a sentence that does not quote it.
	api GET /api/v1/load
	is 200 '[.nodes[] | has("history")] | any | not'
	api GET '/api/v1/load?history=true'
	is 200 '[.nodes[] | select(.cores) | .history.step_s == 30] | length > 0 and all'
	api GET '/api/v1/load?history=maybe%3Brm'
	is 400 '.error == "The query member '"'"'history'"'"' is true or false."'
	api PATCH /api/v1/balance '{"mode":"advise","max_moves":2}'
	is 200
	api GET /api/v1/balance
	is 200 '.mode == "advise"'
	api PATCH /api/v1/balance '{"mode":"sometimes"}'
	refused 400 balance set --mode sometimes
	api PATCH /api/v1/balance '{"mode":"off"}'
	is 200
	api POST /api/v1/nodes/n2/standby '{"state":"on"}'
	is 200
	api POST /api/v1/nodes/n2/standby '{"state":"maybe"}'
	refused 400 node standby n2 maybe
	api POST /api/v1/nodes/n2/standby '{"state":"off"}'
	is 200
	api POST /api/v1/nodes/n9/resume
	refused 404 node resume n9
	# Fencing: n2's BMC set, checked, removed (its options' secret never answered).
	opts=$(applab bmc n2)
	api PUT /api/v1/fencing/n2 "{\"agent\":\"fence_ipmilan\",\"options\":\"$opts\"}"
	is 200
	api GET /api/v1/fencing
	is 200 '.[] | select(.node == "n2" and .agent == "fence_ipmilan")'
	! grep -qF "${opts##*password=}" "$TMPD/body" || false
	api POST /api/v1/fencing/n2/check
	is 200 '.message == "" or .data.power == "on"'
	api PUT /api/v1/fencing/n2 '{"agent":"/bin/sh","options":"ip=192.0.2.1"}'
	refused 400 fence set n2 --agent /bin/sh --options ip=192.0.2.1
	api DELETE /api/v1/fencing/n2
	is 200
	api POST /api/v1/fencing/n2/check
	refused 404 fence check n2
	# Console accounts: admins only.
	api POST /api/v1/admins '{"name":"dave","role":"operator","password":"dave-pass-1"}'
	is 201
	api POST /api/v1/admins '{"name":"erin","role":"root","password":"erin-pass-1"}'
	is 400 '.error == "A role is one of admin, operator or read-only."'
	api PUT /api/v1/admins/dave/password '{"password":"dave-pass-2"}'
	is 200
	api PUT /api/v1/admins/nope/password '{"password":"dave-pass-2"}'
	is 404
	api GET /api/v1/admins
	is 200 '[.[] | .name] | index("dave") != null'
	! grep -q '\$y\$' "$TMPD/body" || false
	login dave dave-pass-2
	api GET /api/v1/admins
	is 403
	login alice alice-pass-1
	api DELETE /api/v1/admins/dave
	is 200
	api DELETE /api/v1/admins/dave
	refused 404 admin remove dave
}

@test "no session 401, read-only 403 on a change, operator 403 on admin's, unknown 404, method 405" {
	rm -f "$TMPD/jar" "$TMPD/csrf"
	for p in vservers vservers/api1/users fencing admins events/stream moves/1; do
		api GET /api/v1/$p
		is 401
	done
	api POST /api/v1/vservers/api1/stop
	is 401
	login carol carol-pass-1
	api GET /api/v1/vservers/api1/exports
	is 200
	for call in "POST /api/v1/vservers/api1/stop" "PATCH /api/v1/balance" \
		"DELETE /api/v1/vservers/api1/filesystems/data" "POST /api/v1/nodes/n1/evacuate" \
		"PUT /api/v1/fencing/n1" "POST /api/v1/admins"; do
		api $call '{}'
		is 403 '.error | startswith("Permission denied: the account carol is read-only")'
	done
	login bob bob-pass-123
	api POST /api/v1/vservers/api1/vips/revert
	is 200
	api POST /api/v1/vservers '{"name":"bobs"}'
	is 403
	api GET /api/v1/admins
	is 403
	api GET /api/v1/cluster/bundle
	is 403 '.error == "Permission denied: the account bob is an operator and may not do that."'
	! grep -q '"key"' "$TMPD/body" || false
	login carol carol-pass-1
	api GET /api/v1/cluster/bundle
	is 403
	login alice alice-pass-1
	api GET /api/v1/vservers/nope0
	refused 404 vserver show nope0
	api GET /api/v1/moves/999999
	is 404 '.error == "There is no move 999999 in the journal."'
	api GET /api/v1/nope
	is 404
	api PUT /api/v1/vservers/api1/start
	is 405
	api GET '/api/v1/events?limit=x'
	is 400 '.error == "The query member '"'"'limit'"'"' is a whole number."'
	api GET '/api/v1/events?vs=api1&limit=3'
	is 200 'length == 3 and all(.[]; .vs == "api1")'
}

@test "migrate and evacuate answer 202 at once with the moves to poll, polled to done" {
	login bob bob-pass-123
	from=$(vsadm_on n1 vserver show api1 --json | jq -r '.runtime.node')
	to=$([ "$from" = n1 ] && echo n2 || echo n1)
	t0=${EPOCHREALTIME/./}
	api POST /api/v1/vservers/api1/migrate "{\"to\":\"$to\"}"
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "# migrate answered in $ms ms" >&3
	is 202 '(.moves_after | type) == "number" and (.poll | startswith("/api/v1/moves?vs=api1&after="))'
	poll=$(jq -r .poll "$TMPD/body")
	api POST /api/v1/vservers/api1/migrate '{"to":"n9"}'
	refused 404 vserver migrate api1 --to n9
	api POST /api/v1/vservers/api1/migrate '{}'
	is 400 '.error == "Give either --to NODE or --home."'
	# Its move appears after moves_after and gets done.
	wait_until 90 bash -c "$APPLAB client curl -sk --max-time 5 -b '$TMPD/jar' 'https://$MGMT:8443$poll' | jq -e '.moves | map(select(.state == \"done\")) | length >= 1'"
	api GET "$poll"
	is 200 '.moves[0].vs == "api1"'
	id=$(jq -r '.moves[0].id' "$TMPD/body")
	api GET /api/v1/moves/$id
	is 200 ".id == $id and .state == \"done\" and .to == \"$to\""
	wait_until 30 vs_state api1 running
	# Evacuate its node now: 202, its move polled to done, then resume.
	api POST /api/v1/nodes/$to/evacuate
	is 202 '.poll | startswith("/api/v1/moves?after=")'
	poll=$(jq -r .poll "$TMPD/body")
	wait_until 90 bash -c "$APPLAB client curl -sk --max-time 5 -b '$TMPD/jar' 'https://$MGMT:8443$poll' | jq -e '.moves | map(select(.vs == \"api1\" and .state == \"done\")) | length >= 1'"
	api POST /api/v1/nodes/n9/evacuate
	refused 404 node evacuate n9
	api POST /api/v1/nodes/$to/resume
	is 200
	api POST /api/v1/vservers/api1/migrate '{"home":true}'
	is 202
	# Stop answers at once too.
	api POST /api/v1/vservers/api1/stop
	is 202
	wait_until 60 vs_state api1 stopped
}

@test "events as a live stream: a vsadm change arrives, Last-Event-ID resumes, 503 past the cap, logout ends it" {
	login alice alice-pass-1
	stream() { # OUT MAX-TIME [CURL ARGS...]: a stream in the background, its pid in $TMPD/OUT.pid
		local out=$1 max=$2
		shift 2
		client curl -sS -k -N --max-time "$max" -b "$TMPD/jar" "$@" \
			-w '\n%{http_code}\n' "https://$MGMT:8443/api/v1/events/stream" >"$TMPD/$out" 2>&1 &
		echo $! >"$TMPD/$out.pid"
	}
	stream s1 40
	wait_until 5 grep -q '^: the event log' "$TMPD/s1"
	t0=${EPOCHREALTIME/./}
	vsadm_on n1 vserver create sse1
	wait_until 10 grep -q '"vs":"sse1"' "$TMPD/s1"
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "# SSE: the vsadm change arrived ${ms} ms after vsadm was started" >&3
	grep -E '^id: [0-9]+$' "$TMPD/s1" | tail -n1 >"$TMPD/lastid"
	grep '^data: ' "$TMPD/s1" | tail -n1 | sed 's/^data: //' | jq -e '.vs == "sse1" and (.message | test("virtual server created"))'
	id=$(awk '{print $2}' "$TMPD/lastid")
	# Up to 8 at once: s1 and 7 more; a ninth is refused.
	for i in 3 4 5 6 7 8 9; do stream "s$i" 30; done
	wait_until 5 bash -c "grep -l '^: the event log' $TMPD/s[3-9] | wc -l | grep -qx 7"
	api GET /api/v1/events/stream
	is 503 '.error == "Too many event streams are open; close one or try again later."'
	# An idle stream gets its heartbeat (15 s after its last write).
	wait_until 20 grep -q '^: heartbeat' "$TMPD/s1"
	# Logging out ends the session's streams, each with its last word.
	api POST /api/v1/logout
	is 200
	wait_until 5 grep -q '^event: end' "$TMPD/s1"
	wait_until 5 bash -c "! kill -0 $(cat "$TMPD/s1.pid") 2>/dev/null"
	tail -n1 "$TMPD/s1" | grep -qx 200
	grep -A1 '^event: end' "$TMPD/s1" | grep -q 'The session ended'
	for i in 3 4 5 6 7 8 9; do wait "$(cat "$TMPD/s$i.pid")" || true; done
	grep -c '^event: end' "$TMPD"/s[3-9] | grep -c ':1$' | grep -qx 7
	wait_until 5 bash -c "grep -c 'event stream of alice ended' $TMPD/apweb.log | grep -qx 8"
	# Resume after the event before it: that event comes again at once.
	login alice alice-pass-1
	client curl -sS -k -N --max-time 3 -b "$TMPD/jar" -H "Last-Event-ID: $((id - 1))" \
		"https://$MGMT:8443/api/v1/events/stream" >"$TMPD/s2" || true
	grep -qx "id: $id" "$TMPD/s2"
	client curl -sS -k --max-time 3 -b "$TMPD/jar" -H 'Last-Event-ID: x1' -o /dev/null \
		-w '%{http_code}' "https://$MGMT:8443/api/v1/events/stream" >"$TMPD/code" || true
	[ "$(cat "$TMPD/code")" = 400 ]
	vsadm_on n1 vserver delete sse1
}

@test "figures: GET latency on a kept-alive TLS connection (median and p99 of 200)" {
	login alice alice-pass-1
	for p in /api/v1/vservers/api1 /api/v1/ping "/api/v1/moves?vs=api1"; do
		args=()
		for i in $(seq 200); do args+=(-o /dev/null "https://$MGMT:8443$p"); done
		client curl -sS -k -b "$TMPD/jar" -w '%{http_code} %{time_total}\n' "${args[@]}" >"$TMPD/times"
		[ "$(grep -c '^200 ' "$TMPD/times")" = 200 ]
		sort -n -k2 "$TMPD/times" | awk -v p="$p" '{t[NR] = $2 * 1000} END {printf "# GET %s: median %.2f ms, p99 %.2f ms (n=%d)\n", p, t[int(NR / 2)], t[int(NR * 0.99)], NR}' >&3
	done
}

@test "an update file uploaded through the API: admins alone, checked before its body, handed to applianced, removed after" {
	node=$(cat "$TMPD/node")
	head -c 200000 /dev/urandom >"$TMPD/not-an-update.img"
	# Refused before a byte is stored: an operator, no CSRF token, not a binary body.
	login bob bob-pass-123
	api PUT /api/v1/system/update "@$TMPD/not-an-update.img" application/octet-stream
	is 403 '.error == "Permission denied: the account bob is an operator and may not do that."'
	login alice alice-pass-1
	mv "$TMPD/csrf" "$TMPD/csrf.keep"
	api PUT /api/v1/system/update "@$TMPD/not-an-update.img" application/octet-stream
	is 403 '.error == "The X-CSRF-Token header is missing or wrong."'
	mv "$TMPD/csrf.keep" "$TMPD/csrf"
	api PUT /api/v1/system/update '{"file":"/etc/shadow"}'
	is 415
	"$APPLAB" exec "$node" test ! -e "$STATE/update-upload.img"
	# An admin's: stored, handed over, 202 at once; the writer refuses it (it is no
	# update file, and this is no image) and the file is removed.
	api PUT /api/v1/system/update "@$TMPD/not-an-update.img" application/octet-stream
	is 202 '.message | startswith("system update from the uploaded file started by admin alice")'
	wait_until 30 bash -c "$APPLAB exec $node vsadm event show --last 20 | grep -F 'system update from $STATE/update-upload.img refused: '"
	vsadm_on "$node" event show --last 20 | grep -F "system update from" | tail -2
	wait_until 10 "$APPLAB" exec "$node" test ! -e "$STATE/update-upload.img"
	# Another upload is taken again once that one is gone.
	api PUT /api/v1/system/update "@$TMPD/not-an-update.img" application/octet-stream
	is 202
	wait_until 10 "$APPLAB" exec "$node" test ! -e "$STATE/update-upload.img"
	# A reboot through the API: the gate, and never a machine not booted from the image
	# (the lab's nodes share their host).
	api POST /api/v1/system/reboot
	is 400 '.error | test("not under maintenance|not booted from the appliance image")'
	login bob bob-pass-123
	api POST /api/v1/system/reboot
	is 403
	rm -f "$TMPD/not-an-update.img"
}

@test "figures: an update upload's throughput over TLS (64 MiB), stored whole, then removed" {
	node=$(cat "$TMPD/node")
	head -c $((64 << 20)) /dev/urandom >"$TMPD/big.img"
	login alice alice-pass-1
	t0=$(date +%s%N)
	API_MAX_TIME=300 api PUT /api/v1/system/update "@$TMPD/big.img" application/octet-stream
	t1=$(date +%s%N)
	is 202
	# 202 only once every announced byte is stored (a short body is refused); then handed over.
	wait_until 60 bash -c "$APPLAB exec $node vsadm event show --last 20 | grep -F 'system update from $STATE/update-upload.img refused: '"
	wait_until 10 "$APPLAB" exec "$node" test ! -e "$STATE/update-upload.img"
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "# upload of 64 MiB: %.2f s, %.1f MB/s\n", ns / 1e9, 67108864 / (ns / 1e9) / 1e6 }' >&3
	rm -f "$TMPD/big.img"
}

@test "the API's leftovers are removed through it" {
	login alice alice-pass-1
	wait_until 60 vs_state api1 stopped
	api DELETE /api/v1/vservers/api1/vips/$VIP
	is 200
	api DELETE /api/v1/vservers/api1/exports/data
	is 200
	api DELETE /api/v1/vservers/api1/filesystems/data
	is 200
	api DELETE /api/v1/vservers/api1 '{"force":true}'
	is 200
	api DELETE /api/v1/fgroups/pub
	is 200
	api GET /api/v1/vservers
	is 200 'map(select(.name == "api1")) | length == 0'
	# apweb stops with a stream open; the sanitizers found nothing in the whole run.
	client curl -sS -k -N --max-time 20 -b "$TMPD/jar" "https://$MGMT:8443/api/v1/events/stream" \
		>"$TMPD/last" 2>&1 &
	wait_until 5 grep -q '^: the event log' "$TMPD/last"
	web_stop
	wait "$!" || true # the connection is closed (a client reconnects with Last-Event-ID)
	! grep -E 'Sanitizer|runtime error' "$TMPD/apweb.log" || false
}
