#!/bin/bash
# run under: flock /tmp/applab.lock bash exp.sh
set -u
R=/tmp/adj-research; V=$R/vs1; NS=adj-vs1; APPLAB=/work/main/images/lab/applab
cd /work/main
t0=$(date +%s); ts(){ echo "[$(( $(date +%s)-t0 ))s] $*"; }
cleanup(){
  ts cleanup
  for p in $(ip netns pids $NS 2>/dev/null); do kill $p 2>/dev/null; done
  sleep 1; for p in $(ip netns pids $NS 2>/dev/null); do kill -9 $p 2>/dev/null; done
  ip netns pids $NS
}
trap cleanup EXIT
trap 'echo got TERM; exit 1' TERM
[ -s /var/lib/applab/dc-password ] || { ts "applab up"; $APPLAB up --nodes 1 --luns 1 --dc 2>&1 | tail -3; }
DCPW=$(cat /var/lib/applab/dc-password)
ts "ns"
ip netns add $NS || true
ip link add adj-vs1h type veth peer name eth0 netns $NS
ip link set adj-vs1h master alpub up
ip -n $NS link set lo up; ip -n $NS link set eth0 up; ip -n $NS addr add 192.0.2.40/24 dev eth0

X(){ ip netns exec $NS env KRB5_CONFIG=$V/krb5.conf WINBINDD_SOCKET_DIR=$V/fs/winbindd "$@"; }
rm -rf $V; mkdir -p $V/fs/share $V/fs/state; chmod 777 $V/fs/share
$APPLAB dc krb5conf > $V/krb5.conf; cat $V/krb5.conf
S=$V/fs/state
cat > $V/smb.conf <<C
[global]
	netbios name = ADJ-VS1
	workgroup = LAB
	realm = LAB.EXAMPLE.ORG
	security = ads
	kerberos method = secrets and keytab
	dedicated keytab file = $S/private/krb5.keytab
	password server = 192.0.2.8
	idmap config * : backend = tdb
	idmap config * : range = 3000000-3999999
	idmap config LAB : backend = rid
	idmap config LAB : range = 1000000-2999999
	winbind use default domain = yes
	winbind enum users = no
	winbind refresh tickets = no
	winbindd socket directory = $V/fs/winbindd
	template shell = /usr/sbin/nologin
	disable netbios = yes
	smb ports = 445
	bind interfaces only = no
	server min protocol = SMB2_10
	server signing = mandatory
	ntlm auth = ntlmv2-only
	map to guest = never
	state directory = $S/state
	cache directory = $S/cache
	lock directory = $S/lock
	private dir = $S/private
	pid directory = $S/run
	ncalrpc dir = $S/ncalrpc
	binddns dir = $S/bind-dns
	usershare max shares = 0
	log file = $S/log/%m.log
	logging = file
	log level = 1
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
[share]
	path = $V/fs/share
	read only = no
C
for d in state cache lock private run ncalrpc bind-dns log; do mkdir -p $S/$d; done; chmod 700 $S/private
C="-s $V/smb.conf"
ts "host resolv.conf (namespace sees the host's):"; cat /etc/resolv.conf 2>&1 | grep -v '^#'
ts "date host vs DC:"; date -u; ip netns exec dc1 date -u 2>/dev/null
ts "net ads info (no auth, -S)"; X net ads info $C -S 192.0.2.8 2>&1 | head -12
ts "net ads lookup/cldap"; X net ads lookup $C -S 192.0.2.8 2>&1 | head -5

echo "== T0 no password, stdin closed, no tty"
( X timeout 20 net ads join $C -U Administrator -S 192.0.2.8 </dev/null 2>&1 | tail -3 ) ; echo rc=$?
echo "== T1 password on stdin (pipe, no tty)"
( echo "$DCPW" | X timeout 60 setsid net ads join $C -U Administrator -S 192.0.2.8 2>&1 | tail -3 ); X net ads testjoin $C 2>&1|tail -1
echo "== T2 PASSWD env"
( X env PASSWD="$DCPW" timeout 60 setsid net ads join $C -U Administrator -S 192.0.2.8 </dev/null 2>&1 | tail -3 ); X net ads testjoin $C 2>&1|tail -1
echo "== T3 PASSWD_FD=3"
( X env PASSWD_FD=3 timeout 60 setsid net ads join $C -U Administrator -S 192.0.2.8 </dev/null 3< <(printf '%s\n' "$DCPW") 2>&1 | tail -3 ); X net ads testjoin $C 2>&1|tail -1
echo "== T4 PASSWD_FILE"
printf '%s\n' "$DCPW" > $R/pwfile; chmod 600 $R/pwfile
( X env PASSWD_FILE=$R/pwfile timeout 60 setsid net ads join $C -U Administrator -S 192.0.2.8 </dev/null 2>&1 | tail -3 ); X net ads testjoin $C 2>&1|tail -1
echo "== T5 --password-file option"
( X timeout 60 setsid net ads join $C -U Administrator --password-file=$R/pwfile -S 192.0.2.8 </dev/null 2>&1 | tail -3 )
echo "== T6 -A authfile (no -S, relies on password server / krb5.conf)"
printf 'username = Administrator\npassword = %s\ndomain = LAB\n' "$DCPW" > $R/authfile; chmod 600 $R/authfile
( X timeout 60 setsid net ads join $C -A $R/authfile </dev/null 2>&1 | tail -3 ); X net ads testjoin $C 2>&1|tail -1
echo "== T7 -A /dev/stdin via pipe"
( printf 'username = Administrator\npassword = %s\ndomain = LAB\n' "$DCPW" | X timeout 60 setsid net ads join $C -A /dev/stdin 2>&1 | tail -3 ); X net ads testjoin $C 2>&1|tail -1
ts "joined; state files:"; find $S -type f | sort
X net ads keytab list $C 2>&1 | head -5

ts "create user"; $APPLAB dc tool user create adjuser 'Adj-Pass-word-1' 2>&1 | tail -1
$APPLAB dc tool user show adjuser 2>&1 | grep -i objectSid
start(){
  mkdir -p $V/fs/winbindd
  ip netns exec $NS env KRB5_CONFIG=$V/krb5.conf winbindd -F --no-process-group $C -d1 > $R/winbindd.$1.out 2>&1 & WB=$!
  ip netns exec $NS env KRB5_CONFIG=$V/krb5.conf smbd -F --no-process-group $C -d1 > $R/smbd.$1.out 2>&1 & SM=$!
  ts "started winbindd $WB smbd $SM"
  for i in $(seq 1 30); do X wbinfo -P >/dev/null 2>&1 && break; sleep 1; done
  ts "winbindd ping: $(X wbinfo -p 2>&1) / dc ping: $(X wbinfo -P 2>&1)"
}
test_all(){
  ts "wbinfo -i"; X wbinfo -i adjuser 2>&1; X wbinfo -i 'LAB\adjuser' 2>&1
  X wbinfo -n adjuser 2>&1; X wbinfo --sid-to-uid "$(X wbinfo -n adjuser | awk '{print $1}')" 2>&1
  X wbinfo --online-status 2>&1
  X getent passwd adjuser 2>&1 | head -1; echo "(getent in ns uses host nsswitch, expected empty)"
  X wbinfo -a 'adjuser%Adj-Pass-word-1' 2>&1
  ts "smbclient good"; timeout 30 $APPLAB client smbclient //192.0.2.40/share -U 'LAB\adjuser%Adj-Pass-word-1' -c 'ls; mkdir d'"$1" 2>&1 | tail -6
  ts "smbclient bad"; timeout 30 $APPLAB client smbclient //192.0.2.40/share -U 'LAB\adjuser%wrong' -c ls 2>&1 | tail -2
  ls -ln $V/fs/share
}
start 1; test_all 1
ts "stop"; kill $WB $SM; sleep 3; echo "left in ns:"; ip netns pids $NS | while read p; do ps -o pid,args -p $p | tail -1; done
ts "simulate move: wipe cache+lock (per-node), keep state+private"; rm -rf $S/cache $S/lock $S/run $S/ncalrpc $V/fs/winbindd; mkdir -p $S/cache $S/lock $S/run $S/ncalrpc
start 2; test_all 2
ts "machine password: "; X net ads testjoin $C; X wbinfo -c 2>&1; X wbinfo -t 2>&1; X net ads testjoin $C 2>&1 | tail -1
X wbinfo -t 2>&1
tdbdump $S/private/secrets.tdb 2>/dev/null | grep key | head -20
ts "winbindd log tail"; tail -20 $S/log/winbindd.log 2>/dev/null; ls $S/log
ts done
