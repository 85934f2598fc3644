/*
 * fuzz_msg.c - libFuzzer target: the cluster message codec (appliance/ap_msg.h).
 *
 * The bytes are a CPG message as any peer could send it. Checks: decode
 * returns 0 or a negative errno; a refusal carries one printable sentence and
 * leaves the message cleared; an accepted message has a known type, encodes
 * (ap_msg_encode refuses only what decode refuses), and its encoding decodes
 * again to a message that encodes to the same text (what one node sends is
 * what every node reads); the sender rules answer 0 or -EPERM with a sentence
 * for a few senders (the master, another node, none).
 * Built only once appliance/ap_msg.h and ap_msg.c exist (Makefile).
 *
 * Memory: the messages are allocated per input and cleared with ap_msg_clear.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_msg.h"
#include "tests/fuzz/common.h"

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

static char *encode(const struct ap_msg *m, size_t *len)
{
	char err[512] = "", *text = NULL;
	int rc = ap_msg_encode(m, &text, len, err, sizeof(err));

	if (rc != 0) {
		fprintf(stderr, "encode refused (%d): %s\n", rc, err);
		fz_fail("a decoded message that does not encode", __FILE__, __LINE__);
	}
	fz_require(text && strlen(text) == *len, "an encoding whose length is not its text's");
	return text;
}

static void senders(const struct ap_msg *m)
{
	static const char *const who[][2] = {{"n1", "n1"}, {"n2", "n1"}, {"n1", NULL}, {"", ""}};
	const char *present[] = {"n1", "n2", "n3"};

	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		char err[512] = "";
		int rc = ap_msg_check_sender(m, who[i][0], who[i][1], present, 3, err, sizeof(err));
		fz_require(rc == 0 || rc == -EPERM || rc == -EINVAL,
		           "ap_msg_check_sender: an unexpected result");
		if (rc < 0)
			fz_check_err(err, sizeof(err), true);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ap_msg *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char err[512] = "", *first, *second;
	size_t len1, len2;
	int rc;

	if (!a || !b)
		abort();
	rc = ap_msg_decode((const char *)data, size, a, err, sizeof(err));
	if (rc < 0) {
		fz_require(rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM,
		           "ap_msg_decode: a refusal with an unexpected errno");
		fz_check_err(err, sizeof(err), true);
		fz_note("refused: %s", err);
		fz_require(all_zero(a, sizeof(*a)), "a refused message not left cleared");
		free(a);
		free(b);
		return 0;
	}
	fz_require(rc == 0, "ap_msg_decode: a result other than 0 or a negative errno");
	fz_require(a->type > AP_MSG_NONE && a->type < AP_MSG_NTYPES, "a message of no known type");
	fz_require(ap_msg_type_name(a->type) != NULL, "a type without a name");
	fz_note("accepted: %s", ap_msg_type_name(a->type));
	senders(a);

	first = encode(a, &len1);
	err[0] = '\0';
	rc = ap_msg_decode(first, len1, b, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "re-decode refused (%d): %s\n%s\n", rc, err, first);
		fz_fail("an encoded message that does not decode", __FILE__, __LINE__);
	}
	second = encode(b, &len2);
	if (len1 != len2 || strcmp(first, second) != 0) {
		fprintf(stderr, "first:  %s\nsecond: %s\n", first, second);
		fz_fail("a round trip that changes the message", __FILE__, __LINE__);
	}
	free(first);
	free(second);
	ap_msg_clear(a);
	ap_msg_clear(b);
	ap_msg_clear(a); /* safe on a cleared message */
	free(a);
	free(b);
	return 0;
}
