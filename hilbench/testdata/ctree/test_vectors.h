/* Inputs and expected outputs of model.c, worked out by hand. */
#ifndef TEST_VECTORS_H
#define TEST_VECTORS_H

#include "model.h"

#define TV_COUNT 3
#define TV_ATOL 1e-5
#define TV_RTOL 1e-4
#ifndef TV_ITERATIONS
#define TV_ITERATIONS 1000
#endif

static const float tv_in[TV_COUNT][MODEL_IN] = {
	{1.0f, 2.0f, 3.0f},
	{-1.0f, 0.5f, 0.25f},
	{0.0f, 0.0f, 0.0f},
};

/* row 0: 0.125 + 0.5 - 2 + 6 = 4.625;   -0.25 + 1.5 + 0.5 - 2.25 = -0.5 -> 0
 * row 1: 0.125 - 0.5 - 0.5 + 0.5 = -0.375 -> 0;  -0.25 - 1.5 + 0.125 - 0.1875 = -1.8125 -> 0
 * row 2: 0.125;  -0.25 -> 0 */
static const float tv_out[TV_COUNT][MODEL_OUT] = {
	{4.625f, 0.0f},
	{0.0f, 0.0f},
	{0.125f, 0.0f},
};

#endif
