/*
 * move.pml -- a Promela model of the VS move protocol (DESIGN.md sections 4
 * and 5), checked exhaustively by spin: run tests/model/check.
 *
 * What is modelled (data abstracted away; one VS; nodes n1 n2 n3 are 0 1 2):
 *  - corosync CPG: one global, totally ordered log of messages and
 *    membership events. Every live member reads it in order; an agent that
 *    (re)joins starts at its own join event; a dead one reads nothing.
 *    Virtual synchrony: every message carries the ring (view) it was sent
 *    in and is delivered only in that view; one that would cross a
 *    membership change is lost. Delivery is bounded: while a member is LAG
 *    entries behind, only the members that far behind move.
 *  - the master: the lowest id in a node's current view. Places and fencing
 *    outcomes are accepted only from the master of the receiver's view.
 *  - a place carries the move journal {state, from, to} and its version; the
 *    node that may run the VS follows from the journal (planned: from;
 *    releasing, released: none; acquiring, done: to).
 *  - physical state per node: powered (alive), applianced up (agent), fs
 *    mounted, VIP up, powered off by fencing (off). A crashed node keeps
 *    mounted/vip until it is fenced: a hung node may still write.
 *  - the VS runs on n1 at the start (journal done, to n1, version 1).
 *
 * Faults, bounded, at any point (proctype Faults): node crashes (any node,
 * the master too), agent deaths (the agent comes back within the grace,
 * its mounts intact, or is fenced first), boots of a fenced node (nothing
 * mounted, its persisted journal possibly stale), failed mounts, planned
 * (balancing) moves by the master. The budgets of the scenarios are in init.
 *
 * Properties (proctype Invariant; "assert" in the places named):
 *  - safety, in every state: at most one node has the VS's fs mounted (a
 *    crashed, unfenced node counts; a fenced one does not), at most one has
 *    the VIP up;
 *  - quiescence: where nothing can move any more (faults stopped, every
 *    message read, nothing left to do) exactly one live member serves the VS
 *    (mounted, VIP up) and no other node has it mounted;
 *  - a node that has a place from the current master never accepts an older
 *    one (consume, PLACE); model bounds: log, ring and version numbers.
 *
 * Rules the protocol needs beyond its description in the brief of this
 * model. Each has a switch that removes it; spin then finds a violation
 * (tests/model/check --variant NAME):
 *  - STALE_MASTER: a new master must not simply continue from the journal it
 *    last received: if it is an agent that just came back (within the grace,
 *    or after a boot) it missed the places sent while it was away. It waits
 *    for every member's report in the new view (each report carries the
 *    journal and version of its sender's last place) and continues from the
 *    highest version. Without: two mounts.
 *  - STALE_GATE: an agent that starts again must not act on its persisted
 *    place: it neither starts nor stops the VS before a place of the current
 *    master arrives (one back within the grace keeps its mounts). Without:
 *    two mounts (a booted node mounts from its stale journal).
 *  - NO_ACK: a node the new place waits for (releasing: from; acquiring: to)
 *    reports once its gate has nothing left to do, even if its state did not
 *    change. Without: the move stops for good (quiescent, VS not served).
 *  - CROSS_VIEW: virtual synchrony proper (a message is delivered in the view
 *    it was sent in). Without (a message sent before a membership change but
 *    ordered after it is delivered all the same): two mounts.
 *  - the move also restarts from done when its node reports a failed mount
 *    (after a boot), else the VS stays down; no switch.
 * BROKEN removes a rule of the protocol as described: the target waits for
 * the source's release or fencing (here: releasing -> released at once).
 */

#define N 3
#define NONE 3			/* no node */
#ifndef L
#define L 16			/* capacity of the CPG log */
#endif
#define MAXVER 31		/* journal versions 0..31 */
#define MAXRING 15		/* ring numbers 0..15 */

/* fault budgets: (crashes, agent restarts, boots, failed mounts, planned
 * moves). The check explores every scenario below in one search; -DBUDGET=
 * c,r,b,m,p explores only that one. */
#define SCENARIO(c, r, b, m, p) ncrash = c; nrestart = r; nreboot = b; nmfail = m; nplan = p
#define SCENARIO_(x) SCENARIO(x)

/* journal states */
#define PLANNED 0
#define RELEASING 1
#define RELEASED 2
#define ACQUIRING 3
#define DONE 4

/* report states */
#define STOPPED 0
#define RUNNING 1
#define FAILED 2

/* log entry types; NOEV: a step that no report triggers */
#define MEMB 0
#define PLACE 1
#define REPORT 2
#define FENCED 3
#define NOEV 4

/* a journal entry: state*16 + from*4 + to (< 128) */
#define J(st, f, t) ((st) * 16 + (f) * 4 + (t))
#define JST(j) ((j) / 16)
#define JFROM(j) (((j) / 4) % 4)
#define JTO(j) ((j) % 4)
/* the node a journal lets run the VS */
#define PLACEOF(j) (JST(j) == PLANNED -> JFROM(j) : (JST(j) >= ACQUIRING -> JTO(j) : NONE))

/* a log entry: type, sender, ring of the sender's view (for a membership
 * event: its own ring), payload (< 16384) */
#define MSG(ty, s, r, p) ((ty) * 1048576 + (s) * 262144 + (r) * 16384 + (p))
#define MTY(m) ((m) / 1048576)
#define MSND(m) (((m) / 262144) % 4)
#define MRING(m) (((m) / 16384) % 16)
#define MPAY(m) ((m) % 16384)
/* membership: the members (bit mask); place: journal, version; report:
 * state, journal and version of the sender's last place; fenced: the node */
#define PPAYL(j, v) ((j) + (v) * 128)
#define PJ(p) ((p) % 128)
#define PV(p) ((p) / 128)
#define RPAYL(st, j, v) ((st) + (j) * 4 + (v) * 512)
#define RST(p) ((p) % 4)
#define RJ(p) (((p) / 4) % 128)
#define RV(p) ((p) / 512)

#define BIT(n) (1 << (n))
#define INM(i, n) ((vm[i] & BIT(n)) != 0)	/* n in i's membership view */
#define FEN(i, n) ((vfen[i] & BIT(n)) != 0)	/* i knows n is fenced */
#define LOWEST(m) (((m) & 1) -> 0 : (((m) & 2) -> 1 : (((m) & 4) -> 2 : NONE)))
#define ISMASTER(i) (LOWEST(vm[i]) == i)
#define CONSUMER(i) (alive[i] && agent[i])	/* a member reading the log */
#define RSTATE(i) (mounted[i] -> RUNNING : (failed[i] -> FAILED : STOPPED))

#ifdef CROSS_VIEW
#define SAMEVIEW(i, r) 1
#else
#define SAMEVIEW(i, r) ((r) == vr[i])	/* sent in i's current view */
#endif

#ifdef STALE_GATE
#define READY(i) 1
#else
#define READY(i) fresh[i]
#endif

/* ap_d_effective: the last place gives the VS to this node, and it runs it
 * already or the journal hands it over (acquiring or done, to this node) */
#define WANT(i) (CONSUMER(i) && READY(i) && PLACEOF(pj[i]) == i && \
		 (mounted[i] || (JST(pj[i]) >= ACQUIRING && JTO(pj[i]) == i)))

/* the gate has a step to take */
#define PENDING(i) ((WANT(i) && !mounted[i] && !failed[i]) || \
		    (WANT(i) && mounted[i] && !vip[i]) || \
		    (CONSUMER(i) && READY(i) && !WANT(i) && (vip[i] || mounted[i])))

/* bounded delivery: while a member is LAG entries behind the end of the
 * log, only such members move (read); everything else waits. (CPG delivers
 * to every member within a bounded time; without a bound the log and the
 * state space grow without limit.) */
#ifndef LAG
#define LAG 4
#endif
#define BEHIND(i) (CONSUMER(i) && nlog - rd[i] >= LAG)
#define LAGS (BEHIND(0) || BEHIND(1) || BEHIND(2))

/* the CPG log */
int log[L];
byte nlog;
byte cm = 7;			/* the CPG group's members as corosync has them */
byte ring;			/* ring number of the last membership event */

/* physical state */
bit alive[N];			/* powered and not crashed */
bit agent[N];			/* applianced running */
bit off[N];			/* powered off by fencing */
bit mounted[N];			/* the VS's file system is mounted here */
bit vip[N];			/* the VS's VIP is up here */

/* agent state: persisted (pj, pv) or volatile (the rest) */
byte rd[N];			/* next log entry to read */
byte pj[N];			/* journal of the last accepted place */
byte pv[N];			/* its version */
bit fresh[N];			/* a place was accepted since the agent started */
bit failed[N];			/* the last mount failed, no new place since */
bit ack[N];			/* a new place waits for this node: report once settled */
byte vm[N];			/* membership view (bit mask) */
byte vr[N];			/* its ring */
byte vfen[N];			/* nodes known fenced (bit mask) */

/* master state */
byte mj[N];			/* the master's journal */
byte mv[N];			/* its version */
byte need[N];			/* members a new master still waits for */
byte rp[N];			/* their states, 2 bits a node */

/* fault budgets */
byte ncrash, nrestart, nreboot, nmfail, nplan;

/* scratch, not part of the state */
hidden byte t_m, t_k, t_ty, t_s, t_w, t_r;
hidden int t_e, t_p;
hidden byte t_ev, t_en, t_es, t_chg, t_any, t_st, t_f, t_t, t_n;

inline append(m)
{
	assert(nlog < L);	/* the model's log bound, not a protocol fault */
	log[nlog] = m;
	printf("@ append %d\n", log[nlog]);
	nlog++
}

/* an entry that would change nothing at node i: a report at a node that
 * is not the master, a message sent in another view, a place or fencing
 * outcome from another node than the master, a place it has already */
#define IDLE(i, m) ((MTY(m) != MEMB && !SAMEVIEW(i, MRING(m))) || \
		    (MTY(m) == REPORT && !ISMASTER(i)) || \
		    ((MTY(m) == PLACE || MTY(m) == FENCED) && MSND(m) != LOWEST(vm[i])) || \
		    (MTY(m) == PLACE && fresh[i] && PV(MPAY(m)) == pv[i]))

/* every consumer reads the entries that change nothing for it at once
 * (a reduction of the state space: they are steps nobody can observe);
 * then the entries every consumer has read are dropped */
inline skipidle(n)
{
	do
	:: CONSUMER(n) && rd[n] < nlog && IDLE(n, log[rd[n]]) -> rd[n]++
	:: else -> break
	od
}

inline gc()
{
	d_step {
	skipidle(0); skipidle(1); skipidle(2);
	t_m = nlog;
	if :: CONSUMER(0) && rd[0] < t_m -> t_m = rd[0] :: else fi;
	if :: CONSUMER(1) && rd[1] < t_m -> t_m = rd[1] :: else fi;
	if :: CONSUMER(2) && rd[2] < t_m -> t_m = rd[2] :: else fi;
	if
	:: t_m > 0 ->
		t_k = 0;
		do
		:: t_k + t_m < nlog -> log[t_k] = log[t_k + t_m]; t_k++
		:: else -> break
		od;
		do
		:: t_k < nlog -> log[t_k] = 0; t_k++
		:: else -> break
		od;
		nlog = nlog - t_m;
		if :: CONSUMER(0) -> rd[0] = rd[0] - t_m :: else fi;
		if :: CONSUMER(1) -> rd[1] = rd[1] - t_m :: else fi;
		if :: CONSUMER(2) -> rd[2] = rd[2] - t_m :: else fi
	:: else
	fi
	}
}

/* what a dead agent knew goes (pj, pv are persisted and stay) */
inline forget(n)
{
	rd[n] = 0; fresh[n] = 0; failed[n] = 0; ack[n] = 0; vm[n] = 0; vr[n] = 0;
	vfen[n] = 0; mj[n] = 0; mv[n] = 0; need[n] = 0; rp[n] = 0
}

inline report(i)
{
	ack[i] = 0;
	append(MSG(REPORT, i, vr[i], RPAYL(RSTATE(i), pj[i], pv[i])))
}

/* the master sends its journal, a new version if it changed; not while it
 * is released and waits for the driver to choose a target (choose) */
inline send_place(i, changed)
{
	if
	:: JST(mj[i]) == RELEASED
	:: else ->
		if
		:: changed -> assert(mv[i] < MAXVER); mv[i]++
		:: else
		fi;
		append(MSG(PLACE, i, vr[i], PPAYL(mj[i], mv[i])))
	fi
}

/* a member of i's view, any */
inline choose_member(i)
{
	if
	:: INM(i, 0) -> t_n = 0
	:: INM(i, 1) -> t_n = 1
	:: INM(i, 2) -> t_n = 2
	fi
}

#define REPORTED(n, st) (t_ev == REPORT && t_en == (n) && t_es == (st))

/*
 * vserver/vs_move.c vs_move_step: the move state machine. Applies one event
 * (a report: node t_en, state t_es; or NOEV) to the master's journal mj[i],
 * then steps on until nothing changes or a new target must be chosen
 * (released, no target: the driver's choice, Node). t_chg says whether the
 * journal changed.
 */
inline move_step(i, ety, en, es)
{
	t_ev = ety; t_en = en; t_es = es; t_chg = 0;
	do
	:: t_st = JST(mj[i]); t_f = JFROM(mj[i]); t_t = JTO(mj[i]);
		if
		:: t_st == PLANNED && (t_f == NONE || (!INM(i, t_f) && FEN(i, t_f))) ->
			mj[i] = J(RELEASED, t_f, t_t)
		:: t_st == PLANNED && !(t_f == NONE || (!INM(i, t_f) && FEN(i, t_f))) ->
			mj[i] = J(RELEASING, t_f, t_t)
#ifdef BROKEN
		:: t_st == RELEASING ->	/* BROKEN: no wait for release or fencing */
#else
		:: t_st == RELEASING &&
		   (REPORTED(t_f, STOPPED) || (!INM(i, t_f) && FEN(i, t_f))) ->
#endif
			t_ev = NOEV;
			mj[i] = J(RELEASED, t_f, t_t)
		:: t_st == RELEASED && t_t != NONE && INM(i, t_t) ->
			mj[i] = J(ACQUIRING, t_f, t_t)
		:: t_st == RELEASED && !(t_t != NONE && INM(i, t_t)) ->
			break	/* a new target: the driver chooses it */
		:: t_st == ACQUIRING && REPORTED(t_t, RUNNING) ->
			t_ev = NOEV;
			mj[i] = J(DONE, t_f, t_t)
		:: t_st == ACQUIRING && (REPORTED(t_t, FAILED) || !INM(i, t_t)) ->
			/* the target failed or left: it must report stopped
			 * or be fenced before another node mounts */
			t_ev = NOEV;
			mj[i] = J(RELEASING, t_t, NONE)
		:: t_st == DONE && REPORTED(t_t, FAILED) ->
			/* the node running the VS lost it (a boot, then a
			 * failed mount) */
			t_ev = NOEV;
			mj[i] = J(RELEASING, t_t, NONE)
		:: t_st == DONE && t_t != NONE && !INM(i, t_t) ->
			/* failover: the node running the VS left */
			mj[i] = J(PLANNED, t_t, NONE)
		:: else -> break
		fi;
		t_chg = 1
	od
}

/* appliance/ap_clmove.c: a new master has every member's report in this
 * view; it steps with them (until one changes the journal: the others
 * answered the old one), then sends the journal (to joiners too) */
inline end_wait(i)
{
	t_any = 0; t_w = 0;
	do
	:: t_w < N && !t_any ->
		if
		:: INM(i, t_w) ->
			move_step(i, REPORT, t_w, (rp[i] >> (2 * t_w)) & 3);
			t_any = t_chg
		:: else
		fi;
		t_w++
	:: else -> break
	od;
	move_step(i, NOEV, 0, 0);
	t_any = t_any || t_chg;
	rp[i] = 0;
	send_place(i, t_any)
}

/*
 * appliance/ap_daemon.c (the agent) and appliance/ap_clmove.c (the master's
 * driver): node i reads one log entry.
 */
inline consume(i)
{
	t_e = log[rd[i]];
	printf("@ n%d reads %d\n", i + 1, t_e);
	rd[i]++;
	t_ty = MTY(t_e); t_s = MSND(t_e); t_r = MRING(t_e); t_p = MPAY(t_e);
	if
	:: t_ty != MEMB && !SAMEVIEW(i, t_r) ->
		/* virtual synchrony: a message is delivered in the view it
		 * was sent in; one that would cross a membership change is
		 * lost instead */
		skip
	:: t_ty == MEMB ->
		t_w = ISMASTER(i);	/* master before this change */
		vm[i] = t_p; vr[i] = t_r;
		vfen[i] = vfen[i] & (7 - vm[i]);	/* a member is not fenced */
		report(i);		/* every member reports on a change */
		if
		:: ISMASTER(i) && (!t_w || need[i] != 0) ->
			/* a new master (or one still waiting): it steps
			 * nothing before every member has reported in this
			 * view (those sent in the last one are lost) */
			if
			:: !t_w -> mj[i] = pj[i]; mv[i] = pv[i]
			:: else
			fi;
			need[i] = vm[i]; rp[i] = 0
		:: ISMASTER(i) && t_w && need[i] == 0 ->
			move_step(i, NOEV, 0, 0);
			send_place(i, t_chg)	/* also tells joiners the journal */
		:: !ISMASTER(i) ->
			mj[i] = 0; mv[i] = 0; need[i] = 0; rp[i] = 0
		fi
	:: t_ty == PLACE && SAMEVIEW(i, t_r) ->
		if
		:: t_s == LOWEST(vm[i]) ->	/* only from the master */
#if !defined(STALE_MASTER) && !defined(CROSS_VIEW)
			assert(!fresh[i] || PV(t_p) >= pv[i]);
#endif
			if
			:: PV(t_p) != pv[i] || !fresh[i] ->
				/* a new place: it ends a failed attempt, and
				 * the nodes it names answer it (ack) */
				failed[i] = 0;
#ifndef NO_ACK
				ack[i] = ((JST(PJ(t_p)) == RELEASING && JFROM(PJ(t_p)) == i) ||
					  (JST(PJ(t_p)) == ACQUIRING && JTO(PJ(t_p)) == i))
#else
				skip
#endif
			:: else
			fi;
			pj[i] = PJ(t_p); pv[i] = PV(t_p); fresh[i] = 1
		:: else			/* refused */
		fi
	:: t_ty == REPORT && SAMEVIEW(i, t_r) ->
		if
		:: ISMASTER(i) && need[i] != 0 ->
			/* a new master collects the reports sent in this
			 * view, the latest of each sender */
#ifndef STALE_MASTER
			if
			:: RV(t_p) > mv[i] ->	/* a newer journal */
				mj[i] = RJ(t_p); mv[i] = RV(t_p)
			:: else
			fi;
#endif
			rp[i] = (rp[i] & (63 - (3 << (2 * t_s)))) | (RST(t_p) << (2 * t_s));
			need[i] = need[i] & (7 - BIT(t_s));
			if
			:: need[i] == 0 -> end_wait(i)
			:: else
			fi
		:: ISMASTER(i) && need[i] == 0 ->
			move_step(i, REPORT, t_s, RST(t_p));
			if :: t_chg -> send_place(i, 1) :: else fi
		:: else
		fi
	:: t_ty == FENCED && SAMEVIEW(i, t_r) ->
		if
		:: t_s == LOWEST(vm[i]) ->	/* only from the master */
			vfen[i] = vfen[i] | BIT(t_p);
			if
			:: ISMASTER(i) && need[i] == 0 ->
				move_step(i, NOEV, 0, 0);
				if :: t_chg -> send_place(i, 1) :: else fi
			:: else
			fi
		:: else
		fi
	fi;
	gc()
}

/* an agent starts (back within the grace, or after a boot): it joins the
 * CPG group; the first entry it reads is its own join, and it reports */
inline agent_start(n)
{
	printf("@ n%d agent starts\n", n + 1);
	agent[n] = 1;
	forget(n);
	cm = cm | BIT(n);
	rd[n] = nlog;
	assert(ring < MAXRING);
	ring++;
	append(MSG(MEMB, 0, ring, cm))
}

/*
 * appliance/ap_daemon.c: node i's applianced. It reads the log in order
 * (consume). Its gate ap_d_effective (WANT) starts the VS (mount, then the
 * VIP) or stops it (the VIP first, then unmount), one step at a time,
 * reporting after each change, on each membership change, and once settled
 * after a place that waits for it (ack). The master's driver
 * (appliance/ap_clmove.c) runs in the same process: it steps the move
 * (vserver/vs_move.c vs_move_step, inline move_step) on each entry read,
 * chooses a new target when the move is released, and, within the budget,
 * starts a balancing move of a VS that is done.
 */
proctype Node(byte i)
{
end:
	do
	:: d_step { CONSUMER(i) && rd[i] < nlog && (!LAGS || BEHIND(i)) -> consume(i) }
	:: atomic { !LAGS && WANT(i) && !mounted[i] && !failed[i] ->
		if
		:: nmfail > 0 -> nmfail--; failed[i] = 1;
			printf("@ n%d mount fails\n", i + 1); report(i)
		:: mounted[i] = 1; printf("@ n%d mounts\n", i + 1)
		fi }
	:: d_step { !LAGS && WANT(i) && mounted[i] && !vip[i] -> vip[i] = 1;
		printf("@ n%d VIP up\n", i + 1); report(i) }
	:: d_step { !LAGS && CONSUMER(i) && READY(i) && !WANT(i) && vip[i] -> vip[i] = 0;
		printf("@ n%d VIP down\n", i + 1) }
	:: d_step { !LAGS && CONSUMER(i) && READY(i) && !WANT(i) && mounted[i] && !vip[i] ->
		mounted[i] = 0; printf("@ n%d unmounts\n", i + 1); report(i) }
	:: d_step { !LAGS && CONSUMER(i) && ack[i] && !PENDING(i) -> report(i) }
	:: atomic { !LAGS && CONSUMER(i) && ISMASTER(i) && need[i] == 0 &&
		    JST(mj[i]) == RELEASED ->
		/* appliance/ap_clmove.c: the placement function chooses a
		 * target among the members (any: it depends on loads, which
		 * the model leaves out) */
		choose_member(i);
		mj[i] = J(ACQUIRING, JFROM(mj[i]), t_n);
		move_step(i, NOEV, 0, 0);
		send_place(i, 1) }
	:: atomic { !LAGS && nplan > 0 && CONSUMER(i) && ISMASTER(i) && need[i] == 0 &&
		    JST(mj[i]) == DONE && INM(i, JTO(mj[i])) &&
		    (vm[i] & (7 - BIT(JTO(mj[i])))) != 0 ->
		/* appliance/ap_clmove.c: a balancing move to another member */
		nplan--;
		printf("@ n%d plans a move\n", i + 1);
		if
		:: INM(i, 0) && JTO(mj[i]) != 0 -> t_n = 0
		:: INM(i, 1) && JTO(mj[i]) != 1 -> t_n = 1
		:: INM(i, 2) && JTO(mj[i]) != 2 -> t_n = 2
		fi;
		mj[i] = J(PLANNED, JTO(mj[i]), t_n);
		move_step(i, NOEV, 0, 0);
		send_place(i, 1) }
	od
}

/* the node master i must fence: the source of a move, gone from the
 * membership and not known fenced */
#define FTARGET(i) ((JST(mj[i]) <= RELEASING && JFROM(mj[i]) != NONE && \
		     !INM(i, JFROM(mj[i])) && !FEN(i, JFROM(mj[i]))) -> JFROM(mj[i]) : NONE)

/* appliance/ap_clfence.c: the master powers a node off and sends the
 * outcome. From that moment the node is dead with nothing mounted; only a
 * boot (Faults) brings it back. */
inline fence(i)
{
	t_f = FTARGET(i);
	printf("@ n%d fences n%d\n", i + 1, t_f + 1);
	alive[t_f] = 0; agent[t_f] = 0; off[t_f] = 1;
	mounted[t_f] = 0; vip[t_f] = 0;
	forget(t_f);
	vfen[i] = vfen[i] | BIT(t_f);
	append(MSG(FENCED, i, vr[i], t_f));
	gc()
}

/* appliance/ap_clfence.c: the master's fencing of the source of a move
 * that left the membership (inline fence above) */
proctype Fencer()
{
end:
	do
	:: d_step { !LAGS && CONSUMER(0) && ISMASTER(0) && need[0] == 0 && FTARGET(0) != NONE -> fence(0) }
	:: d_step { !LAGS && CONSUMER(1) && ISMASTER(1) && need[1] == 0 && FTARGET(1) != NONE -> fence(1) }
	:: d_step { !LAGS && CONSUMER(2) && ISMASTER(2) && need[2] == 0 && FTARGET(2) != NONE -> fence(2) }
	od
}

/* corosync (no code of the project): an agent that died (crash, exit,
 * fencing) leaves the CPG group some time later; the change is ordered with
 * the messages */
inline leave(n)
{
	cm = cm & (7 - BIT(n));
	assert(ring < MAXRING);
	ring++;
	append(MSG(MEMB, 0, ring, cm));
	gc()
}

proctype Corosync()
{
end:
	do
	:: d_step { !LAGS && (cm & 1) && !CONSUMER(0) -> leave(0) }
	:: d_step { !LAGS && (cm & 2) && !CONSUMER(1) -> leave(1) }
	:: d_step { !LAGS && (cm & 4) && !CONSUMER(2) -> leave(2) }
	od
}

/* the world (no code of the project): bounded faults, at any moment, until
 * it stops for good */
proctype Faults()
{
	do
	:: atomic {	/* a node crashes; its mounts stay until it is fenced */
		if
		:: !LAGS && ncrash > 0 && alive[0] -> t_n = 0
		:: !LAGS && ncrash > 0 && alive[1] -> t_n = 1
		:: !LAGS && ncrash > 0 && alive[2] -> t_n = 2
		fi;
		ncrash--;
		printf("@ n%d crashes\n", t_n + 1);
		alive[t_n] = 0; agent[t_n] = 0; forget(t_n);
		gc() }
	:: atomic {	/* applianced dies; the kernel keeps the mounts */
		if
		:: !LAGS && nrestart > 0 && alive[0] && agent[0] -> t_n = 0
		:: !LAGS && nrestart > 0 && alive[1] && agent[1] -> t_n = 1
		:: !LAGS && nrestart > 0 && alive[2] && agent[2] -> t_n = 2
		fi;
		nrestart--;
		printf("@ n%d agent dies\n", t_n + 1);
		agent[t_n] = 0; forget(t_n);
		gc() }
	:: atomic {	/* it comes back within the grace, after its leave */
		if
		:: !LAGS && alive[0] && !agent[0] && !(cm & 1) -> t_n = 0
		:: !LAGS && alive[1] && !agent[1] && !(cm & 2) -> t_n = 1
		:: !LAGS && alive[2] && !agent[2] && !(cm & 4) -> t_n = 2
		fi;
		agent_start(t_n) }
	:: atomic {	/* a fenced node boots: nothing mounted */
		if
		:: !LAGS && nreboot > 0 && off[0] && !(cm & 1) -> t_n = 0
		:: !LAGS && nreboot > 0 && off[1] && !(cm & 2) -> t_n = 1
		:: !LAGS && nreboot > 0 && off[2] && !(cm & 4) -> t_n = 2
		fi;
		nreboot--;
		printf("@ n%d boots\n", t_n + 1);
		off[t_n] = 0; alive[t_n] = 1;
		agent_start(t_n) }
	:: break
	od
}

#define NMOUNT (mounted[0] + mounted[1] + mounted[2])
#define NVIP (vip[0] + vip[1] + vip[2])
#define SERVES(n) ((alive[n] && agent[n] && mounted[n] && vip[n]) -> 1 : 0)
#define NSERVE (SERVES(0) + SERVES(1) + SERVES(2))

/* the properties (no code of the project) */
proctype Invariant()
{
	do
	:: NMOUNT > 1 -> assert(NMOUNT <= 1)	/* two mounts */
	:: NVIP > 1 -> assert(NVIP <= 1)	/* two VIPs */
	:: timeout -> assert(NSERVE == 1 && NMOUNT == 1); break	/* quiescent, not served */
	od
}

init
{
	atomic {
		/* the VS runs on n1; every node has its place (done, to n1,
		 * version 1); n1 is the master */
		alive[0] = 1; alive[1] = 1; alive[2] = 1;
		agent[0] = 1; agent[1] = 1; agent[2] = 1;
		mounted[0] = 1; vip[0] = 1;
		pj[0] = J(DONE, NONE, 0); pj[1] = pj[0]; pj[2] = pj[0];
		pv[0] = 1; pv[1] = 1; pv[2] = 1;
		fresh[0] = 1; fresh[1] = 1; fresh[2] = 1;
		vm[0] = 7; vm[1] = 7; vm[2] = 7;
		mj[0] = pj[0]; mv[0] = 1;
#ifdef BUDGET
		SCENARIO_(BUDGET);
#else
		if
		:: SCENARIO(1, 1, 1, 1, 0)
		:: SCENARIO(2, 0, 1, 1, 1)
		:: SCENARIO(1, 1, 0, 0, 1)
		:: SCENARIO(0, 1, 1, 0, 1)
		:: SCENARIO(0, 1, 0, 1, 1)
		fi;
#endif
		run Node(0); run Node(1); run Node(2);
		run Fencer(); run Corosync(); run Faults(); run Invariant()
	}
}
