/* Test harness following the tcdse contract: one JSON line on stdout, exit 0 iff pass. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "model.h"
#include "test_vectors.h"

int main(void)
{
	float out[MODEL_OUT];
	double max_abs = 0.0, max_rel = 0.0;
	int pass = 1;

	for (int v = 0; v < TV_COUNT; v++) {
		model_run(tv_in[v], out);
		for (int o = 0; o < MODEL_OUT; o++) {
			double want = tv_out[v][o];
			double err = fabs((double)out[o] - want);
			double rel = err / (fabs(want) > 1e-12 ? fabs(want) : 1e-12);
			if (err > max_abs)
				max_abs = err;
			if (err > 0.0 && rel > max_rel)
				max_rel = rel;
			if (err > TV_ATOL + TV_RTOL * fabs(want))
				pass = 0;
		}
	}

	volatile float sink = 0.0f;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < TV_ITERATIONS; i++) {
		model_run(tv_in[i % TV_COUNT], out);
		sink += out[0];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / TV_ITERATIONS;

	printf("{\"pass\":%s,\"vectors\":%d,\"max_abs_err\":%.9g,\"max_rel_err\":%.9g,"
	       "\"iterations\":%d,\"ns_per_inference\":%.3f}\n",
	       pass ? "true" : "false", TV_COUNT, max_abs, max_rel, TV_ITERATIONS, ns);
	return pass ? 0 : 1;
}
