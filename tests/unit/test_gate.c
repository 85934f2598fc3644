/*
 * test_gate.c - placement is the only gate (ap_gate): no command and no
 * retry runs a VS on a node the placement does not give it; alone, the
 * administrator decides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "appliance/ap_gate.h"

static void test_run_table(void **state)
{
	static const struct {
		struct ap_gate_in in;
		enum ap_gate_run want;
	} rows[] = {
	    /* Alone: the administrator's word. */
	    {{.clustered = false, .wanted = true}, AP_GATE_RUN},
	    {{.clustered = false, .wanted = false}, AP_GATE_STOP},
	    {{.clustered = false, .wanted = true, .busy_elsewhere = true}, AP_GATE_RUN},
	    /* In a cluster: wanted is not enough, the placement decides. */
	    {{.clustered = true, .wanted = true, .placed_here = false}, AP_GATE_STOP},
	    {{.clustered = true, .wanted = true, .placed_here = false, .stopped_here = true},
	     AP_GATE_STOP},
	    {{.clustered = true, .wanted = true, .placed_here = false, .busy_elsewhere = true},
	     AP_GATE_STOP},
	    {{.clustered = true, .wanted = false, .placed_here = true}, AP_GATE_STOP},
	    {{.clustered = true, .wanted = true, .placed_here = true, .stopped_here = true},
	     AP_GATE_RUN},
	    /* Release before acquire: a stopped runtime waits; one under way goes on. */
	    {{.clustered = true,
	      .wanted = true,
	      .placed_here = true,
	      .busy_elsewhere = true,
	      .stopped_here = true},
	     AP_GATE_RELEASE},
	    {{.clustered = true, .wanted = true, .placed_here = true, .busy_elsewhere = true},
	     AP_GATE_RUN},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum ap_gate_run got = ap_gate_run(&rows[i].in);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d, want %d", i, got, rows[i].want);
	}
}

static void test_start_table(void **state)
{
	/* A start typed on a node that does not run the VS starts nothing there. */
	assert_int_equal(ap_gate_start(true, "n1", "n2"), AP_GATE_START_ELSEWHERE);
	assert_int_equal(ap_gate_start(true, "n2", "n2"), AP_GATE_START_HERE);
	assert_int_equal(ap_gate_start(true, NULL, "n2"), AP_GATE_START_UNPLACED);
	assert_int_equal(ap_gate_start(true, "", "n2"), AP_GATE_START_UNPLACED);
	/* A node name that is a prefix of another is another node. */
	assert_int_equal(ap_gate_start(true, "n10", "n1"), AP_GATE_START_ELSEWHERE);
	/* Alone, a start retries here. */
	assert_int_equal(ap_gate_start(false, NULL, "n1"), AP_GATE_START_HERE);
	assert_int_equal(ap_gate_start(false, "n1", "n1"), AP_GATE_START_HERE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_table),
	    cmocka_unit_test(test_start_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
