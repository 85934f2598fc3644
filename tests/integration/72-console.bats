#!/usr/bin/env bats
# The web console (issue 12, item 5) in a real headless Chromium (Debian's chromium, driven by
# playwright-core: appliance/console/tests/browser.mjs), run inside the lab's client namespace
# against apweb on the node that holds the cluster management address (192.0.2.5), over a
# two-node lab. An admin logs in; creates a VS with a VIP, a file system, an NFS export and an
# SMB share in the UI and starts it; a real NFS client (libnfs) writes and reads it; the admin
# migrates it to the other node in the UI while the events page, open in another tab, shows the
# migration's event live; the file is still there. A read-only account sees no change button on
# any page and its API call is refused (403). apweb serves the built files with the security
# headers and nothing else. Screenshots of the dashboard, the VS page and every other page are
# left in build/console-shots (printed).

load lab
load web

MGMT=192.0.2.5
URL=https://$MGMT:8443/
STATE=/var/lib/appliance/apweb
VS=cvs1
VIP=192.0.2.72
SHOTS=$LAB_REPO/build/console-shots

setup_file() {
	# The lab's own apweb (APPLAB_WEB) has no --assets: this file starts its own on the
	# management node.
	export APPLAB_SOCKET_GROUP=nogroup APPLAB_WEB_USER=nobody APPLAB_WEB=0
	[ -f "$APPLAB_BIN/console/MANIFEST" ] || {
		echo "72-console: $APPLAB_BIN/console is not built (make console)" >&2
		return 1
	}
	lab_up --nodes 2 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-console.XXXXXX)
	# apweb reads the console as nobody: a copy it may read wherever the build is.
	chmod 755 "$TMPD"
	cp -r "$APPLAB_BIN/console" "$TMPD/console"
	chmod -R a+rX "$TMPD/console"
	rm -rf "$SHOTS"
	mkdir -p "$SHOTS"
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	echo 'alice-pass-1' | "$APPLAB" exec n1 vsadm admin add alice --role admin --password-stdin
	echo 'carol-pass-1' | "$APPLAB" exec n1 vsadm admin add carol --role read-only --password-stdin
	wait_until 30 mgmt_node
	mgmt_node >"$TMPD/node"
	web_start --assets "$TMPD/console"
	grep -q 'serving https://.* and the console at /' "$TMPD/apweb.log"
}

teardown_file() {
	web_teardown_file
}

teardown() {
	web_teardown
}

# browser STEP NAME PASSWORD [ARGS...]: one scenario of browser.mjs in the client namespace;
# its output in $TMPD/browser.out.
browser() {
	local step=$1
	shift
	web_alive
	local rc=0
	client env SHOTS="$SHOTS" HOME="$TMPD" timeout 240 node "$LAB_REPO/appliance/console/tests/browser.mjs" \
		"$step" "$URL" "$@" >"$TMPD/browser.out" 2>&1 || rc=$?
	cat "$TMPD/browser.out" # what failed (bats's errexit would skip it after a failure)
	web_alive
	return $rc
}

# web_alive: apweb still runs (a crash says what the log says of it).
web_alive() {
	kill -0 "$(cat "$TMPD/pid")" 2>/dev/null && return 0
	echo "apweb is no longer running:"
	grep -E 'ERROR: AddressSanitizer|SUMMARY|runtime error' "$TMPD/apweb.log" | head -n 3
	return 1
}

nfs_url() { # PATH
	echo "nfs://$VIP$1?version=4"
}

@test "apweb serves the console: index and hashed assets with their headers, nothing else" {
	client curl -sS -k -D "$TMPD/h" -o "$TMPD/index.html" "$URL"
	tr -d '\r' <"$TMPD/h" >"$TMPD/headers"
	grep -q '^HTTP/1.1 200' "$TMPD/headers"
	grep -ix 'content-type: text/html; charset=utf-8' "$TMPD/headers"
	grep -i '^content-security-policy: ' "$TMPD/headers" | grep "script-src 'self';" | grep "frame-ancestors 'none'"
	! grep -i '^content-security-policy: ' "$TMPD/headers" | grep -q unsafe || false
	grep -ix 'x-content-type-options: nosniff' "$TMPD/headers"
	grep -ix 'referrer-policy: no-referrer' "$TMPD/headers"
	grep -ix 'cache-control: no-cache' "$TMPD/headers"
	# No inline script: every <script> has a src.
	grep -q '<script' "$TMPD/index.html"
	! grep '<script' "$TMPD/index.html" | grep -v ' src="/assets/' || false
	js=$(grep -o '/assets/index-[A-Za-z0-9_-]*\.js' "$TMPD/index.html")
	client curl -sS -k -D - -o /dev/null "https://$MGMT:8443$js" | tr -d '\r' >"$TMPD/h2"
	grep -ix 'cache-control: public, max-age=31536000, immutable' "$TMPD/h2"
	grep -ix 'content-type: text/javascript; charset=utf-8' "$TMPD/h2"
	# Only the manifest's files: not the manifest, no way out, no listing.
	for p in /MANIFEST /assets/ /assets /index.htm /x.js /assets/../index.html '/assets/%2e%2e/index.html' \
		'/assets%2findex.html' /.. "$js/../../etc/passwd"; do
		c=$(client curl -sS -k --path-as-is --max-time 10 -o /dev/null -w '%{http_code}' "https://$MGMT:8443$p") || true
		[ "$c" = 404 ] || {
			echo "$p answered $c"
			false
		}
	done
	[ "$(client curl -sS -k -o /dev/null -w '%{http_code}' -X POST "$URL")" = 405 ]
}

@test "an admin logs in in Chromium; the dashboard shows; page load measured" {
	browser login alice alice-pass-1
	grep -q '^ok login' "$TMPD/browser.out"
	grep '^timing ' "$TMPD/browser.out" | sed 's/^/# /' >&3
}

@test "a VS with a VIP, a file system, an NFS export and an SMB share is made and started in the UI" {
	browser create alice alice-pass-1 "$VS" "$VIP/24" eth1 LABEL=lab-lun0
	vsadm_on n1 vserver show "$VS" --json >"$TMPD/vs"
	jq -e '.runtime.state == "running" and .runtime.node == "n1"' "$TMPD/vs"
	jq -e --arg v "$VIP/24" '.vips[0].cidr == $v and .vips[0].home_port == "eth1"' "$TMPD/vs"
	jq -e '.filesystems[0].name == "data" and .filesystems[0].lun == "LABEL=lab-lun0"' "$TMPD/vs"
	jq -e '.exports[0].pseudo == "/data" and .shares[0].name == "data"' "$TMPD/vs"
	vsadm_on n1 event show --json | jq -e '[.[] | select(.message | test("created by admin alice \\(web\\)"))] | length >= 1'
}

@test "a real NFS client writes and reads the VS made in the UI" {
	echo "written through the console's VS $RANDOM" >"$TMPD/a.txt"
	wait_until 30 client nfs-ls "$(nfs_url /data)"
	client nfs-cp "$TMPD/a.txt" "$(nfs_url /data/a.txt)"
	client nfs-cat "$(nfs_url /data/a.txt)" >"$TMPD/a.back"
	diff "$TMPD/a.txt" "$TMPD/a.back"
}

@test "screenshots of the dashboard (laptop and tablet), the VS page and the other pages; the balancing mode changed there and back" {
	browser dashboard alice alice-pass-1
	browser tour alice alice-pass-1
	for f in dashboard.png dashboard-tablet.png vserver.png page-vservers.png page-nodes.png page-fencing.png page-balance.png page-accounts.png; do
		[ "$(head -c 8 "$SHOTS/$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
		[ "$(stat -c %s "$SHOTS/$f")" -gt 10000 ]
	done
	echo "# screenshots: $SHOTS/{dashboard,dashboard-tablet,vserver,page-*}.png" >&3
	# A change through a new control: the balancing mode to advise, then back.
	mode=$(vsadm_on n1 balance show --json | jq -r .mode)
	[ "$mode" != advise ]
	browser balance alice alice-pass-1 advise
	grep -q '^ok balance' "$TMPD/browser.out"
	vsadm_on n1 balance show --json | jq -e '.mode == "advise"'
	browser balance alice alice-pass-1 "$mode"
	vsadm_on n1 balance show --json | jq -e --arg m "$mode" '.mode == $m'
}

@test "migrated to n2 from the UI: the event appears live on the events page; the file is there; apweb outlives the closed stream" {
	browser migrate alice alice-pass-1 "$VS" n2
	grep -q '^ok migrate' "$TMPD/browser.out"
	grep -q '^event following (live)' "$TMPD/browser.out"
	vsadm_on n1 vserver show "$VS" --json | jq -e '.runtime.state == "running" and .runtime.node == "n2"'
	wait_until 60 client nfs-cat "$(nfs_url /data/a.txt)"
	client nfs-cat "$(nfs_url /data/a.txt)" >"$TMPD/a.back2"
	diff "$TMPD/a.txt" "$TMPD/a.back2"
	# The browser closed its event stream as it left: apweb goes on.
	sleep 3
	web_alive
}

@test "a read-only account sees no change button on any page; its API call is refused (403)" {
	browser readonly carol carol-pass-1 "$VS"
	grep -q '^refused 403: Permission denied' "$TMPD/browser.out"
	vsadm_on n1 vserver show "$VS" --json | jq -e '.admin == "running"'
}
