/*
 * ap_loadfmt.c - `vsadm load show` as tables (see ap_loadfmt.h).
 */
#include "appliance/ap_loadfmt.h"

#include <stdbool.h>
#include <string.h>

#include "appliance/ap_loadhist.h"

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "-";
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* An optional rate: "-" when the node did not send it (not measured). */
static const char *opt(json_t *o, const char *k, char *buf, size_t len)
{
	if (!json_is_number(json_object_get(o, k)))
		return "-";
	snprintf(buf, len, "%.1f", num(o, k));
	return buf;
}

/* The smallest scale of a series' bars: below it a series is noise. */
#define FLOOR_CPU 0.05 /* cores */
#define FLOOR_MBS 0.1  /* MB/s */
#define FLOOR_UTIL 0.05

/* A figure of a history point (ap_loadhist.h), in the unit printed. */
typedef double (*fig_fn)(json_t *pt);

static double f_cpu(json_t *pt)
{
	return num(pt, "cpu");
}

static double f_net(json_t *pt)
{
	return num(pt, "net_bps") / 1e6;
}

static double f_io(json_t *pt)
{
	return num(pt, "io_bps") / 1e6;
}

static double f_port(json_t *pt)
{
	double rx = num(pt, "rx_bps"), tx = num(pt, "tx_bps");

	return (rx > tx ? rx : tx) / 1e6;
}

static double f_util(json_t *pt)
{
	return num(pt, "util");
}

/* One series as a bar per point, oldest first, scaled to its own peak (the
 * number after it) or to floor where the peak is below it, so that noise
 * stays flat; padded to the history's length: "▁▂▅█     1.23". */
static void spark(FILE *out, json_t *hist, fig_fn fig, double floor)
{
	static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	json_t *pt;
	size_t i, n = json_array_size(hist);
	double peak = 0;

	json_array_foreach(hist, i, pt) if (fig(pt) > peak) peak = fig(pt);
	json_array_foreach(hist, i, pt)
	{
		double scale = peak > floor ? peak : floor;
		int b = scale > 0 ? (int)(fig(pt) / scale * 7 + 0.5) : 0;
		fputs(bars[b < 0 ? 0 : b > 7 ? 7 : b], out);
	}
	for (; n < AP_LOADHIST_POINTS; n++)
		fputc(' ', out);
	fprintf(out, " %9.3f", peak);
}

static void print_history(FILE *out, json_t *nodes)
{
	json_t *n, *e;
	size_t i, k;
	json_int_t step = 0;

	json_array_foreach(nodes, i, n) if (!step) step =
	    json_integer_value(json_object_get(json_object_get(n, "history"), "step_s"));
	fprintf(out,
	        "\nHISTORY: one point every %lld s, oldest first, at most %d (%lld min); each "
	        "series scaled to its peak, printed after it\n",
	        (long long)step, AP_LOADHIST_POINTS, (long long)(step * AP_LOADHIST_POINTS / 60));
	fprintf(out, "\n%-16s %-12s %-30s %-30s %s\n", "NODE", "", "VS CPU CORES", "", "");
	json_array_foreach(nodes, i, n)
	{
		json_t *h = json_object_get(json_object_get(n, "history"), "points");
		if (!h)
			continue;
		fprintf(out, "%-16s %-12s ", str(n, "node"), "");
		spark(out, h, f_cpu, FLOOR_CPU);
		fputc('\n', out);
	}
	fprintf(out, "\n%-16s %-12s %-30s %-30s %s\n", "VSERVER", "NODE", "CPU CORES", "NET MB/s",
	        "I/O MB/s");
	json_array_foreach(nodes, i, n) json_array_foreach(json_object_get(n, "vs"), k, e)
	{
		json_t *h = json_object_get(e, "history");
		fprintf(out, "%-16s %-12s ", str(e, "vs"), str(n, "node"));
		spark(out, h, f_cpu, FLOOR_CPU);
		fputc(' ', out);
		spark(out, h, f_net, FLOOR_MBS);
		fputc(' ', out);
		spark(out, h, f_io, FLOOR_MBS);
		fputc('\n', out);
	}
	fprintf(out, "\n%-16s %-12s %-30s\n", "PORT", "NODE", "MB/s (the busier way)");
	json_array_foreach(nodes, i, n) json_array_foreach(json_object_get(n, "ports"), k, e)
	{
		fprintf(out, "%-16s %-12s ", str(e, "port"), str(n, "node"));
		spark(out, json_object_get(e, "history"), f_port, FLOOR_MBS);
		fputc('\n', out);
	}
	fprintf(out, "\n%-24s %-12s %-30s\n", "LUN", "NODE", "BUSY");
	json_array_foreach(nodes, i, n) json_array_foreach(json_object_get(n, "luns"), k, e)
	{
		fprintf(out, "%-24s %-12s ", str(e, "lun"), str(n, "node"));
		spark(out, json_object_get(e, "history"), f_util, FLOOR_UTIL);
		fputc('\n', out);
	}
}

void ap_load_print(FILE *out, json_t *data)
{
	json_t *nodes = json_object_get(data, "nodes"), *n, *e;
	size_t i, k;
	int lines = 0;

	json_t *bal = json_object_get(data, "balance");
	if (bal)
		fprintf(out,
		        "Balancing (%s): most loaded node at %.2f of capacity, ideal %.2f; %lld "
		        "move(s) advised, which would leave %.2f\n\n",
		        str(bal, "mode"), num(bal, "worst"), num(bal, "ideal"),
		        (long long)json_integer_value(json_object_get(bal, "moves")),
		        num(bal, "worst_after"));
	fprintf(out, "%-12s %-7s %5s %9s %6s %s\n", "NODE", "MEMBER", "CORES", "VS CPU", "SHARE",
	        "MEASURED");
	json_array_foreach(nodes, i, n)
	{
		json_t *cores = json_object_get(n, "cores");
		if (!cores) {
			fprintf(out, "%-12s %-7s %5s %9s %6s %s\n", str(n, "node"),
			        json_is_true(json_object_get(n, "member")) ? "yes" : "no", "-", "-",
			        "-", "no sample yet");
			continue;
		}
		double c = num(n, "cores") > 0 ? num(n, "cores") : 1;
		fprintf(out, "%-12s %-7s %5.0f %9.2f %6.2f %.1f s ago\n", str(n, "node"),
		        json_is_true(json_object_get(n, "member")) ? "yes" : "no", c, num(n, "cpu"),
		        num(n, "cpu") / c, num(n, "age_ms") / 1000);
	}
	fprintf(out, "\n%-16s %-12s %9s %-8s %10s %9s %10s %-11s %9s %9s\n", "VSERVER", "NODE",
	        "CPU CORES", "TREND", "NET MB/s", "PKT/s", "I/O MB/s", "TREND (NET)", "NFS REQ/s",
	        "SMB REQ/s");
	json_array_foreach(nodes, i, n)
	{
		json_array_foreach(json_object_get(n, "vs"), k, e)
		{
			char nfs[32], smb[32];
			fprintf(out, "%-16s %-12s %9.3f %-8s %10.3f %9.0f %10.3f %-11s %9s %9s\n",
			        str(e, "vs"), str(n, "node"), num(e, "cpu"), str(e, "cpu_trend"),
			        num(e, "net_bps") / 1e6, num(e, "net_pps"), num(e, "io_bps") / 1e6,
			        str(e, "net_trend"), opt(e, "nfs_rps", nfs, sizeof(nfs)),
			        opt(e, "smb_rps", smb, sizeof(smb)));
			lines++;
		}
	}
	if (!lines)
		fprintf(out, "(no virtual server runs)\n");
	fprintf(out, "\n%-12s %-12s %9s %9s %11s %6s %s\n", "PORT", "NODE", "RX MB/s", "TX MB/s",
	        "SPEED MB/s", "USE", "TREND");
	json_array_foreach(nodes, i, n)
	{
		json_array_foreach(json_object_get(n, "ports"), k, e)
		{
			double sp = num(e, "speed_bps");
			double use =
			    sp > 0 ? (num(e, "rx_bps") > num(e, "tx_bps") ? num(e, "rx_bps")
			                                                  : num(e, "tx_bps")) /
			                 sp
			           : 0;
			fprintf(out, "%-12s %-12s %9.3f %9.3f %11.0f %6.3f %s\n", str(e, "port"),
			        str(n, "node"), num(e, "rx_bps") / 1e6, num(e, "tx_bps") / 1e6,
			        sp / 1e6, use, str(e, "trend"));
		}
	}
	fprintf(out, "\n%-24s %-12s %5s %10s %10s %8s %s\n", "LUN", "NODE", "BUSY", "READ MB/s",
	        "WRITE MB/s", "IOPS", "TREND");
	json_array_foreach(nodes, i, n)
	{
		json_array_foreach(json_object_get(n, "luns"), k, e)
		{
			fprintf(out, "%-24s %-12s %5.2f %10.3f %10.3f %8.0f %s\n", str(e, "lun"),
			        str(n, "node"), num(e, "util"), num(e, "read_bps") / 1e6,
			        num(e, "write_bps") / 1e6, num(e, "iops"), str(e, "trend"));
		}
	}
	bool hist = false;
	json_array_foreach(nodes, i, n) hist = hist || json_object_get(n, "history");
	if (hist)
		print_history(out, nodes);
}

void ap_balance_print(FILE *out, json_t *data)
{
	json_t *sb = json_object_get(data, "standby"), *e;
	size_t i;

	fprintf(out, "Balancing:        %s\n", str(data, "mode"));
	fprintf(out, "Moves per round:  at most %lld\n",
	        (long long)json_integer_value(json_object_get(data, "max_moves")));
	fprintf(out, "Cool-down:        %lld s after a virtual server changed node\n",
	        (long long)json_integer_value(json_object_get(data, "cooldown_s")));
	fprintf(out, "A node is over:   above %.0f%% of its capacity and %.0f%% over the ideal\n",
	        num(data, "min_share") * 100, num(data, "trigger") * 100);
	fprintf(out,
	        "Storage-bound:    a VS whose LUN is %.0f%% busy stays (a move would not help)\n",
	        num(data, "lun_busy") * 100);
	fprintf(out, "Smoothing:        loads averaged over %lld s\n",
	        (long long)json_integer_value(json_object_get(data, "smoothing_s")));
	fprintf(out, "Standby nodes:    take virtual servers above %.0f%%, emptied below %.0f%%:",
	        num(data, "high_water") * 100, num(data, "low_water") * 100);
	if (!json_array_size(sb))
		fprintf(out, " none");
	json_array_foreach(sb, i, e) fprintf(out, " %s", json_string_value(e));
	fprintf(out, "\n");
}
